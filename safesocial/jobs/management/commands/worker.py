"""`safesocial worker`: run queued jobs until stopped (SIGTERM or Ctrl-C finish the current job)."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safesocial.jobs.services import job_claim_next, job_run


class Command(BaseCommand):
    help = "Run background jobs (emails, reminders, recompiles) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run the due jobs, then exit")
        parser.add_argument("--poll", type=float, default=2.0, help="seconds between polls")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("worker: started")
        while not self.stopping:
            job = job_claim_next()
            if job is not None:
                job_run(job)
                continue
            if options["once"]:
                break
            time.sleep(options["poll"])
        self.stdout.write("worker: stopped")
