"""Policy pages in a real browser, checked with axe-core: accepting a policy (an unticked box
is an error on the policy's page, its summary link takes you to the box) and the public
"try again later" page."""

from __future__ import annotations

from typing import Any

import pytest

from safesocial.policies.models import Acknowledgement, PolicyKind
from tests.browser.conftest import assert_accessible, browser, page  # noqa: F401 (fixtures)
from tests.browser.test_pages import sign_in
from tests.conftest import Cast
from tests.policies.factories import approved_policy
from tests.policies.test_public_limits import FORM, REQUEST

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MESSAGE = "Tick the box to say you have read and accept the policy."


def test_accepting_a_policy(page: Any, live_server: Any, cast: Cast) -> None:  # noqa: F811
    aup = approved_policy(cast.school, PolicyKind.ACCEPTABLE_USE)
    base = live_server.url
    sign_in(page, base, "teacher", check=False)
    page.wait_for_url(f"{base}/s/test/")
    page.goto(f"{base}/s/test/policies/{aup.pk}/")
    page.get_by_role("button", name="Accept").click()
    page.wait_for_url(f"{base}/s/test/policies/{aup.pk}/acknowledge/")
    assert page.title().startswith("Error:")
    assert_accessible(page)
    page.get_by_role("link", name=MESSAGE).click()
    box = page.get_by_role("checkbox", name="I have read this version of the policy")
    assert box.evaluate("element => element === document.activeElement")
    assert box.get_attribute("aria-describedby") == "id_confirm-error"
    box.check()
    page.get_by_role("button", name="Accept").click()
    page.wait_for_url(f"{base}/s/test/policies/{aup.pk}/")
    assert "You have read and accepted version 1" in page.content()
    assert_accessible(page)
    assert Acknowledgement.objects.count() == 1


def test_try_again_later_page(page: Any, live_server: Any, cast: Cast, settings: Any) -> None:  # noqa: F811
    settings.POLICIES_COPY_REQUESTS_PER_HOUR = 1
    approved_policy(cast.school)
    base = live_server.url
    for _ in range(2):
        page.goto(f"{base}{REQUEST}")
        page.get_by_label("Braille").check()
        page.get_by_label("Your name").fill(FORM["name"])
        page.get_by_label("Email address, phone number or postal address").fill(FORM["contact"])
        page.get_by_role("button", name="Send the request").click()
    assert page.get_by_role("heading", name="Please try again later").is_visible()
    assert_accessible(page)
