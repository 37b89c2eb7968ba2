"""The menu: one entry per section the person may open, and a sub-menu for the section a page
is in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import resolve

from safesocial.people.context import SECTIONS, navigation
from tests.conftest import Cast


def menu(user: User, path: str) -> dict[str, Any]:
    request = RequestFactory().get(path)
    request.user = user
    request.resolver_match = resolve(path)
    return navigation(request)


def test_headteacher_gets_sections_not_every_page(cast: Cast) -> None:
    context = menu(cast["headteacher"], "/s/test/")
    labels = [entry["label"] for entry in context["nav_items"]]
    assert labels[0] == "Home" and "Safeguarding" in labels and "Audit trail" in labels
    assert len(labels) == len(set(labels)) <= len(SECTIONS)
    pages = sum(len(section.items) for section in SECTIONS)
    assert len(labels) < pages  # grouped: fewer entries than pages
    home = context["nav_items"][0]
    assert home["active"] and home["current"]
    assert context["nav_sub_items"] == []  # Home has one page: no sub-menu


def test_a_case_page_is_under_safeguarding_cases(cast: Cast) -> None:
    context = menu(cast["dsl"], "/s/test/concerns/cases/")
    active = [entry for entry in context["nav_items"] if entry["active"]]
    assert [entry["label"] for entry in active] == ["Safeguarding"]
    assert context["nav_section"] == "Safeguarding"
    sub = {item["label"]: item for item in context["nav_sub_items"]}
    assert sub["Cases"]["active"] and sub["Cases"]["current_section"]
    assert not sub["Safeguarding dashboard"]["active"]
    # The section's entry opens its first page the DSL may open, not the case list.
    entry = active[0]
    assert entry["url"] == "/s/test/concerns/report/" and not entry["current"]


def test_a_deeper_page_marks_its_section_but_is_not_the_current_page(cast: Cast) -> None:
    context = menu(cast["headteacher"], "/s/test/network/sanctions/1/end/")
    sub = {item["label"]: item for item in context["nav_sub_items"]}
    assert sub["Internet sanctions"]["current_section"]
    assert not sub["Internet sanctions"]["active"]  # not the sanctions list itself
    assert not sub["Rules"].get("current_section")


def test_teacher_sees_only_what_they_may_open(cast: Cast) -> None:
    labels = [entry["label"] for entry in menu(cast["teacher"], "/s/test/")["nav_items"]]
    assert "People" not in labels and "Audit trail" not in labels and "Network" not in labels
    assert "Safeguarding" in labels


def test_no_menu_for_a_school_the_person_is_not_a_member_of(cast: Cast) -> None:
    context = menu(cast["outsider"], "/s/test/")
    assert context["nav_items"] == [] and context["nav_sub_items"] == []
