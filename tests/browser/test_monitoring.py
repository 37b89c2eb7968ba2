"""The monitoring pages in a real browser after the second factor, each checked with axe-core:
the report (charts, heatmap, tables), the evaluation with its action-plan button, the alerts."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp

from safesocial.policies.models import ActionItem
from tests.browser.conftest import assert_accessible
from tests.browser.test_pages import sign_in
from tests.conftest import TOTP_SECRET, Cast
from tests.monitoring.conftest import ingest, prepare_var_dir, write_logs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture()
def var_dir(tmp_path: Path, settings: Any) -> Path:
    return prepare_var_dir(tmp_path, settings)


def second_factor(page: Any) -> None:
    code = totp(base64.b32decode(TOTP_SECRET), step=30, digits=6)
    page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Continue").click()


def test_empty_state_then_report_and_evaluation(
    page: Any, live_server: Any, cast: Cast, var_dir: Path, tmp_path: Path
) -> None:
    base = live_server.url
    sign_in(page, base, "dsl")
    page.wait_for_url(f"{base}/s/test/")
    page.get_by_role("link", name="Monitoring").click()
    page.wait_for_url(f"{base}/accounts/two-factor/**")
    second_factor(page)
    page.wait_for_url(f"{base}/s/test/monitoring/")
    assert page.get_by_text("No logs have been ingested yet").is_visible()
    assert_accessible(page)

    # after each click, wait_for the next page: a check right after the click can see the old one
    for path in write_logs(tmp_path):
        ingest(path)
    page.get_by_label("From", exact=True).fill("2025-03-05")
    page.get_by_label("To", exact=True).fill("2025-03-04")
    page.get_by_role("button", name="Show this period").click()
    page.get_by_text("There is a problem").wait_for()
    assert_accessible(page)

    page.get_by_label("From", exact=True).fill("2025-03-04")
    page.get_by_role("button", name="Show this period").click()
    page.get_by_role("heading", name="2025-03-04 to 2025-03-04").wait_for()
    assert page.get_by_role("img").count() == 3
    assert_accessible(page)

    page.get_by_role("link", name="Evaluation").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add to the action plan").first.click()
    page.get_by_text("Added to the action plan").wait_for()
    assert ActionItem.objects.count() == 1
    assert_accessible(page)

    page.get_by_role("link", name="Alerts").click()
    page.get_by_text("Repeated blocked social media").wait_for()
    assert_accessible(page)
