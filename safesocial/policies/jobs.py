"""Background jobs of the policies app: `job_enqueue(kind="policies.reminders")` runs the
same reminders as `safesocial policy-reminders`."""

from __future__ import annotations

from typing import Any

from safesocial.jobs.services import job_handler
from safesocial.policies.services import reminders_run


@job_handler("policies.reminders")
def run_reminders(payload: dict[str, Any]) -> None:
    reminders_run()
