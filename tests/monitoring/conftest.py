"""A school's monitoring database built from the hand-made logs in logs.py, through the real
`monitor-ingest` command, under a VAR_DIR of the test's own."""

from __future__ import annotations

import dataclasses
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safesocial.enforce.snapshot import write_snapshot
from safesocial.monitoring.engine import ingest as ingest_module
from safesocial.monitoring.engine.native import load_scanner
from tests.conftest import require_or_skip
from tests.enforce.school import school_snapshot

from .logs import ADGUARD, SQUID_FIRST, UNBOUND

DAY = "2025-03-04"


def prepare_var_dir(tmp_path: Path, settings: Any) -> Path:
    """A VAR_DIR of the test's own, holding the school's policy snapshot."""
    settings.VAR_DIR = tmp_path / "var"
    snap_dir = settings.VAR_DIR / "netpolicy"
    snap_dir.mkdir(parents=True)
    write_snapshot(dataclasses.replace(school_snapshot(), school="test"), snap_dir / "test.snap")
    return Path(settings.VAR_DIR)


@pytest.fixture()
def var_dir(tmp_path: Path, settings: Any) -> Path:
    return prepare_var_dir(tmp_path, settings)


def write_logs(tmp_path: Path) -> list[Path]:
    squid = tmp_path / "access.log"
    squid.write_text("".join(line + "\n" for line, _ in SQUID_FIRST))
    unbound = tmp_path / "unbound.log"
    unbound.write_text("".join(line + "\n" for line, _ in UNBOUND))
    adguard = tmp_path / "querylog.json"
    adguard.write_text("".join(line + "\n" for line, _ in ADGUARD))
    return [squid, unbound, adguard]


def ingest(*paths: Path) -> str:
    out = StringIO()
    call_command("monitor_ingest", "--school", "test", *map(str, paths), stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture()
def ingested(var_dir: Path, tmp_path: Path, cast: Any) -> Path:
    """The cast's school with the logs ingested; returns the DuckDB path."""
    for path in write_logs(tmp_path):
        ingest(path)
    return var_dir / "monitoring" / "test.duckdb"


def verified_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.fixture(params=["scanner", "sql"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once with the compiled Squid scanner (when built) and once with the SQL
    parsers only: both must store exactly the same."""
    if request.param == "scanner":
        require_or_skip(
            load_scanner() is not None,
            "no compiled scanner (python -m safesocial.monitoring.engine.build_native)",
        )
    else:
        monkeypatch.setattr(ingest_module, "load_scanner", lambda: None)
    return str(request.param)
