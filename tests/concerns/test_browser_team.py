"""Adding someone to an allegation case in a real browser, checked with axe-core: who can be
added is on the page, and a person who cannot open the case is an error by the field."""

from __future__ import annotations

from typing import Any

import pytest

from safesocial.concerns.categories import Category
from safesocial.concerns.models import CaseMember
from tests.browser.conftest import assert_accessible, browser, page  # noqa: F401 (fixtures)
from tests.browser.test_channels import second_factor
from tests.browser.test_pages import sign_in
from tests.concerns.conftest import person_of, report
from tests.conftest import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_adding_to_an_allegation_case(page: Any, live_server: Any, cast: Cast) -> None:  # noqa: F811
    concern = report(
        cast.school,
        by=person_of(cast["volunteer"]),
        category=Category.ALLEGATION,
        about=person_of(cast["teacher"]),
    )
    base = live_server.url
    url = f"{base}/s/test/concerns/cases/{concern.pk}/"
    sign_in(page, base, "headteacher", check=False)
    page.wait_for_url(f"{base}/s/test/**")
    page.goto(url)
    second_factor(page, base)
    page.wait_for_url(url)
    assert "You can add: Chair Tester." in page.content()
    page.get_by_text("Add someone to the case").click()
    page.locator("#id_team-person").select_option(value=str(person_of(cast["dsl"]).pk))
    page.get_by_role("button", name="Add to the case").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert "cannot open allegation cases" in page.content()
    assert_accessible(page)
    page.locator("#id_team-person").select_option(value=str(person_of(cast["chair"]).pk))
    page.get_by_role("button", name="Add to the case").click()
    page.wait_for_url(url)
    assert_accessible(page)
    assert list(CaseMember.objects.values_list("person__user__username", flat=True)) == ["chair"]
