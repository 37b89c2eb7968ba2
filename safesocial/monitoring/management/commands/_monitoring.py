"""Shared pieces of the monitoring commands: default paths, opening the database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings

from safesocial.monitoring.engine import Connection, StoreError, open_store
from safesocial.monitoring.engine.store import FILE_STRIDE
from safesocial.people.management.commands._common import UsageError


def default_snapshot(slug: str) -> Path:
    return Path(settings.VAR_DIR) / "netpolicy" / f"{slug}.snap"


def open_db(path: Path) -> Connection:
    try:
        return open_store(path)
    except StoreError as error:
        raise UsageError(str(error)) from None


def lines_read(con: Connection) -> dict[int, int]:
    """Lines read so far per log file; events added later have higher line numbers."""
    return {int(f): int(n) for f, n in con.execute("SELECT file_id, lines FROM files").fetchall()}


def new_days(con: Connection, before: dict[int, int]) -> tuple[date, date] | None:
    """The first and last local day of the events added since `before`, or None."""
    first: date | None = None
    last: date | None = None
    for file_id, lines in lines_read(con).items():
        if lines <= before.get(file_id, 0):
            continue
        # event numbers are file_id * FILE_STRIDE + line: a range the store can skip to
        row = con.execute(
            "SELECT MIN(m.local_day), MAX(m.local_day) FROM event_log e"
            " JOIN dim_minutes m ON m.minute_no = e.minute_no"
            " WHERE e.event_no > ? AND e.event_no < ?",
            [file_id * FILE_STRIDE + before.get(file_id, 0), (file_id + 1) * FILE_STRIDE],
        ).fetchone()
        if row is None or row[0] is None:
            continue
        first = row[0] if first is None else min(first, row[0])
        last = row[1] if last is None else max(last, row[1])
    return (first, last) if first is not None and last is not None else None
