"""`safesocial monitor-monthly --school SLUG [--month YYYY-MM]`: the month's summary notice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from safesocial.monitoring.engine import standard_report
from safesocial.monitoring.services import month_bounds, monthly_summary_send
from safesocial.people.management.commands._common import UsageError, school_from_slug

from ._monitoring import default_db, open_db


def last_month() -> str:
    today = timezone.localdate()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


class Command(BaseCommand):
    help = (
        "Send the DSL and the headteacher the month's monitoring summary (a notice and an email "
        "with a link only). Once per month: running it again sends nothing. Default: last month."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--month", help="YYYY-MM (default: last month)")

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        month = options["month"] or last_month()
        try:
            first, last = month_bounds(month)
        except ValueError:
            raise UsageError(f"--month {month!r} is not a month (YYYY-MM)") from None
        path = default_db(school.slug)
        report = None
        if path.exists():
            con = open_db(path)
            try:
                report = standard_report(con, first, last)
            finally:
                con.close()
        summary = monthly_summary_send(school=school, month=month, report=report)
        if summary is None:
            self.stdout.write(f"The summary for {month} was already sent.")
        else:
            self.stdout.write(f"Sent the monitoring summary for {month}.")
