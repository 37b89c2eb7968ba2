"""`safesocial monitor-monthly --school SLUG [--month YYYY-MM]`: the month's summary notice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from safesocial.monitoring.engine import StoreError
from safesocial.monitoring.services import month_bounds, monthly_summary_run, previous_month
from safesocial.people.management.commands._common import UsageError, school_from_slug


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
        month = options["month"] or previous_month(timezone.localdate())
        try:
            month_bounds(month)
        except ValueError:
            raise UsageError(f"--month {month!r} is not a month (YYYY-MM)") from None
        try:
            summary = monthly_summary_run(school=school, month=month)
        except StoreError as error:
            raise UsageError(str(error)) from None
        if summary is None:
            self.stdout.write(f"The summary for {month} was already sent.")
        else:
            self.stdout.write(f"Sent the monitoring summary for {month}.")
