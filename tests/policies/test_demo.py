"""The demo: model policy and linked stubs, current and signed; loading twice adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from safesocial.policies.demo import load_demo_data
from safesocial.policies.models import (
    Acknowledgement,
    Policy,
    PolicyVersion,
    SignOff,
    TrainingRecord,
)
from safesocial.policies.selectors import has_acknowledged_current
from safesocial.policies.structure import parse_policy
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_demo_policies_are_current_signed_and_idempotent(cast: Cast) -> None:
    today = dt.date.today()
    load_demo_data(school=cast.school, today=today)
    counts = [
        model.objects.count()
        for model in (Policy, PolicyVersion, SignOff, Acknowledgement, TrainingRecord)
    ]
    load_demo_data(school=cast.school, today=today)
    again = [
        model.objects.count()
        for model in (Policy, PolicyVersion, SignOff, Acknowledgement, TrainingRecord)
    ]
    assert counts == again and counts[0] == 16
    social = Policy.objects.get(school=cast.school, slug="social-media")
    assert social.current_version is not None
    assert {s.role for s in social.current_version.sign_offs.all()} == {"headteacher", "chair"}
    assert parse_policy(social.current_version.body).section_refs[0] == "F1"
    assert not Policy.objects.filter(current_version__isnull=True).exists()
    teacher = cast["teacher"].people.get()
    assert has_acknowledged_current(person=teacher, policy_kind="social_media")
    assert not has_acknowledged_current(person=teacher, policy_kind="acceptable_use")
