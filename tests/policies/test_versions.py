"""Versions, sign-off and approval (F4)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from safesocial.audit.models import AuditEntry
from safesocial.people.models import Person, Role, RoleAssignment, School
from safesocial.policies.diff import diff_rows
from safesocial.policies.models import PolicyVersion, SignOff
from safesocial.policies.services import (
    PolicyError,
    version_draft,
    version_sign,
    version_update,
)
from tests.conftest import Cast
from tests.policies.factories import BODY, BODY_V2, approved_policy, make_policy, signer

pytestmark = pytest.mark.django_db


def person(cast: Cast, name: str) -> Person:
    return Person.objects.get(user=cast[name])


@time_machine.travel(dt.datetime(2026, 9, 15, 10, 0, tzinfo=dt.UTC), tick=False)
def test_two_signatures_make_the_version_current_with_dates(cast: Cast) -> None:
    policy = make_policy(cast.school)
    version = version_draft(policy=policy, body=BODY, actor=cast["dsl"])
    first = version_sign(version=version, person=person(cast, "headteacher"), verified=True)
    version.refresh_from_db()
    assert first.role == "headteacher" and first.signed_at.year == 2026
    assert not version.is_approved  # one signature is not enough
    version_sign(version=version, person=person(cast, "chair"), verified=True)
    version.refresh_from_db()
    policy.refresh_from_db()
    assert version.is_approved and policy.current_version == version
    assert version.reviewed_on == dt.date(2026, 9, 15)
    assert version.next_review_on == dt.date(2027, 9, 15)  # at most 12 months later
    assert policy.next_review_due == dt.date(2027, 9, 15)
    assert AuditEntry.objects.filter(action="policies.version_approved").count() == 1


def test_shorter_review_cycle_sets_an_earlier_next_review(school: School) -> None:
    policy = approved_policy(school, review_cycle_months=6)
    assert policy.current_version is not None
    reviewed = policy.current_version.reviewed_on
    assert reviewed is not None and policy.next_review_due is not None
    assert (policy.next_review_due - reviewed).days in range(181, 185)


def test_approved_version_cannot_be_edited(school: School) -> None:
    policy = approved_policy(school)
    assert policy.current_version is not None
    with pytest.raises(PolicyError, match="approved and cannot be changed"):
        version_update(version=policy.current_version, body=BODY_V2, actor=None)
    policy.current_version.refresh_from_db()
    assert policy.current_version.body == BODY


def test_editing_a_draft_drops_its_signatures(cast: Cast) -> None:
    version = version_draft(policy=make_policy(cast.school), body=BODY, actor=None)
    version_sign(version=version, person=person(cast, "headteacher"), verified=True)
    version_update(version=version, body=BODY_V2, actor=cast["dsl"])
    assert SignOff.objects.filter(version=version).count() == 0


def test_bad_text_is_refused_and_nothing_saved(school: School) -> None:
    with pytest.raises(ValidationError):
        version_draft(policy=make_policy(school), body="No structure here.", actor=None)
    assert PolicyVersion.objects.count() == 0


def test_only_one_open_draft(school: School) -> None:
    policy = make_policy(school)
    version_draft(policy=policy, body=BODY, actor=None)
    with pytest.raises(PolicyError, match="still a draft"):
        version_draft(policy=policy, body=BODY_V2, actor=None)


def test_signature_needs_the_role_today_two_factor_and_two_people(cast: Cast) -> None:
    version = version_draft(policy=make_policy(cast.school), body=BODY, actor=None)
    head = person(cast, "headteacher")
    with pytest.raises(PolicyError, match="authenticator"):
        version_sign(version=version, person=head, verified=False)
    with pytest.raises(PolicyError, match="current headteacher"):
        version_sign(version=version, person=person(cast, "dsl"), verified=True)
    # The headteacher's role ended yesterday: no longer a signer.
    RoleAssignment.objects.filter(person=head, role=Role.HEADTEACHER).update(
        ends_on=dt.date.today() - dt.timedelta(days=1)
    )
    with pytest.raises(PolicyError, match="current headteacher"):
        version_sign(version=version, person=head, verified=True)
    # A chair who also holds the headteacher role still cannot sign twice.
    chair = person(cast, "chair")
    RoleAssignment.objects.create(
        school=cast.school, person=chair, role=Role.HEADTEACHER, starts_on=dt.date(2020, 1, 1)
    )
    version_sign(version=version, person=chair, verified=True)
    with pytest.raises(PolicyError, match="already signed"):
        version_sign(version=version, person=chair, verified=True)
    version.refresh_from_db()
    assert not version.is_approved and version.sign_offs.count() == 1


def test_new_version_replaces_current_and_diff_shows_the_change(school: School) -> None:
    policy = approved_policy(school)
    first = policy.current_version
    assert first is not None
    second = version_draft(policy=policy, body=BODY_V2, actor=None)
    assert second.number == 2
    for role in (Role.HEADTEACHER, Role.CHAIR_OF_TRUSTEES):
        version_sign(version=second, person=signer(school, role), verified=True)
    policy.refresh_from_db()
    first.refresh_from_db()
    assert policy.current_version == second and first.is_approved and first.body == BODY
    rows = diff_rows(first.body, second.body)
    assert [r.kind for r in rows if r.kind in ("added", "removed")] == ["removed", "added"]
    assert any("safe and well" in r.text for r in rows if r.kind == "added")
