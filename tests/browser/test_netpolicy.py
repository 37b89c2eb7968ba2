"""The network pages in a real browser, each checked with axe-core."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp

from safesocial.netpolicy.models import RemoteLearningApproval
from safesocial.people.models import Person
from tests.browser.conftest import assert_accessible
from tests.browser.test_pages import sign_in
from tests.conftest import TOTP_SECRET, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _snapshot_dir(settings: Any, tmp_path: Path) -> None:
    settings.SAFESOCIAL_SNAPSHOT_DIR = str(tmp_path / "snapshots")


def test_network_manager_pages(page: Any, live_server: Any, cast: Cast) -> None:
    base = live_server.url
    sign_in(page, base, "network_manager")
    page.wait_for_url(f"{base}/s/test/")
    page.get_by_role("link", name="Network").click()
    page.wait_for_url(f"{base}/s/test/network/")
    assert "no network rules yet" in page.content()
    assert_accessible(page)

    page.get_by_role("link", name="Add a rule").click()
    assert_accessible(page)
    page.get_by_role("button", name="Save rule").click()  # empty: errors per field
    assert page.get_by_text("There is a problem").is_visible()
    assert_accessible(page)
    page.get_by_label("Learners").check()
    page.get_by_label("social", exact=True).check()
    page.get_by_label("Reason shown on the block page").fill("No personal social media")
    page.get_by_role("button", name="Save rule").click()
    page.wait_for_url(f"{base}/s/test/network/")
    assert page.get_by_text("No personal social media").is_visible()
    assert "version 1" in page.content()  # recompiled after the change
    assert_accessible(page)

    page.get_by_role("link", name="Address register").click()
    page.wait_for_url(f"{base}/s/test/network/addresses/")
    assert "No addresses in the register yet" in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Add an address").click()
    page.get_by_label("Address or range").fill("10.20.1.300")
    page.get_by_label("Or a school device").fill("Library kiosk")
    page.get_by_role("button", name="Save address").click()  # bad address: error on the field
    assert page.get_by_text("There is a problem").is_visible()
    assert_accessible(page)
    page.get_by_label("Address or range").fill("10.20.1.30")
    page.get_by_role("button", name="Save address").click()
    page.wait_for_url(f"{base}/s/test/network/addresses/")
    assert page.get_by_role("cell", name="Library kiosk (school device)").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Delete 10.20.1.30").click()
    assert_accessible(page)
    page.get_by_role("button", name="Remove address").click()
    page.wait_for_url(f"{base}/s/test/network/addresses/")
    assert "No addresses in the register yet" in page.content()

    for name in ("Network segments", "Service catalogue", "Remote-learning approvals"):
        page.get_by_role("link", name=name).click()
        assert_accessible(page)
    page.goto(f"{base}/s/test/network/segments/add/")
    assert_accessible(page)
    page.goto(f"{base}/s/test/network/services/add/")
    assert_accessible(page)


def test_headteacher_sanctions_and_sign_off(page: Any, live_server: Any, cast: Cast) -> None:
    learner = Person.objects.get(user=cast["learner"])
    learner.network_username = "learner.net"
    learner.save()
    RemoteLearningApproval.objects.create(
        school=cast.school, service_id="pinterest", groups=["learners"], purpose="Art",
        risk_assessment="Assessed", proposed_by=learner, proposed_at="2025-03-01T09:00Z",
    )  # fmt: skip
    base = live_server.url
    sign_in(page, base, "headteacher")
    page.wait_for_url(f"{base}/s/test/")
    page.goto(f"{base}/s/test/network/sanctions/")
    page.wait_for_url(f"{base}/accounts/two-factor/**")  # sanctions need the second factor
    code = totp(base64.b32decode(TOTP_SECRET), step=30, digits=6)
    page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/s/test/network/sanctions/")
    assert "No one has their internet access removed" in page.content()
    assert_accessible(page)
    page.get_by_label("Starts").fill("2025-03-04 09:00")
    page.get_by_label("Ends").fill("2025-03-03 09:00")
    page.get_by_role("button", name="Remove internet access").click()
    assert "The end must be after the start" in page.content()
    assert_accessible(page)
    page.goto(f"{base}/s/test/network/remote-learning/")
    page.get_by_role("button", name="Sign as headteacher").click()
    assert "Signed by" in page.content()
    assert_accessible(page)
