"""Background jobs of the network policy app (queued on a clock by safesocial/jobs/schedule.py).

The snapshot holds the school calendar and sanctions with their end dates, so a nightly compile
keeps the enforcement points' copy fresh even on days nobody edits a rule.
"""

from __future__ import annotations

from typing import Any

from safesocial.jobs.services import job_handler
from safesocial.netpolicy.services import snapshot_compile
from safesocial.people.models import School


@job_handler("netpolicy.compile_all")
def compile_all(payload: dict[str, Any]) -> None:
    for school in School.objects.order_by("pk"):
        snapshot_compile(school=school, actor_label="nightly compile")
