"""`safesocial policy-reminders`: send the reminders due today (run it daily; safe to repeat).

Review reminders go to the policy's owner 2 months, 1 month and 1 week before the due date and
on it; overdue reviews and overdue action-plan items alert the headteacher; staff and volunteers
are asked once per new version to accept the code of conduct, AUP and social media policy.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from safesocial.policies.services import reminders_run


class Command(BaseCommand):
    help = "Send today's policy review, action-plan and acknowledgement reminders (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_run()
        self.stdout.write(f"{sent} reminder(s) sent.")
