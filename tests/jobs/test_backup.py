"""The online backup of the SQLite database, taken while another process keeps writing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAFESOCIAL = [sys.executable, "-m", "safesocial.cli"]

WRITER = """
import django, os
django.setup()
from safesocial.audit.services import audit_record
for n in range(400):
    audit_record(action="test.write", actor_label=f"writer{n}")
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="safesocial.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'live.sqlite3'}",
        SAFESOCIAL_VAR_DIR=str(tmp_path),
    )
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SAFESOCIAL, *args], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )


@pytest.mark.sqlite_only
def test_backup_while_writing_is_consistent_and_refuses_to_overwrite(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _run(env, "migrate", "-v0").returncode == 0
    writer = subprocess.Popen([sys.executable, "-c", WRITER], env=env, cwd=REPO)
    backup = tmp_path / "backup.sqlite3"
    done = _run(env, "backup-db", "--out", str(backup))
    writer.wait(timeout=120)
    assert writer.returncode == 0
    assert done.returncode == 0, done.stderr
    assert "integrity ok" in done.stdout
    copy = sqlite3.connect(backup)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    entries = copy.execute("SELECT COUNT(*) FROM audit_auditentry").fetchone()[0]
    assert 0 <= entries <= 400
    copy.close()
    # The chain in the copy verifies: the backup is one consistent moment, not a torn file.
    verify = _run({**env, "DATABASE_URL": f"sqlite:///{backup}"}, "audit-verify")
    assert verify.returncode == 0 and f"OK {entries} entries" in verify.stdout

    again = _run(env, "backup-db", "--out", str(backup))
    assert again.returncode == 2 and "already exists" in again.stderr
    missing_dir = _run(env, "backup-db", "--out", str(tmp_path / "nope" / "b.sqlite3"))
    assert missing_dir.returncode == 2 and "does not exist" in missing_dir.stderr
