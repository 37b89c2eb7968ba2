"""Background jobs of the network policy app (queued on a clock by safesocial/jobs/schedule.py).

The snapshot holds the school calendar and sanctions with their end dates, so a nightly compile
keeps the enforcement points' copy fresh even on days nobody edits a rule.
"""

from __future__ import annotations

import logging
from typing import Any

from safesocial.enforce.snapshot import SnapshotError
from safesocial.jobs.services import job_handler
from safesocial.netpolicy.services import snapshot_compile
from safesocial.people.models import School

logger = logging.getLogger(__name__)


class CompileFailed(Exception):
    """Some schools' snapshots could not be compiled; the others were."""


@job_handler("netpolicy.compile_all", atomic=False)
def compile_all(payload: dict[str, Any]) -> None:
    # Each school compiles in its own transaction (snapshot_compile is atomic): a school whose
    # snapshot fails must not roll back the records of the snapshots already in place.
    failed = 0
    for school in School.objects.order_by("pk"):
        try:
            snapshot_compile(school=school, actor_label="nightly compile")
        except (SnapshotError, OSError):
            logger.exception("nightly compile failed for school %s", school.pk)
            failed += 1
    if failed:
        raise CompileFailed(f"{failed} school(s) not compiled; the job will try again")
