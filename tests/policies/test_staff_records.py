"""Acknowledgements of the current code of conduct, AUP and social media policy; training (4)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from safesocial.people.models import Person, Role
from safesocial.policies.models import PolicyKind, TrainingRecord
from safesocial.policies.selectors import (
    acknowledgement_report,
    has_acknowledged_current,
    training_report,
)
from safesocial.policies.services import (
    PolicyError,
    acknowledgement_record,
    training_record,
    version_draft,
    version_sign,
)
from tests.conftest import Cast
from tests.policies.factories import BODY, BODY_V2, approved_policy, signer

pytestmark = pytest.mark.django_db


def person(cast: Cast, name: str) -> Person:
    return Person.objects.get(user=cast[name])


def test_new_version_reopens_acknowledgement(cast: Cast) -> None:
    teacher = person(cast, "teacher")
    assert not has_acknowledged_current(person=teacher, policy_kind="acceptable_use")
    aup = approved_policy(cast.school, PolicyKind.ACCEPTABLE_USE)
    assert aup.current_version is not None
    first = aup.current_version
    acknowledgement_record(person=teacher, version=first)
    acknowledgement_record(person=teacher, version=first)  # twice is once
    assert has_acknowledged_current(person=teacher, policy_kind="acceptable_use")
    second = version_draft(policy=aup, body=BODY_V2, actor=None)
    for role in (Role.HEADTEACHER, Role.CHAIR_OF_TRUSTEES):
        version_sign(version=second, person=signer(cast.school, role), verified=True)
    assert not has_acknowledged_current(person=teacher, policy_kind="acceptable_use")
    with pytest.raises(PolicyError, match="newer version"):
        acknowledgement_record(person=teacher, version=first)


def test_only_staff_and_volunteers_and_only_the_three_policies(cast: Cast) -> None:
    social = approved_policy(cast.school, PolicyKind.SOCIAL_MEDIA)
    other = approved_policy(cast.school, PolicyKind.COMPLAINTS)
    assert social.current_version and other.current_version
    with pytest.raises(PolicyError, match="staff and volunteers"):
        acknowledgement_record(person=person(cast, "learner"), version=social.current_version)
    with pytest.raises(PolicyError, match="does not ask"):
        acknowledgement_record(person=person(cast, "teacher"), version=other.current_version)
    acknowledgement_record(person=person(cast, "volunteer"), version=social.current_version)


def test_school_wide_percentage(cast: Cast) -> None:
    policies = [
        approved_policy(cast.school, kind, body=BODY)
        for kind in (PolicyKind.SOCIAL_MEDIA, PolicyKind.ACCEPTABLE_USE, PolicyKind.CODE_OF_CONDUCT)
    ]
    teacher = person(cast, "teacher")
    for policy in policies:
        assert policy.current_version is not None
        acknowledgement_record(person=teacher, version=policy.current_version)
    report = acknowledgement_report(cast.school)
    staff = {row.person.pk: row for row in report.rows}
    assert staff[teacher.pk].complete
    assert person(cast, "learner").pk not in staff and person(cast, "chair").pk not in staff
    assert report.complete_count == 1
    assert report.percentage == round(100 / len(report.rows))


@time_machine.travel(dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC), tick=False)
def test_training_due_and_overdue(cast: Cast) -> None:
    new = person(cast, "teacher")
    new.start_date = dt.date(2026, 9, 25)
    new.save()
    late = person(cast, "volunteer")
    late.start_date = dt.date(2026, 8, 1)
    late.save()
    lapsed = person(cast, "network_manager")
    training_record(
        person=lapsed,
        kind=TrainingRecord.Kind.INDUCTION,
        completed_on=dt.date(2025, 9, 1),
        actor=None,
    )
    fine = person(cast, "channel_manager")
    training_record(
        person=fine,
        kind=TrainingRecord.Kind.INDUCTION,
        completed_on=dt.date(2026, 9, 1),
        actor=None,
    )
    rows = {row.person.pk: row for row in training_report(cast.school)}
    assert rows[new.pk].status == "due" and rows[new.pk].induction_due == dt.date(2026, 10, 15)
    assert rows[late.pk].status == "overdue"
    assert rows[lapsed.pk].status == "overdue" and "Refresher" in rows[lapsed.pk].reason
    assert rows[fine.pk].status == "current"
    assert rows[fine.pk].expires_on == dt.date(2027, 9, 1)
    with pytest.raises(ValidationError):
        training_record(
            person=fine, kind="refresher", completed_on=dt.date(2026, 10, 2), actor=None
        )
    with pytest.raises(PolicyError):
        training_record(
            person=person(cast, "learner"),
            kind="induction",
            completed_on=dt.date(2026, 9, 1),
            actor=None,
        )
