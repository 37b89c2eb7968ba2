"""Shared pieces of the monitoring commands: default paths, opening the database."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from safesocial.monitoring.engine import Connection, StoreError, open_store
from safesocial.people.management.commands._common import UsageError


def default_snapshot(slug: str) -> Path:
    return Path(settings.VAR_DIR) / "netpolicy" / f"{slug}.snap"


def default_db(slug: str) -> Path:
    return Path(settings.VAR_DIR) / "monitoring" / f"{slug}.duckdb"


def open_db(path: Path) -> Connection:
    try:
        return open_store(path)
    except StoreError as error:
        raise UsageError(str(error)) from None
