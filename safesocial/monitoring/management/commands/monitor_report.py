"""`safesocial monitor-report --school SLUG [--from DATE --to DATE] --format json|text`"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safesocial.monitoring.engine import report_text, standard_report
from safesocial.people.management.commands._common import UsageError, school_from_slug

from ._monitoring import default_db, open_db


def _day(text: str | None, label: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--{label} {text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Print the standard monitoring report (local school days, both ends included)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--db", type=Path, help="DuckDB file (default: VAR_DIR)")
        parser.add_argument("--from", dest="day_from", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="day_to", help="last day, YYYY-MM-DD")
        parser.add_argument("--format", choices=("json", "text"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        day_from = _day(options["day_from"], "from")
        day_to = _day(options["day_to"], "to")
        if day_from and day_to and day_from > day_to:
            raise UsageError("--from is after --to")
        path: Path = options["db"] or default_db(school.slug)
        if not path.exists():
            raise UsageError(f"no monitoring database at {path}; run monitor-ingest first")
        con = open_db(path)
        try:
            report = standard_report(con, day_from, day_to)
        finally:
            con.close()
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2, sort_keys=True))
        else:
            self.stdout.write(report_text(report))
