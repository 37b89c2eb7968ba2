"""Rows of the route-by-role table (tests/access/test_routes.py) for the policies app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from safesocial.people.models import Person
from safesocial.policies.models import ActionItem, CopyRequest
from safesocial.policies.services import action_item_create, copy_request_create, review_record
from tests.access.route_helpers import EVERY_MEMBER, PUBLIC, ROLES, only
from tests.conftest import Cast
from tests.policies.factories import approved_policy, draft_version

EDITORS = {"headteacher", "dsl"}
REVIEWERS = {"headteacher", "chair", "trustee"}
ACTIONS = {"headteacher", "dsl", "chair", "trustee"}
STAFF_RECORDS = {"headteacher", "dsl", "office"}


def _policy(cast: Cast) -> int:
    return approved_policy(cast.school).pk


def _slug(cast: Cast) -> str:
    return approved_policy(cast.school).slug


def _approved_version(cast: Cast) -> int:
    version = approved_policy(cast.school).current_version
    assert version is not None
    return version.pk


def _draft(cast: Cast) -> int:
    return draft_version(cast.school).pk


def _review(cast: Cast) -> int:
    policy = approved_policy(cast.school)
    trustee = Person.objects.get(user=cast["trustee"])
    return review_record(
        policy=policy,
        held_on=dt.date(2026, 1, 10),
        trustees_present=[trustee],
        discussion="Discussed.",
        outcome="confirmed",
        deficiencies=[],
        actor=None,
    ).pk


def _action(cast: Cast) -> int:
    item: ActionItem = action_item_create(
        school=cast.school,
        title="Fix the filter",
        source=ActionItem.Source.MONITORING,
        owner=Person.objects.get(user=cast["network_manager"]),
        due_on=dt.date(2030, 1, 1),
    )
    return item.pk


def _copy_request(cast: Cast) -> int:
    item: CopyRequest = copy_request_create(
        policy=approved_policy(cast.school),
        format=CopyRequest.Format.BRAILLE,
        name="A Parent",
        contact="parent@example.org",
    )
    return item.pk


def _everyone(outcome: Any) -> dict[str, Any]:
    return {"anonymous": "login", "outsider": 404, **{r: outcome for r in ROLES[1:-1]}}


S = {"school": "test"}
ROUTES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "policies:index": ("GET", S, EVERY_MEMBER),
    "policies:setup": ("POST", S, only(EDITORS, two_factor=False, success="redirect")),
    "policies:detail": ("GET", {**S, "policy": _policy}, EVERY_MEMBER),
    "policies:settings": ("GET", {**S, "policy": _policy}, only(EDITORS, two_factor=False)),
    "policies:version_new": ("GET", {**S, "policy": _policy}, only(EDITORS, two_factor=False)),
    "policies:compare": ("GET", {**S, "policy": _policy}, EVERY_MEMBER),
    "policies:trigger_new": ("GET", {**S, "policy": _policy}, only(EDITORS, two_factor=False)),
    "policies:review_new": ("GET", {**S, "policy": _policy}, only(REVIEWERS)),
    # An empty POST (no tick) is refused with an explanation; the form is on the policy page.
    "policies:acknowledge": ("POST", {**S, "policy": _policy}, _everyone(400)),
    "policies:version": ("GET", {**S, "version": _approved_version}, EVERY_MEMBER),
    "policies:version_edit": ("GET", {**S, "version": _draft}, only(EDITORS, two_factor=False)),
    "policies:version_sign": (
        "POST",
        {**S, "version": _draft},
        only({"headteacher", "chair"}, success="redirect"),
    ),
    "policies:review": ("GET", {**S, "review": _review}, only(REVIEWERS)),
    "policies:action_plan": ("GET", S, only(ACTIONS)),
    "policies:action_edit": ("GET", {**S, "item": _action}, only(ACTIONS)),
    "policies:acknowledgements": ("GET", S, only(STAFF_RECORDS)),
    "policies:training": ("GET", S, only(STAFF_RECORDS)),
    "policies:copy_requests": ("GET", S, only({"office"})),
    "policies:copy_handled": (
        "POST",
        {**S, "item": _copy_request},
        only({"office"}, success="redirect"),
    ),
    "policies_public:detail": ("GET", {**S, "policy": _slug}, PUBLIC),
    "policies_public:pdf": ("GET", {**S, "policy": _slug}, PUBLIC),
    "policies_public:text": ("GET", {**S, "policy": _slug}, PUBLIC),
    "policies_public:request": ("GET", {**S, "policy": _slug}, PUBLIC),
    "policies_public:request_sent": ("GET", {**S, "policy": _slug}, PUBLIC),
}
