"""Background jobs of the monitoring app (queued on a clock by safesocial/jobs/schedule.py)."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from safesocial.jobs.services import job_handler
from safesocial.monitoring.engine import StoreError
from safesocial.monitoring.selectors import db_path
from safesocial.monitoring.services import monthly_summary_run, previous_month
from safesocial.people.models import School

logger = logging.getLogger(__name__)


class SummaryPending(Exception):
    """Some schools' stores could not be read (e.g. held by a live ingest); try again later."""


@job_handler("monitoring.monthly_all", atomic=False)
def send_monthly_summaries(payload: dict[str, Any]) -> None:
    """Last month's summary for every school that has monitoring data; each is sent once.

    Each school stands alone (its own transaction in monthly_summary_send): a store that is
    busy, say under `monitor-ingest --follow`, leaves that school for the job's next try.
    """
    month = previous_month(timezone.localdate())
    pending = 0
    for school in School.objects.order_by("pk"):
        if not db_path(school).exists():
            continue  # monitoring is not set up for this school: nothing to summarise
        try:
            monthly_summary_run(school=school, month=month)
        except StoreError:
            logger.warning("monthly summary: store of school %s is busy or unreadable", school.pk)
            pending += 1
    if pending:
        raise SummaryPending(f"{pending} school(s) waiting for their store; will try again")
