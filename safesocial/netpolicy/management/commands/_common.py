"""Shared pieces of the netpolicy commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from safesocial.enforce.snapshot import Snapshot, SnapshotError, load_snapshot
from safesocial.netpolicy.selectors import snapshot_path
from safesocial.people.management.commands._common import UsageError
from safesocial.people.models import School


def parse_at(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time; without an offset it is the school's local time."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--at {text!r} is not an ISO 8601 time such as 2025-03-04T10:15"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return value


def load_school_snapshot(school: School, path: str | None) -> tuple[Snapshot, Path]:
    target = Path(path) if path else snapshot_path(school)
    try:
        return load_snapshot(target), target
    except SnapshotError as error:
        raise UsageError(
            f"{error}; run `safesocial netpolicy-compile --school {school.slug}` first"
        ) from None
