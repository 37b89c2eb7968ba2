"""Closing a channel in a real browser, checked with axe-core: the confirmation page, its error
when no reason is given, and the channel page once closed."""

from __future__ import annotations

from typing import Any

import pytest

from safesocial.channels.models import Channel
from tests.browser.conftest import assert_accessible, browser, page  # noqa: F401 (fixtures)
from tests.browser.test_pages import sign_in
from tests.channels.factories import ready
from tests.conftest import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_closing_a_channel(page: Any, live_server: Any, cast: Cast) -> None:  # noqa: F811
    setup = ready(cast)
    base = live_server.url
    sign_in(page, base, "leadership", check=False)
    page.wait_for_url(f"{base}/s/test/")
    page.goto(f"{base}/s/test/channels/{setup.channel.pk}/")
    page.get_by_role("link", name="Close the channel").click()
    page.wait_for_url(f"{base}/s/test/channels/{setup.channel.pk}/close/")
    assert_accessible(page)
    page.get_by_role("button", name="Close the channel").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert page.title().startswith("Error:")
    assert_accessible(page)
    assert page.get_by_role("link", name="Say why the channel is being closed.").is_visible()
    page.get_by_label("Why is the channel being closed?").fill("Replaced by the trust's page.")
    page.get_by_role("button", name="Close the channel").click()
    page.wait_for_url(f"{base}/s/test/channels/{setup.channel.pk}/")
    assert "This channel is closed" in page.content()
    assert_accessible(page)
    assert Channel.objects.get(pk=setup.channel.pk).status == Channel.Status.CLOSED
