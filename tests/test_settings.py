from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safesocial.env import ImproperlySetError, env_bool, env_int, env_list, env_str

REPO = Path(__file__).resolve().parents[1]


def test_env_helpers_read_and_fail_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 0) == 12
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    monkeypatch.setenv("X_BOOL", "perhaps")
    with pytest.raises(ImproperlySetError, match="X_BOOL must be true or false"):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlySetError, match="X_INT must be a whole number"):
        env_int("X_INT", 0)
    with pytest.raises(ImproperlySetError, match="X_MISSING must be set"):
        env_str("X_MISSING")


def test_secrets_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-the-file\n")
    monkeypatch.setenv("X_SECRET", "from-the-variable")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET") == "from-the-file"
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlySetError, match="X_SECRET_FILE: cannot read"):
        env_str("X_SECRET")


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SAFESOCIAL_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "safesocial.cli", "check"],
        env={**base, **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_or_hosts(tmp_path: Path) -> None:
    common = {"SAFESOCIAL_PRODUCTION": "true", "SAFESOCIAL_VAR_DIR": str(tmp_path)}
    done = _check(common)
    assert done.returncode == 2
    assert done.stderr.strip() == "safesocial: setting problem: SAFESOCIAL_SECRET_KEY must be set"
    done = _check({**common, "SAFESOCIAL_SECRET_KEY": "short"})
    assert "at least 50 characters" in done.stderr and done.returncode == 2
    done = _check({**common, "SAFESOCIAL_SECRET_KEY": "k" * 60})
    assert "SAFESOCIAL_ALLOWED_HOSTS" in done.stderr and done.returncode == 2
    assert "Traceback" not in done.stderr


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_with_full_sync_and_immediate_transactions() -> None:
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("this run is on PostgreSQL")
    options = database["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]
    assert "synchronous=FULL" in options["init_command"]
