"""Running safesocial in separate OS processes against a database of the test's own.

pytest-django's test database lives in this process (in memory on SQLite), so tests that need
two processes, or a process killed mid-write, migrate a database of their own: a file in a
temporary directory, or (under scripts/with_postgres.py) a fresh database on that server.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("audit_writer.py")
_SCRIPT = Path(sys.executable).with_name("safesocial")
# The console script when installed; the same entry point through -m otherwise.
SAFESOCIAL = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "safesocial.cli"]


def django_env(var_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """This process's environment without any SAFESOCIAL_ setting, so a profile left in the
    developer's shell cannot change the result, pointed at the given database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SAFESOCIAL_")}
    env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="safesocial.settings",
        SAFESOCIAL_VAR_DIR=str(var_dir),
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
    )
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def safesocial(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SAFESOCIAL, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class OwnDatabase:
    """A migrated database that subprocesses reach through DATABASE_URL."""

    url: str
    env: dict[str, str]
    sqlite_path: Path | None = None

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite_path is not None:
            lite = sqlite3.connect(self.sqlite_path, timeout=30)
            try:
                return lite.execute(sql).fetchall()
            finally:
                lite.close()
        import psycopg

        with psycopg.connect(self.url) as connection:
            return connection.execute(sql.encode()).fetchall()

    def writer(self, name: str, count: int, batch: int, go_file: Path) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(WRITER), name, str(count), str(batch), str(go_file)],
            env=self.env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def migrate(env: dict[str, str]) -> None:
    done = safesocial(env, "migrate", "--no-input", timeout=300)
    assert done.returncode == 0, done.stderr


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def postgres_server_url() -> str | None:
    """The PostgreSQL server this run was given (scripts/with_postgres.py), if any."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@contextmanager
def postgres_database(server_url: str, var_dir: Path) -> Iterator[OwnDatabase]:
    """A fresh, migrated database on the given server, dropped afterwards."""
    import psycopg

    base, _, _ = server_url.rpartition("/")
    name = f"safesocial_mp_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    url = f"{base}/{name}"
    env = django_env(var_dir, url)
    try:
        migrate(env)
        yield OwnDatabase(url=url, env=env)
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
