"""Background jobs of the monitoring app (queued on a clock by safesocial/jobs/schedule.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from safesocial.jobs.services import job_handler
from safesocial.monitoring.engine import open_store, standard_report
from safesocial.monitoring.management.commands._monitoring import default_db
from safesocial.monitoring.services import month_bounds, monthly_summary_send
from safesocial.people.models import School


def previous_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


@job_handler("monitoring.monthly_all")
def send_monthly_summaries(payload: dict[str, Any]) -> None:
    """Last month's summary for every school that has monitoring data; each is sent once."""
    month = previous_month(timezone.localdate())
    first, last = month_bounds(month)
    for school in School.objects.order_by("pk"):
        path = default_db(school.slug)
        if not path.exists():
            continue  # monitoring not set up for this school: nothing to summarise
        con = open_store(path)
        try:
            report = standard_report(con, first, last)
        finally:
            con.close()
        monthly_summary_send(school=school, month=month, report=report)
