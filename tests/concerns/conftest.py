"""Helpers for the concerns tests: people of the cast as records, and concerns made quickly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User

from safesocial.concerns.categories import Category
from safesocial.concerns.models import Concern, Involvement
from safesocial.concerns.services import Involved, concern_report
from safesocial.people.models import ParentLink, Person, School
from tests.conftest import Cast


def person_of(user: User) -> Person:
    return Person.objects.get(user=user)


def verified(user: User) -> User:
    """As after the second factor: the access module reads user.is_verified()."""
    user.is_verified = lambda: True  # type: ignore[attr-defined]
    if hasattr(user, "_safesocial_memberships"):
        del user._safesocial_memberships
    return user


@pytest.fixture
def learner_family(cast: Cast) -> tuple[Person, Person]:
    learner = person_of(cast["learner"])
    learner.date_of_birth = dt.date(2012, 5, 1)
    learner.save(update_fields=["date_of_birth"])
    parent = person_of(cast["parent"])
    ParentLink.objects.create(
        school=cast.school, parent=parent, learner=learner, parental_responsibility=True
    )
    return learner, parent


def report(
    school: School,
    *,
    by: Person | None = None,
    category: str = Category.BULLYING,
    about: Person | None = None,
    affected: Person | None = None,
    **extra: Any,
) -> Concern:
    involved = [Involved(Involvement.Part.AFFECTED, person=affected)] if affected else []
    return concern_report(
        school=school,
        category=category,
        what="Messages in a group chat upset a pupil.",
        reporter_kind=Concern.ReporterKind.STAFF if by else Concern.ReporterKind.ANONYMOUS,
        reporter=by,
        subject_staff=about,
        involved=involved,
        **extra,
    )


@pytest.fixture
def mail_outbox(settings: Any) -> Any:
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox
