"""Navigation that fits what the signed-in person may do in the school they are looking at.

The menu shows one entry per *section* (Home, People, Policies, Safeguarding, ...), linking to
the first page of that section the person may open; the section they are in also gets a
sub-menu with its other pages. A headteacher sees about ten entries instead of twenty.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, NamedTuple

from django.http import HttpRequest
from django.urls import reverse

from safesocial.access.core import memberships

# (capability, label, url name): shown when the member has the capability.
Item = tuple[str, str, str]


class Section(NamedTuple):
    label: str
    items: tuple[Item, ...]


CORE_SECTIONS: tuple[Section, ...] = (
    Section("Home", (("school.view", "Home", "people:dashboard"),)),
    Section(
        "People",
        (
            ("people.view", "All people", "people:list"),
            ("people.import", "Import from MIS", "people:import"),
        ),
    ),
)
# Each app adds one section: SECTION (its label) and ITEMS in <app>/navigation.py.
APP_NAVIGATION = ("policies", "concerns", "netpolicy", "monitoring", "channels", "reviews")
CLOSING_SECTIONS: tuple[Section, ...] = (
    Section("Audit trail", (("audit.view", "Audit trail", "audit:list"),)),
)


def _sections() -> tuple[Section, ...]:
    sections = list(CORE_SECTIONS)
    for app in APP_NAVIGATION:
        module = import_module(f"safesocial.{app}.navigation")
        sections.append(Section(module.SECTION, tuple(module.ITEMS)))
    return (*sections, *CLOSING_SECTIONS)


SECTIONS = _sections()
NAVIGATION: tuple[Item, ...] = tuple(item for section in SECTIONS for item in section.items)


def _is_within(path: str, url: str) -> bool:
    return path == url or (url.endswith("/") and path.startswith(url))


def navigation(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("school") if match else None
    sections: list[dict[str, Any]] = []
    current_school = None
    member_schools = memberships(request.user) if request.user.is_authenticated else []
    for member in member_schools:
        if member.school.slug != slug:
            continue
        current_school = member.school
        for section in SECTIONS:
            items = [
                {"label": label, "url": reverse(name, kwargs={"school": slug}), "active": False}
                for capability, label, name in section.items
                if member.has(capability)
            ]
            if items:
                sections.append({"label": section.label, "items": items, "active": False})
    # The page belongs to the entry whose address is the longest prefix of its own, so
    # /s/x/concerns/cases/12/ is under "Cases" and the school home only matches itself.
    school_home = reverse("people:dashboard", kwargs={"school": slug}) if sections else ""
    best: tuple[int, dict[str, Any], dict[str, Any]] | None = None
    for section_entry in sections:
        for item in section_entry["items"]:
            url = item["url"]
            within = request.path == url if url == school_home else _is_within(request.path, url)
            if within and (best is None or len(url) > best[0]):
                best = (len(url), section_entry, item)
    current_section = None
    if best is not None:
        _, current_section, current_item = best
        current_section["active"] = True
        current_item["active"] = request.path == current_item["url"]
        current_item["current_section"] = True
    nav_items = [
        {
            "label": entry["label"],
            "url": entry["items"][0]["url"],
            "active": entry["active"],
            "current": entry["active"] and request.path == entry["items"][0]["url"],
        }
        for entry in sections
    ]
    sub_items = (
        current_section["items"] if current_section and len(current_section["items"]) > 1 else []
    )
    return {
        "nav_items": nav_items,
        "nav_section": current_section["label"] if sub_items and current_section else "",
        "nav_sub_items": sub_items,
        "nav_school": current_school,
        "nav_schools": [m.school for m in member_schools],
    }
