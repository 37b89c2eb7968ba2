"""Jobs on a clock: queued by the worker when due, once, whatever the number of workers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from safesocial.jobs.models import Job, ScheduledRun
from safesocial.jobs.schedule import SCHEDULE, Daily, Every, schedule_enqueue_due
from safesocial.jobs.services import job_claim_next, job_handler, job_handler_exists, job_run
from safesocial.netpolicy.models import CompiledSnapshot
from safesocial.people.models import School

pytestmark = pytest.mark.django_db


@job_handler("test.scheduled")
def _scheduled(payload: dict[str, Any]) -> None:
    pass


def london(text: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(text))


EVERY = (Every("test.scheduled", dt.timedelta(minutes=5)),)
DAILY = (Daily("test.scheduled", dt.time(6, 30)),)


def queued(kind: str = "test.scheduled") -> int:
    return Job.objects.filter(kind=kind).count()


def test_an_interval_job_is_queued_once_per_interval() -> None:
    start = london("2026-03-02 10:00")
    assert len(schedule_enqueue_due(start, EVERY)) == 1
    assert schedule_enqueue_due(start + dt.timedelta(minutes=4, seconds=59), EVERY) == []
    assert len(schedule_enqueue_due(start + dt.timedelta(minutes=5), EVERY)) == 1
    assert queued() == 2
    job = Job.objects.filter(kind="test.scheduled").first()
    assert job is not None and job.payload == {"scheduled": True}


def test_a_daily_job_waits_for_its_time_then_runs_once_that_day() -> None:
    assert schedule_enqueue_due(london("2026-03-02 06:29"), DAILY) == []
    assert len(schedule_enqueue_due(london("2026-03-02 06:30"), DAILY)) == 1
    assert schedule_enqueue_due(london("2026-03-02 23:59"), DAILY) == []
    # A worker that was down all morning catches up once, not once per missed day.
    assert len(schedule_enqueue_due(london("2026-03-05 11:00"), DAILY)) == 1
    assert schedule_enqueue_due(london("2026-03-05 12:00"), DAILY) == []
    assert queued() == 2


def test_the_daily_time_is_local_time_across_the_clock_change() -> None:
    # 29 March 2026: the clocks go forward; 06:30 local is 05:30 UTC.
    assert schedule_enqueue_due(london("2026-03-28 06:30"), DAILY)
    utc = dt.datetime(2026, 3, 29, 5, 29, tzinfo=dt.UTC)
    assert schedule_enqueue_due(utc, DAILY) == []
    assert schedule_enqueue_due(utc + dt.timedelta(minutes=1), DAILY)


def test_a_second_worker_with_a_stale_view_queues_nothing() -> None:
    now = london("2026-03-02 10:00")
    ScheduledRun.objects.create(kind="test.scheduled", last_queued_at=None)
    stale = ScheduledRun.objects.get(kind="test.scheduled")
    assert schedule_enqueue_due(now, EVERY)  # the first worker claims the run
    # The second read the row before the first moved it: its conditional update finds nothing.
    claimed = ScheduledRun.objects.filter(pk=stale.pk, last_queued_at=stale.last_queued_at)
    assert claimed.update(last_queued_at=now) == 0
    assert queued() == 1


def test_entries_without_a_handler_are_left_alone() -> None:
    ghost = (Every("test.not-installed", dt.timedelta(minutes=1)),)
    assert schedule_enqueue_due(london("2026-03-02 10:00"), ghost) == []
    assert not ScheduledRun.objects.filter(kind="test.not-installed").exists()


def test_every_scheduled_kind_has_a_handler() -> None:
    missing = [entry.kind for entry in SCHEDULE if not job_handler_exists(entry.kind)]
    assert missing == []


def test_the_nightly_compile_writes_a_snapshot_for_every_school(
    school: School, other_school: School, settings: Any, tmp_path: Path
) -> None:
    settings.SAFESOCIAL_SNAPSHOT_DIR = str(tmp_path / "snapshots")
    schedule_enqueue_due(
        london("2026-03-02 02:15"), (Daily("netpolicy.compile_all", dt.time(2, 15)),)
    )
    job = job_claim_next()
    assert job is not None and job.kind == "netpolicy.compile_all"
    job_run(job)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    versions = dict(CompiledSnapshot.objects.values_list("school__slug", "version"))
    assert versions == {"test": 1, "other": 1}
    assert all(
        Path(path).is_file() for path in CompiledSnapshot.objects.values_list("path", flat=True)
    )


def test_the_monthly_summary_goes_once_to_schools_with_monitoring_data(
    school: School, other_school: School, settings: Any, tmp_path: Path
) -> None:
    from safesocial.monitoring.engine import open_store
    from safesocial.monitoring.models import MonthlySummary

    settings.VAR_DIR = tmp_path
    (tmp_path / "monitoring").mkdir()
    open_store(tmp_path / "monitoring" / "test.duckdb").close()  # only this school is monitored
    entry = (Daily("monitoring.monthly_all", dt.time(7, 0)),)
    for day in ("2026-03-02 07:00", "2026-03-03 07:00"):
        schedule_enqueue_due(london(day), entry)
        job = job_claim_next()
        assert job is not None
        job_run(job)
        job.refresh_from_db()
        assert job.status == Job.Status.DONE, job.error
    summaries = list(MonthlySummary.objects.values_list("school__slug", "month"))
    month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert summaries == [("test", month)]
