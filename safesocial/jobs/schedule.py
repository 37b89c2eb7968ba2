"""Jobs that run on a clock, queued by the worker itself, so a school needs no crontab.

`SCHEDULE` below is the one list of what runs when. The worker calls `schedule_enqueue_due()`
between jobs: for each entry that is due it moves the entry's `ScheduledRun.last_queued_at`
with a conditional update (so two workers never queue the same run twice) and queues an
ordinary job of that kind, which then gets the queue's retries and error record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from safesocial.jobs.models import Job, ScheduledRun
from safesocial.jobs.services import job_enqueue, job_handler_exists


@dataclass(frozen=True, slots=True)
class Every:
    """Queue `kind` when `interval` has passed since it was last queued."""

    kind: str
    interval: dt.timedelta

    def due(self, last: dt.datetime | None, now: dt.datetime) -> bool:
        return last is None or now - last >= self.interval


@dataclass(frozen=True, slots=True)
class Daily:
    """Queue `kind` once a day, at or after `at` local time (a late worker catches up once)."""

    kind: str
    at: dt.time

    def due(self, last: dt.datetime | None, now: dt.datetime) -> bool:
        local = timezone.localtime(now)
        slot = timezone.make_aware(dt.datetime.combine(local.date(), self.at))
        return local >= slot and (last is None or last < slot)


Entry = Every | Daily

# What runs when. Each kind is an ordinary job handler of its app (see <app>/jobs.py).
SCHEDULE: tuple[Entry, ...] = (
    Every("channels.publish_due", dt.timedelta(minutes=5)),
    Daily("netpolicy.compile_all", dt.time(2, 15)),
    Daily("policies.copy_requests_expire", dt.time(3, 0)),
    Daily("policies.reminders", dt.time(6, 30)),
    # Sends each school's summary for last month once; on other days it finds it sent.
    Daily("monitoring.monthly_all", dt.time(7, 0)),
)


def schedule_enqueue_due(
    now: dt.datetime | None = None, schedule: tuple[Entry, ...] = SCHEDULE
) -> list[Job]:
    """Queue every scheduled job that is due; returns the jobs queued by this call."""
    now = now or timezone.now()
    queued: list[Job] = []
    for entry in schedule:
        if not job_handler_exists(entry.kind):
            continue  # an app that is not installed
        run, _ = ScheduledRun.objects.get_or_create(kind=entry.kind)
        if not entry.due(run.last_queued_at, now):
            continue
        with transaction.atomic():
            claimed = ScheduledRun.objects.filter(
                pk=run.pk, last_queued_at=run.last_queued_at
            ).update(last_queued_at=now)
            if claimed:
                queued.append(job_enqueue(kind=entry.kind, payload={"scheduled": True}))
    return queued
