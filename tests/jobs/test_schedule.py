"""Jobs on a clock: queued by the worker when due, once, whatever the number of workers."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from safesocial.jobs.models import Job, ScheduledRun
from safesocial.jobs.schedule import SCHEDULE, Daily, Every, schedule_enqueue_due
from safesocial.jobs.services import (
    job_claim_next,
    job_enqueue,
    job_handler,
    job_handler_exists,
    job_run,
)
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


def test_a_second_worker_with_a_stale_view_queues_nothing(monkeypatch: Any) -> None:
    now = london("2026-03-02 10:00")
    stale = ScheduledRun.objects.create(kind="test.scheduled", last_queued_at=None)
    assert schedule_enqueue_due(now, EVERY)  # the first worker claims the run
    # The second worker read the row before the first moved it: it still sees "never queued".
    monkeypatch.setattr(ScheduledRun.objects, "get_or_create", lambda **kwargs: (stale, False))
    assert schedule_enqueue_due(now, EVERY) == []
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


def _run_one(kind: str) -> Job:
    job = job_claim_next()
    assert job is not None and job.kind == kind
    job_run(job)
    job.refresh_from_db()
    return job


def test_one_school_failing_to_compile_keeps_the_others_compiled(
    school: School, other_school: School, settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from safesocial.enforce.snapshot import SnapshotError
    from safesocial.netpolicy import jobs as netpolicy_jobs

    settings.SAFESOCIAL_SNAPSHOT_DIR = str(tmp_path / "snapshots")
    real_compile = netpolicy_jobs.snapshot_compile

    def compile_or_fail(*, school: School, **kwargs: Any) -> Any:
        if school.slug == "other":
            raise SnapshotError("segment 'x' has invalid CIDR")  # a broken school
        return real_compile(school=school, **kwargs)

    monkeypatch.setattr(netpolicy_jobs, "snapshot_compile", compile_or_fail)
    job_enqueue(kind="netpolicy.compile_all")
    job = _run_one("netpolicy.compile_all")
    # The job is retried later, but the school that compiled keeps its record and file.
    assert job.status == Job.Status.QUEUED and "1 school(s) not compiled" in job.error
    record = CompiledSnapshot.objects.get()
    assert record.school == school and Path(record.path).is_file()


def test_a_busy_monitoring_store_waits_for_the_retry_and_the_others_are_sent(
    school: School, other_school: School, settings: Any, tmp_path: Path
) -> None:
    from safesocial.monitoring.engine import open_store
    from safesocial.monitoring.models import MonthlySummary

    settings.VAR_DIR = tmp_path
    (tmp_path / "monitoring").mkdir()
    for slug in ("test", "other"):
        open_store(tmp_path / "monitoring" / f"{slug}.duckdb").close()
    # Another process (as `monitor-ingest --follow` would) holds the other school's store.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " time.sleep(60)",
            str(tmp_path / "monitoring" / "other.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        job_enqueue(kind="monitoring.monthly_all")
        job = _run_one("monitoring.monthly_all")
        assert job.status == Job.Status.QUEUED and "1 school(s) waiting" in job.error
        assert list(MonthlySummary.objects.values_list("school__slug", flat=True)) == ["test"]
    finally:
        holder.kill()
        holder.wait()
    job.run_after = timezone.now()
    job.save(update_fields=["run_after"])
    assert _run_one("monitoring.monthly_all").status == Job.Status.DONE
    assert sorted(MonthlySummary.objects.values_list("school__slug", flat=True)) == [
        "other",
        "test",
    ]


def test_copy_requests_past_retention_are_removed_on_schedule(cast: Any) -> None:
    from safesocial.policies.models import CopyRequest
    from tests.policies.test_public_limits import _copy_request

    old = _copy_request(cast, "2020-02-01 09:00 +0000", "2020-03-01 09:00 +0000")
    recent = _copy_request(cast, timezone.now().isoformat())
    schedule_enqueue_due(
        london("2026-03-02 03:00"), (Daily("policies.copy_requests_expire", dt.time(3, 0)),)
    )
    assert _run_one("policies.copy_requests_expire").status == Job.Status.DONE
    assert list(CopyRequest.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not CopyRequest.objects.filter(pk=old.pk).exists()
