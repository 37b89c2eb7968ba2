from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audit.procs import (
    OwnDatabase,
    django_env,
    migrate,
    postgres_database,
    postgres_server_url,
    sqlite_url,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "multiprocess: runs safesocial in separate OS processes on a database of its own "
        "(a migrated SQLite file, or a fresh PostgreSQL database); needs no db fixture",
    )


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per run; each test gets a copy (migrating takes a few seconds)."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    path = directory / "template.sqlite3"
    migrate(django_env(directory, sqlite_url(path)))
    # The migrating process closed its connection, so the WAL was checkpointed into the file.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def sqlite_file_db(migrated_sqlite_template: Path, tmp_path: Path) -> OwnDatabase:
    path = tmp_path / "safesocial.sqlite3"
    shutil.copyfile(migrated_sqlite_template, path)
    return OwnDatabase(
        url=sqlite_url(path), env=django_env(tmp_path, sqlite_url(path)), sqlite_path=path
    )


@pytest.fixture
def postgres_own_db(tmp_path: Path) -> Iterator[OwnDatabase]:
    server = postgres_server_url()
    if server is None:
        # Not an environment problem: this run is on SQLite; the PostgreSQL run covers it.
        pytest.skip("this run has no PostgreSQL server (run under scripts/with_postgres.py)")
    with postgres_database(server, tmp_path) as database:
        yield database
