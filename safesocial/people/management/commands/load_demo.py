"""`safesocial load-demo`: create or refresh the fictional demo school."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from safesocial.people.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo
from safesocial.people.models import Person


class Command(BaseCommand):
    help = "Create (or refresh, without duplicating) the demo trust and its school 'demo'."

    def handle(self, *args: Any, **options: Any) -> None:
        school = load_demo()
        people = Person.objects.for_school(school)
        self.stdout.write(
            f"Demo school '{school.slug}': "
            f"{people.filter(kind__in=Person.STAFF_KINDS).count()} staff, "
            f"{people.filter(kind=Person.Kind.LEARNER).count()} learners, "
            f"{people.filter(kind=Person.Kind.PARENT).count()} parents and carers."
        )
        self.stdout.write(f"Demo logins (password '{DEMO_PASSWORD}'):")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<20} {login.description}")
        self.stdout.write(
            f"Accounts that need a second factor use the TOTP secret {DEMO_TOTP_SECRET} "
            "(add it to any authenticator app, or run: safesocial demo-totp)."
        )
