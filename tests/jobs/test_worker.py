from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection

from safesocial.jobs.models import Job
from safesocial.jobs.services import job_claim_next, job_enqueue, job_handler, job_run

pytestmark = pytest.mark.django_db
CALLS: list[dict[str, Any]] = []


@job_handler("test.record")
def _record(payload: dict[str, Any]) -> None:
    if payload.get("fail"):
        raise RuntimeError("asked to fail")
    CALLS.append(payload)


def test_a_job_runs_once_and_is_marked_done() -> None:
    CALLS.clear()
    job = job_enqueue(kind="test.record", payload={"n": 1})
    claimed = job_claim_next()
    assert claimed is not None and claimed.pk == job.pk
    assert job_claim_next() is None  # claimed jobs are not handed out twice
    job_run(claimed)
    claimed.refresh_from_db()
    assert claimed.status == Job.Status.DONE and CALLS == [{"n": 1}]


def test_a_failing_job_is_retried_later_then_given_up() -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        job_enqueue(kind="test.record", payload={"fail": True})
        for attempt in range(1, 6):
            claimed = job_claim_next()
            assert claimed is not None, attempt
            job_run(claimed)
            claimed.refresh_from_db()
            assert "asked to fail" in claimed.error
            assert job_claim_next() is None  # not due again straight away
            clock.shift(dt.timedelta(hours=2))
        assert claimed.status == Job.Status.FAILED


def test_an_unknown_job_kind_fails_with_its_reason() -> None:
    job_enqueue(kind="test.nobody-handles-this")
    claimed = job_claim_next()
    assert claimed is not None
    job_run(claimed)
    claimed.refresh_from_db()
    assert claimed.status == Job.Status.QUEUED and "no handler" in claimed.error


@pytest.mark.django_db(transaction=True)
def test_the_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    if connection.vendor == "postgresql":
        # The test database this test's transaction-less run writes to.
        db = connection.settings_dict
        database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        database_url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    env = dict(os.environ, DATABASE_URL=database_url, SAFESOCIAL_VAR_DIR=str(tmp_path))
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = [sys.executable, "-m", "safesocial.cli"]
    if database_url.startswith("sqlite"):
        subprocess.run([*command, "migrate", "-v0"], env=env, check=True)
    worker = subprocess.Popen(
        [*command, "worker", "--poll", "0.1"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "worker: started"
    time.sleep(0.3)
    worker.send_signal(signal.SIGTERM)
    out, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0 and "worker: stopped" in out
