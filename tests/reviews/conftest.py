"""A school with exact, known numbers for the compliance map and the review pack.

"Today" is 15 June 2026 and the pack's period is 1 January to 30 June 2026.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from safesocial.channels.models import Channel, Consent
from safesocial.concerns.categories import RULES, Category
from safesocial.concerns.models import Concern, Debrief, Declaration, Proposal
from safesocial.people.models import Person, Role, School
from safesocial.policies.models import (
    Acknowledgement,
    ActionItem,
    FormalReview,
    Policy,
    PolicyKind,
    PolicyVersion,
    TrainingRecord,
)
from tests.conftest import MakeMember

TODAY = dt.date(2026, 6, 15)
PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
# Names that must never appear on the trust's page.
NAMES = ("Ottoline", "Bartholomew", "Perpetua", "Quillon", "Ximena", "Wilberforce", "Zebedee")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(at(TODAY, 12), tick=False):
        yield


@pytest.fixture
def no_monitoring(tmp_path: Path, settings: Any) -> Path:
    settings.VAR_DIR = tmp_path / "var"
    return Path(settings.VAR_DIR)


@dataclass
class Known:
    school: School
    head: User
    teacher: User
    staff: list[Person]
    concern_categories: list[str]  # of the concerns reported in the period
    concern_outcomes: list[str]  # "" for those still open


def _concern(school: School, ref: str, category: str, day: dt.date, **extra: Any) -> Concern:
    return Concern.objects.create(
        school=school,
        reference=ref,
        category=category,
        route=RULES[category].route,
        reporter_kind=Concern.ReporterKind.STAFF,
        what="Something happened.",
        reported_at=at(day),
        **extra,
    )


@pytest.fixture
def known(school: School, make_member: MakeMember, frozen: None, no_monitoring: Path) -> Known:
    head = make_member(school, "head", roles=(Role.HEADTEACHER,), totp=True, first_name=NAMES[0])
    dsl = make_member(school, "dsl", roles=(Role.DSL,), totp=True, first_name=NAMES[1])
    teacher = make_member(school, "teacher", first_name=NAMES[2])
    t2 = make_member(school, "t2", kind=Person.Kind.SUPPORT_STAFF, first_name=NAMES[3])
    t3 = make_member(school, "t3", first_name=NAMES[4])
    make_member(
        school,
        "chair",
        kind=Person.Kind.TRUSTEE,
        roles=(Role.CHAIR_OF_TRUSTEES,),
        totp=True,
        first_name=NAMES[5],
    )
    staff = [Person.objects.get(user=u) for u in (head, dsl, teacher, t2, t3)]
    head_p, dsl_p, t1_p, t2_p, _t3 = staff

    # The AUP, current and approved; 4 of the 5 staff accepted it.
    aup = Policy.objects.create(
        school=school, kind=PolicyKind.ACCEPTABLE_USE, slug="aup", title="Acceptable use policy"
    )
    version = PolicyVersion.objects.create(
        school=school,
        policy=aup,
        number=1,
        status=PolicyVersion.Status.APPROVED,
        body="# AUP",
        created_at=at(dt.date(2025, 9, 1)),
        updated_at=at(dt.date(2025, 9, 1)),
        approved_at=at(dt.date(2025, 9, 2)),
    )
    aup.current_version = version
    aup.save()
    for person in (head_p, dsl_p, t1_p, t2_p):
        Acknowledgement.objects.create(
            school=school, person=person, version=version, accepted_at=at(dt.date(2025, 9, 5))
        )
    # The social media policy: no approved version yet, review overdue since 1 May 2026.
    social = Policy.objects.create(
        school=school,
        kind=PolicyKind.SOCIAL_MEDIA,
        slug="social",
        title="Social media policy",
        next_review_due=dt.date(2026, 5, 1),
    )
    FormalReview.objects.create(
        school=school,
        policy=social,
        held_on=dt.date(2026, 3, 10),
        discussion="Discussed.",
        outcome=FormalReview.Outcome.REVISE,
        recorded_at=at(dt.date(2026, 3, 10)),
    )

    # Training: 2 current, 2 due (one refresher soon, one with no induction), 1 overdue.
    def train(person: Person, done: dt.date, expires: dt.date) -> None:
        TrainingRecord.objects.create(
            school=school,
            person=person,
            kind=TrainingRecord.Kind.INDUCTION,
            completed_on=done,
            expires_on=expires,
            recorded_at=at(done),
        )

    train(head_p, dt.date(2026, 1, 10), dt.date(2027, 1, 10))
    train(dsl_p, dt.date(2026, 1, 10), dt.date(2027, 1, 10))
    train(t1_p, dt.date(2024, 5, 1), dt.date(2026, 5, 1))
    train(t2_p, dt.date(2024, 7, 1), dt.date(2026, 7, 1))

    # Concerns: 3 in the period of two categories, 1 before it.
    _concern(school, "C-OLD", Category.BULLYING, dt.date(2025, 12, 1))
    closed = _concern(
        school,
        "C-1",
        Category.BULLYING,
        dt.date(2026, 2, 3),
        status=Concern.Status.CLOSED,
        outcome=Concern.Outcome.SUBSTANTIATED,
        closed_at=at(dt.date(2026, 2, 20)),
    )
    _concern(school, "C-2", Category.BULLYING, dt.date(2026, 3, 4))
    _concern(
        school,
        "C-3",
        Category.DEVICE_MISUSE,
        dt.date(2026, 4, 5),
        status=Concern.Status.CLOSED,
        outcome=Concern.Outcome.NO_FURTHER_ACTION,
        closed_at=at(dt.date(2026, 4, 9)),
    )
    debrief = Debrief.objects.create(
        school=school,
        concern=closed,
        what_happened="Messages in a group chat.",
        lessons="Learners did not know how to report.",
        recorded_by=dsl_p,
        recorded_at=at(dt.date(2026, 2, 20)),
    )

    # Action plan: 2 overdue, 1 open and not yet due (from the debrief), 1 done in the period.
    def item(
        title: str, due: dt.date, status: str = ActionItem.Status.OPEN, **extra: Any
    ) -> ActionItem:
        return ActionItem.objects.create(
            school=school,
            title=title,
            source=ActionItem.Source.OTHER,
            owner=head_p,
            due_on=due,
            status=status,
            created_at=at(dt.date(2026, 1, 15)),
            **extra,
        )

    item("Overdue one", dt.date(2026, 5, 1))
    item("Overdue two", dt.date(2026, 6, 1), ActionItem.Status.IN_PROGRESS)
    linked = item("Teach reporting", dt.date(2026, 7, 30))
    item(
        "Done",
        dt.date(2026, 3, 1),
        ActionItem.Status.DONE,
        evidence="Done.",
        completed_on=dt.date(2026, 3, 1),
    )
    Proposal.objects.create(
        school=school,
        debrief=debrief,
        kind=Proposal.Kind.POLICY,
        text="Add how to report to the policy",
        becomes=Proposal.Becomes.ACTION_ITEM,
        linked_id=str(linked.pk),
    )

    # One declaration, not yet decided.
    learner = Person.objects.create(
        school=school, kind=Person.Kind.LEARNER, first_name=NAMES[6], last_name="Learner"
    )
    other = Person.objects.create(
        school=school, kind=Person.Kind.LEARNER, first_name="Second", last_name="Learner"
    )
    parent = Person.objects.create(
        school=school, kind=Person.Kind.PARENT, first_name="Pat", last_name="Parent"
    )
    Declaration.objects.create(
        school=school,
        staff=t1_p,
        learner=learner,
        relationship="Neighbours.",
        declared_at=at(dt.date(2026, 2, 1)),
    )

    # One channel approved on 1 February 2026; consent for both purposes for 1 of 2 learners.
    Channel.objects.create(
        school=school,
        service_id="facebook",
        account_name="Test School News",
        address="https://example.org/news",
        purpose="News",
        objectives="Inform",
        intended_outcomes="Parents informed",
        status=Channel.Status.ACTIVE,
        approved_by=head_p,
        approved_on=dt.date(2026, 2, 1),
    )
    for learner_p, purposes in ((learner, ("social_media", "website")), (other, ("website",))):
        for purpose in purposes:
            Consent.objects.create(
                school=school,
                learner=learner_p,
                purpose=purpose,
                given_by=parent,
                evidence=Consent.Evidence.SIGNED_FORM,
                given_on=dt.date(2025, 9, 1),
                expires_on=dt.date(2026, 8, 31),
            )
    return Known(
        school=school,
        head=head,
        teacher=teacher,
        staff=staff,
        concern_categories=[Category.BULLYING, Category.BULLYING, Category.DEVICE_MISUSE],
        concern_outcomes=[Concern.Outcome.SUBSTANTIATED, "", Concern.Outcome.NO_FURTHER_ACTION],
    )
