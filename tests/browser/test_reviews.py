"""The compliance map and the annual review pack in a real browser after the second factor,
each checked with axe-core, with the known school of tests/reviews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import assert_accessible
from tests.browser.test_monitoring import second_factor
from tests.browser.test_pages import sign_in
from tests.reviews import conftest as reviews_data
from tests.reviews.conftest import Known

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The known school of tests/reviews, and no monitoring database.
known = reviews_data.known
no_monitoring = reviews_data.no_monitoring


@pytest.fixture
def frozen() -> None:
    """The live server runs in another thread: real time here (the figures are not checked)."""


def test_map_and_pack(page: Any, live_server: Any, known: Known, tmp_path: Path) -> None:
    base = live_server.url
    sign_in(page, base, "head")
    page.wait_for_url(f"{base}/s/test/")
    page.get_by_role("link", name="Reviews", exact=True).click()
    page.wait_for_url(f"{base}/accounts/two-factor/**")
    second_factor(page)
    page.wait_for_url(f"{base}/s/test/reviews/")
    assert page.get_by_role("heading", name="Compliance map", level=1).is_visible()
    assert page.get_by_role("heading", name="Clause 4.2:").count() == 1
    assert_accessible(page)

    page.get_by_role("link", name="Annual review pack").click()
    page.get_by_label("From", exact=True).fill("2026-06-30")
    page.get_by_label("To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show this period").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert_accessible(page)

    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-06-30")
    page.get_by_role("button", name="Show this period").click()
    assert page.get_by_role("heading", name="1 January 2026 to 30 June 2026").is_visible()
    assert page.get_by_role("img").count() == 1  # concerns by category, with its table
    assert_accessible(page)
