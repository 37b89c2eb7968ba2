"""Every route of the project, for every role and an anonymous visitor, from one table.

A route missing from the table fails the suite, so a new page cannot ship without its row.
Rows for each app live in tests/<app>/route_table.py (shorthands in route_helpers.py); a
kwargs value may be a callable taking the cast and returning the id of a record it makes.
Outcomes: "ok" (2xx), "login" (redirect to sign-in), "2fa" (redirect to the second factor),
"redirect" (any other redirect), 403, 404, 405.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safesocial.people.models import Person
from tests.access.route_helpers import EVERY_MEMBER, PUBLIC, ROLES, only
from tests.conftest import Cast

# url name -> (method, kwargs, outcomes by role)
ROUTES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "home": ("GET", {}, {"anonymous": "login", **{r: "redirect" for r in ROLES[1:]}}),
    "login": ("GET", {}, {"anonymous": "ok", **{r: "redirect" for r in ROLES[1:]}}),
    "logout": ("GET", {}, dict.fromkeys(ROLES, 405)),
    "two_factor": ("GET", {}, {"anonymous": "login", **{r: "ok" for r in ROLES[1:]}}),
    "public_school": ("GET", {"school": "test"}, PUBLIC),
    "people:dashboard": ("GET", {"school": "test"}, EVERY_MEMBER),
    "people:list": (
        "GET",
        {"school": "test"},
        only({"headteacher", "dsl", "deputy_dsl", "leadership", "office"}),
    ),
    "people:import": (
        "GET",
        {"school": "test"},
        only({"headteacher", "dsl", "deputy_dsl", "office"}),
    ),
    "people:person": (
        "GET",
        {"school": "test", "person": lambda cast: Person.objects.get(user=cast["teacher"]).pk},
        only({"headteacher", "dsl", "deputy_dsl", "leadership", "office"}),
    ),
    "people:role_assign": (
        "POST",
        {"school": "test", "person": lambda cast: Person.objects.get(user=cast["teacher"]).pk},
        only({"headteacher"}, success=400),  # an empty form: refused field by field
    ),
    "people:role_end": (
        "POST",
        {
            "school": "test",
            "assignment": lambda cast: (
                Person.objects.get(user=cast["dsl"]).role_assignments.get().pk
            ),
        },
        only({"headteacher"}, success="redirect"),
    ),
    "audit:list": ("GET", {"school": "test"}, only({"headteacher", "dsl"})),
    "audit:head": ("GET", {"school": "test"}, only({"headteacher", "dsl"})),
    "end_sessions": (
        "POST",
        {"school": "test", "person": lambda cast: Person.objects.get(user=cast["teacher"]).pk},
        only({"headteacher"}, success="redirect"),
    ),
}


for _app in ("policies", "concerns", "netpolicy", "monitoring", "channels", "reviews"):
    # Each app keeps its rows in tests/<app>/route_table.py.
    ROUTES.update(import_module(f"tests.{_app}.route_table").ROUTES)


def _route_names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"
        elif isinstance(pattern, URLPattern):
            yield f"<unnamed {pattern.pattern}>"


def test_every_route_is_in_the_table() -> None:
    names = set(_route_names(get_resolver().url_patterns))
    assert names - set(ROUTES) == set(), "add these routes to ROUTES with their expected outcomes"
    assert set(ROUTES) - names == set(), "these table rows name routes that no longer exist"


def test_every_row_names_every_role() -> None:
    for name, (_, _, outcomes) in ROUTES.items():
        assert set(outcomes) == set(ROLES), name


def _client_for(role: str, cast: Cast) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    base = role.removesuffix("_no_2fa")
    user = cast[base]
    client.force_login(user)
    if not role.endswith("_no_2fa"):
        device = TOTPDevice.objects.get(user=user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _outcome(response: Any) -> Any:
    if 200 <= response.status_code < 300:
        return "ok"
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("login")):
            return "login"
        if location.startswith(reverse("two_factor")):
            return "2fa"
        return "redirect"
    return response.status_code


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_outcome_for_every_role(name: str, cast: Cast) -> None:
    """One cast per route; each role's request runs in a savepoint that is rolled back, so a
    change made by one role (a POST that succeeds) never changes what the next role meets."""
    method, kwargs, outcomes = ROUTES[name]
    # A callable value makes the record the route needs, from the cast (e.g. a concern id).
    kwargs = {key: value(cast) if callable(value) else value for key, value in kwargs.items()}
    url = reverse(name, kwargs=kwargs)
    wrong: list[str] = []
    for role in ROLES:
        with transaction.atomic():
            client = _client_for(role, cast)
            response = client.post(url) if method == "POST" else client.get(url)
            outcome = _outcome(response)
            transaction.set_rollback(True)
        if outcome != outcomes[role]:
            wrong.append(f"{role}: expected {outcomes[role]!r}, got {outcome!r}")
    assert not wrong, f"{method} {url}\n" + "\n".join(wrong)


def test_unknown_school_is_404_for_members(cast: Cast) -> None:
    client = _client_for("headteacher", cast)
    assert client.get("/s/no-such-school/").status_code == 404
    assert client.get("/p/no-such-school/").status_code == 404
