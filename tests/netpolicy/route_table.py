"""Rows of the route-by-role table (tests/access/test_routes.py) for the netpolicy app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from safesocial.netpolicy.models import (
    AddressAssignment,
    RemoteLearningApproval,
    Rule,
    Sanction,
    Segment,
)
from safesocial.people.models import Person
from tests.access.route_helpers import ROLES, only
from tests.conftest import Cast

VIEWERS = {"headteacher", "dsl", "deputy_dsl", "leadership", "network_manager"}
EDITORS = {"headteacher", "network_manager"}
SANCTIONERS = {"headteacher", "dsl", "deputy_dsl"}
SCHOOL = {"school": "test"}


def _rule(cast: Cast) -> int:
    return Rule.objects.create(
        school=cast.school,
        action="deny",
        when="school_hours",
        clause="6",
        reason="Learners do not use personal social media in school hours",
        groups=["learners"],
        categories=["social"],
    ).pk


def _sanction(cast: Cast) -> int:
    now = timezone.now()
    return Sanction.objects.create(
        school=cast.school,
        person=Person.objects.get(user=cast["learner"]),
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=2),
        reason="Test",
    ).pk


def _approval(cast: Cast) -> int:
    return RemoteLearningApproval.objects.create(
        school=cast.school,
        service_id="pinterest",
        groups=["learners"],
        purpose="Art mood boards",
        risk_assessment="Assessed.",
        proposed_by=Person.objects.get(user=cast["network_manager"]),
        proposed_at=timezone.now(),
    ).pk


def _segment(cast: Cast) -> int:
    return Segment.objects.create(
        school=cast.school,
        name="learner-devices",
        label="Learner devices",
        cidrs="10.20.0.0/16",
        kind="school-owned",
        expected_groups=["learners"],
    ).pk


def _address(cast: Cast) -> int:
    return AddressAssignment.objects.create(
        school=cast.school, address="10.20.9.9", device="Library kiosk"
    ).pk


def _signers() -> dict[str, Any]:
    # Any viewer may open the page; only the DSL and the headteacher may sign. A signer
    # who posts without saying in which capacity is sent back with a message.
    outcome = only(VIEWERS, two_factor=False)
    for role in VIEWERS:
        outcome[role] = 403
    for role in ("headteacher", "headteacher_no_2fa", "dsl", "dsl_no_2fa"):
        outcome[role] = "redirect"
    assert set(outcome) == set(ROLES)
    return outcome


ROUTES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "netpolicy:rules": ("GET", SCHOOL, only(VIEWERS, two_factor=False)),
    "netpolicy:rule_add": ("GET", SCHOOL, only(EDITORS, two_factor=False)),
    "netpolicy:rule_edit": (
        "GET",
        {**SCHOOL, "rule": _rule},
        only(EDITORS, two_factor=False),
    ),
    "netpolicy:rule_delete": (
        "GET",
        {**SCHOOL, "rule": _rule},
        only(EDITORS, two_factor=False),
    ),
    "netpolicy:rule_move": (
        "POST",
        {**SCHOOL, "rule": _rule},
        only(EDITORS, two_factor=False, success="redirect"),
    ),
    "netpolicy:segments": ("GET", SCHOOL, only(VIEWERS, two_factor=False)),
    "netpolicy:segment_add": ("GET", SCHOOL, only(EDITORS, two_factor=False)),
    "netpolicy:segment_edit": (
        "GET",
        {**SCHOOL, "segment": _segment},
        only(EDITORS, two_factor=False),
    ),
    "netpolicy:addresses": ("GET", SCHOOL, only(VIEWERS, two_factor=False)),
    "netpolicy:address_add": ("GET", SCHOOL, only(EDITORS, two_factor=False)),
    "netpolicy:address_edit": (
        "GET",
        {**SCHOOL, "assignment": _address},
        only(EDITORS, two_factor=False),
    ),
    "netpolicy:address_delete": (
        "GET",
        {**SCHOOL, "assignment": _address},
        only(EDITORS, two_factor=False),
    ),
    "netpolicy:catalogue": ("GET", SCHOOL, only(VIEWERS, two_factor=False)),
    "netpolicy:service_add": ("GET", SCHOOL, only(EDITORS, two_factor=False)),
    "netpolicy:sanctions": ("GET", SCHOOL, only(SANCTIONERS)),
    "netpolicy:sanction_end": (
        "POST",
        {**SCHOOL, "sanction": _sanction},
        only(SANCTIONERS, success="redirect"),
    ),
    "netpolicy:approvals": ("GET", SCHOOL, only(VIEWERS, two_factor=False)),
    "netpolicy:approval_sign": ("POST", {**SCHOOL, "approval": _approval}, _signers()),
}
