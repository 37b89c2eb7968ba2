"""`safesocial worker`: run queued jobs until stopped (SIGTERM or Ctrl-C finish the current job)."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safesocial.jobs.schedule import schedule_enqueue_due
from safesocial.jobs.services import job_claim_next, job_run

# Scheduled entries are minutes apart at the finest, so the schedule need not be read per job.
SCHEDULE_CHECK_SECONDS = 20.0


class Command(BaseCommand):
    help = (
        "Run background jobs (emails, reminders, recompiles) until stopped, and queue the "
        "scheduled ones when they are due (safesocial/jobs/schedule.py)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run the due jobs, then exit")
        parser.add_argument("--poll", type=float, default=2.0, help="seconds between polls")
        parser.add_argument(
            "--no-schedule", action="store_true", help="run queued jobs only; queue nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("worker: started")
        next_schedule_check = 0.0
        while not self.stopping:
            if not options["no_schedule"] and time.monotonic() >= next_schedule_check:
                schedule_enqueue_due()
                next_schedule_check = time.monotonic() + SCHEDULE_CHECK_SECONDS
            job = job_claim_next()
            if job is not None:
                job_run(job)
                continue
            if options["once"]:
                break
            time.sleep(options["poll"])
        self.stdout.write("worker: stopped")
