"""Background jobs of the monitoring app (queued on a clock by safesocial/jobs/schedule.py)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone

from safesocial.jobs.services import job_handler
from safesocial.monitoring.engine import StoreError, open_store, standard_report
from safesocial.monitoring.management.commands._monitoring import default_db
from safesocial.monitoring.models import MonthlySummary
from safesocial.monitoring.services import month_bounds, monthly_summary_send
from safesocial.people.models import School

logger = logging.getLogger(__name__)


class SummaryPending(Exception):
    """Some schools' stores could not be read (e.g. held by a live ingest); try again later."""


def previous_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


@job_handler("monitoring.monthly_all", atomic=False)
def send_monthly_summaries(payload: dict[str, Any]) -> None:
    """Last month's summary for every school that has monitoring data; each is sent once.

    Each school stands alone (its own transaction in monthly_summary_send): a store that is
    busy, say under `monitor-ingest --follow`, leaves that school for the job's next try.
    """
    month = previous_month(timezone.localdate())
    first, last = month_bounds(month)
    pending = 0
    for school in School.objects.order_by("pk"):
        path = default_db(school.slug)
        if (
            not path.exists()
            or MonthlySummary.objects.for_school(school).filter(month=month).exists()
        ):
            continue  # not monitored, or already sent: no need to open the store
        try:
            con = open_store(path)
        except StoreError:
            logger.warning("monthly summary: store of school %s is busy or unreadable", school.pk)
            pending += 1
            continue
        try:
            report = standard_report(con, first, last)
        finally:
            con.close()
        monthly_summary_send(school=school, month=month, report=report)
    if pending:
        raise SummaryPending(f"{pending} school(s) waiting for their store; will try again")
