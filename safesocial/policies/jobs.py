"""Background jobs of the policies app: the reminders (`safesocial policy-reminders`) and the
removal of copy requests past their retention period (also done by `retention-review`)."""

from __future__ import annotations

from typing import Any

from safesocial.jobs.services import job_handler
from safesocial.people.models import School
from safesocial.policies.services import copy_requests_remove_expired, reminders_run


# Each notice is its own transaction and its email goes when it commits (the notice is marked
# emailed once it went). Inside one big transaction a failed email would stop the rest with
# their notices already made; this way the job's retry sends what is left, the failed one
# first (notice_emails_owed).
@job_handler("policies.reminders", atomic=False)
def run_reminders(payload: dict[str, Any]) -> None:
    reminders_run()


@job_handler("policies.copy_requests_expire", atomic=False)
def remove_expired_copy_requests(payload: dict[str, Any]) -> None:
    """Copy requests past their retention period go, school by school, each school in its
    own transaction (copy_requests_remove_expired is atomic)."""
    for school in School.objects.order_by("pk"):
        copy_requests_remove_expired(school=school, actor_label="retention schedule")
