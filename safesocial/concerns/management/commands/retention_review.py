"""`safesocial retention-review --school SLUG`: list concern records due for retention review,
and remove the policy copy requests past their retention period.

Concern records are only listed: nothing is destroyed without the DSL's recorded decision
(Retention review page). A copy request holds nothing but a member of the public's name and
contact details, so it goes by itself once POLICIES_COPY_REQUEST_RETENTION_DAYS (90) have passed
since it was handled (or made, if nobody handled it); that uses today, never `--on`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from safesocial.concerns.retention import records_due
from safesocial.people.management.commands._common import UsageError, school_from_slug
from safesocial.policies.services import copy_request_retention_days, copy_requests_remove_expired


class Command(BaseCommand):
    help = (
        "List concern records due for retention review (decisions are made by the DSL) and "
        "remove policy copy requests past their retention period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--on", help="review as of this date (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        on = timezone.localdate()
        if options.get("on"):
            try:
                on = dt.date.fromisoformat(options["on"])
            except ValueError:
                raise UsageError("--on must be a date written YYYY-MM-DD") from None
        removed = copy_requests_remove_expired(school=school)
        if removed:
            days = copy_request_retention_days()
            self.stdout.write(f"Removed {removed} policy copy request(s) older than {days} days.")
        due = records_due(school, on)
        if not due:
            self.stdout.write(f"No records of {school.slug} are due for review on {on}.")
            return
        for item in due:
            row = (
                item.record_type,
                str(item.record_id),
                item.label,
                f"due {item.due_on}",
                item.rule,
            )
            self.stdout.write("\t".join(row))
        self.stdout.write(f"{len(due)} record(s) due. The DSL decides each on the Retention page.")
