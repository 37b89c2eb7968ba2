"""The monitor-ingest and monitor-report management commands (thin wrappers on the engine)."""

from __future__ import annotations

import dataclasses
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safesocial.enforce.snapshot import write_snapshot
from safesocial.people.models import School
from tests.enforce.school import school_snapshot

from .logs import SQUID_FIRST


@pytest.fixture()
def setup(school: School, tmp_path: Path, settings: Any) -> dict[str, Path]:
    settings.VAR_DIR = tmp_path / "var"
    snap_dir = settings.VAR_DIR / "netpolicy"
    snap_dir.mkdir(parents=True)
    write_snapshot(dataclasses.replace(school_snapshot(), school="test"), snap_dir / "test.snap")
    log = tmp_path / "access.log"
    log.write_text("".join(line + "\n" for line, _ in SQUID_FIRST) + "junk\n")
    return {"log": log, "db": settings.VAR_DIR / "monitoring" / "test.duckdb"}


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_ingest_then_report_json_and_text(setup: dict[str, Path]) -> None:
    out = run("monitor_ingest", "--school", "test", str(setup["log"]))
    assert "1 file(s): 9 new lines, 8 events, 1 malformed, 0 ignored" in out
    assert setup["db"].exists()
    again = run("monitor_ingest", "--school", "test", str(setup["log"]))
    assert "0 new lines" in again
    report = json.loads(
        run(
            "monitor_report",
            "--school",
            "test",
            "--from",
            "2025-03-04",
            "--to",
            "2025-03-04",
            "--format",
            "json",
        )
    )
    assert (report["requests"], report["malformed"], report["blocked"]) == (8, 1, 4)
    text = run("monitor_report", "--school", "test", "--format", "text")
    assert "requests 8" in text


def test_follow_stops_at_max_seconds(setup: dict[str, Path]) -> None:
    out = run(
        "monitor_ingest",
        "--school",
        "test",
        "--follow",
        "--max-seconds",
        "0",
        str(setup["log"]),
    )
    assert "8 events" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["monitor_ingest", "--school", "nowhere", "LOG"], "no school with the slug 'nowhere'"),
        (["monitor_ingest", "--school", "test", "/nonexistent.log"], "cannot read"),
        (
            ["monitor_ingest", "--school", "test", "--snapshot", "/nonexistent.snap", "LOG"],
            "does not exist",
        ),
        (["monitor_report", "--school", "test", "--from", "yesterday"], "is not a date"),
        (
            ["monitor_report", "--school", "test", "--from", "2025-03-05", "--to", "2025-03-04"],
            "--from is after --to",
        ),
        (["monitor_report", "--school", "nowhere"], "no school with the slug"),
        (["monitor_report", "--school", "test"], "no monitoring database"),
    ],
)
def test_usage_errors_exit_2(setup: dict[str, Path], args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message) as caught:
        run(*[str(setup["log"]) if a == "LOG" else a for a in args])
    assert caught.value.returncode == 2
