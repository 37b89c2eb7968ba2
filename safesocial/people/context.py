"""Navigation that fits what the signed-in person may do in the school they are looking at."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from safesocial.access.core import memberships

# (capability, label, url name): shown when the member has the capability. Each app adds its
# own entries in <app>/navigation.py.
CORE_NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("school.view", "Home", "people:dashboard"),
    ("people.view", "People", "people:list"),
    ("people.import", "Import", "people:import"),
)
APP_NAVIGATION = ("policies", "concerns", "netpolicy", "channels", "monitoring", "reviews")
CLOSING_NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("audit.view", "Audit trail", "audit:list"),
)


def _navigation() -> tuple[tuple[str, str, str], ...]:
    items = list(CORE_NAVIGATION)
    for app in APP_NAVIGATION:
        items.extend(import_module(f"safesocial.{app}.navigation").ITEMS)
    return (*items, *CLOSING_NAVIGATION)


NAVIGATION = _navigation()


def navigation(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("school") if match else None
    items: list[dict[str, Any]] = []
    current_school = None
    member_schools = memberships(request.user) if request.user.is_authenticated else []
    for member in member_schools:
        if member.school.slug == slug:
            current_school = member.school
            for capability, label, name in NAVIGATION:
                if member.has(capability):
                    url = reverse(name, kwargs={"school": slug})
                    items.append({"label": label, "url": url, "active": request.path == url})
    return {
        "nav_items": items,
        "nav_school": current_school,
        "nav_schools": [m.school for m in member_schools],
    }
