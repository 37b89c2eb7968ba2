"""The pages people use, in a real browser: signing in, the second factor, and each page's
accessibility (axe-core: no serious or critical violations)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp

from safesocial.people.models import School
from tests.browser.conftest import assert_accessible, new_context
from tests.conftest import TOTP_SECRET, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def sign_in(page: Any, base: str, username: str, *, check: bool = True) -> None:
    page.goto(f"{base}/accounts/login/")
    if check:  # axe runs as JavaScript, so it cannot check a page with scripts turned off
        assert_accessible(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_teacher_signs_in_and_sees_their_home(page: Any, live_server: Any, cast: Cast) -> None:
    sign_in(page, live_server.url, "teacher")
    page.wait_for_url(f"{live_server.url}/s/test/")
    assert page.get_by_role("heading", level=1).inner_text() == "Test School"
    assert_accessible(page)
    # A teacher has no People page: the menu does not offer one and the address refuses.
    assert page.get_by_role("link", name="People").count() == 0
    response = page.goto(f"{live_server.url}/s/test/people/")
    assert response is not None and response.status == 403


def test_wrong_password_shows_an_accessible_error(page: Any, live_server: Any, cast: Cast) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("teacher")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    assert "wrong" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


def test_dsl_needs_the_second_factor_then_reaches_people_import_and_audit(
    page: Any, live_server: Any, cast: Cast, tmp_path: Path
) -> None:
    base = live_server.url
    sign_in(page, base, "dsl")
    page.wait_for_url(f"{base}/s/test/")
    page.get_by_role("link", name="People").click()
    page.wait_for_url(f"{base}/accounts/two-factor/**")
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    assert "wrong" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.wait_for_timeout(1100)  # django-otp throttles the next try after a wrong code
    code = totp(base64.b32decode(TOTP_SECRET), step=30, digits=6)
    page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/s/test/people/")
    assert page.get_by_role("heading", name="People").is_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Import").click()
    assert_accessible(page)
    bad = tmp_path / "staff.csv"
    bad.write_text("mis_id,first_name,last_name,staff_type\nS1,,Nameless,teaching\n")
    page.get_by_label("CSV file exported from your MIS").set_input_files(str(bad))
    page.get_by_role("button", name="Check file").click()
    alert = page.get_by_role("alert").first.inner_text()
    assert "Nothing was imported" in alert and "Line 2: first_name is empty" in alert
    assert_accessible(page)

    page.get_by_role("link", name="Audit trail").click()
    assert page.get_by_role("heading", name="Audit trail").is_visible()
    assert_accessible(page)


def test_public_school_page_needs_no_sign_in(page: Any, live_server: Any, school: School) -> None:
    page.goto(f"{live_server.url}/p/test/")
    assert page.get_by_role("heading", level=1).inner_text() == "Test School"
    assert_accessible(page)


def test_pages_work_without_javascript(browser: Any, live_server: Any, cast: Cast) -> None:
    context = new_context(browser, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url, "teacher", check=False)
    page.wait_for_url(f"{live_server.url}/s/test/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    context.close()
