"""The demo network policy: idempotent, and the demo's sanctioned learner is blocked."""

from __future__ import annotations

import datetime as dt

import time_machine

from safesocial.enforce.engine import PolicyEngine
from safesocial.enforce.snapshot import load_snapshot
from safesocial.netpolicy.demo import load_demo_data
from safesocial.netpolicy.models import (
    ChannelPlatformAccess,
    CompiledSnapshot,
    RemoteLearningApproval,
    Rule,
    Sanction,
    Segment,
)
from safesocial.netpolicy.selectors import snapshot_path
from safesocial.people.models import Person, School

from .conftest import london

LOGINS = {
    "learner": Person.Kind.LEARNER,
    "learner-sanctioned": Person.Kind.LEARNER,
    "channel-manager": Person.Kind.SUPPORT_STAFF,
    "network-manager": Person.Kind.SUPPORT_STAFF,
    "dsl": Person.Kind.TEACHING_STAFF,
    "headteacher": Person.Kind.TEACHING_STAFF,
    "teacher": Person.Kind.TEACHING_STAFF,
}


def test_demo_policy_is_idempotent_and_enforced(school: School) -> None:
    for username, kind in LOGINS.items():
        Person.objects.create(
            school=school, kind=kind, first_name="Demo", last_name=username,
            network_username=username,
        )  # fmt: skip
    with time_machine.travel(london("2025-03-04T07:00"), tick=False):
        load_demo_data(school=school, today=dt.date(2025, 3, 4))
        load_demo_data(school=school, today=dt.date(2025, 3, 4))
    assert Segment.objects.filter(school=school).count() == 4
    assert Rule.objects.filter(school=school).count() == 2
    assert Sanction.objects.filter(school=school).count() == 1
    assert ChannelPlatformAccess.objects.filter(school=school).count() == 1
    approvals = list(RemoteLearningApproval.objects.filter(school=school))
    assert sorted(a.in_force for a in approvals) == [False, True]
    assert CompiledSnapshot.objects.filter(school=school).count() == 2
    engine = PolicyEngine(load_snapshot(snapshot_path(school)))
    at = london("2025-03-04T10:15")
    assert not engine.decide("learner-sanctioned", None, "www.bbc.co.uk", at).allowed
    assert not engine.decide("learner", "10.20.4.4", "www.tiktok.com", at).allowed
    assert engine.decide("learner", "10.20.4.4", "i.pinimg.com", at).allowed  # approved
    assert engine.decide("channel-manager", None, "www.facebook.com", at).allowed
    assert not engine.decide("teacher", None, "www.facebook.com", at).allowed
