"""The policy pages in a real browser, each checked with axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from safesocial.policies.services import version_draft
from tests.browser.conftest import assert_accessible
from tests.browser.test_pages import sign_in
from tests.conftest import Cast
from tests.policies.factories import BODY_V2, approved_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_policy_pages_are_accessible(page: Any, live_server: Any, cast: Cast) -> None:
    approved_policy(cast.school)
    base = live_server.url
    page.goto(f"{base}/p/test/")
    assert_accessible(page)
    page.get_by_role("link", name="Social media policy").click()
    page.wait_for_url(f"{base}/p/test/policies/social-media/")
    assert page.get_by_role("heading", level=1).inner_text() == "Social media policy"
    assert_accessible(page)
    page.get_by_role("link", name="Large print, high contrast").click()
    assert_accessible(page)
    page.goto(f"{base}/p/test/policies/social-media/request-a-copy/")
    assert_accessible(page)
    page.get_by_role("button", name="Send the request").click()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("Braille").check()
    page.get_by_label("Your name").fill("A Parent")
    page.get_by_label("Email address, phone number or postal address").fill("a@example.org")
    page.get_by_role("button", name="Send the request").click()
    assert page.get_by_role("heading", name="Request sent").is_visible()
    assert_accessible(page)


def test_signed_in_policy_pages_are_accessible(page: Any, live_server: Any, cast: Cast) -> None:
    policy = approved_policy(cast.school)
    version_draft(policy=policy, body=BODY_V2, actor=None)
    base = live_server.url
    sign_in(page, base, "teacher", check=False)
    page.wait_for_url(f"{base}/s/test/")
    page.get_by_role("link", name="Policies").click()
    page.wait_for_url(f"{base}/s/test/policies/")
    assert_accessible(page)
    page.get_by_role("link", name="Social media policy").click()
    assert_accessible(page)
    page.get_by_label("I have read this version of the policy and I accept it").check()
    page.get_by_role("button", name="Accept").click()
    assert page.get_by_text("You have read and accepted version 1").is_visible()
    assert_accessible(page)
    page.goto(f"{base}/s/test/policies/{policy.pk}/compare/")
    assert_accessible(page)


def test_diff_and_draft_errors_are_accessible(page: Any, live_server: Any, cast: Cast) -> None:
    policy = approved_policy(cast.school)
    base = live_server.url
    sign_in(page, base, "dsl", check=False)
    page.wait_for_url(f"{base}/s/test/")
    page.goto(f"{base}/s/test/policies/{policy.pk}/new-version/")
    assert_accessible(page)
    page.get_by_label("Policy text (Markdown with numbered sections and clauses)").fill(
        "## 1 Aims\n1(1) One.\n1(1) Two.\n"
    )
    page.get_by_role("button", name="Save the draft").click()
    assert "clause 1(1) is numbered twice" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("Policy text (Markdown with numbered sections and clauses)").fill(BODY_V2)
    page.get_by_role("button", name="Save the draft").click()
    page.goto(f"{base}/s/test/policies/{policy.pk}/compare/?from=1&to=2")
    assert page.get_by_role("table").is_visible()
    assert_accessible(page)
