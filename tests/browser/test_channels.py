"""The official channel pages in a real browser, each checked with axe-core (no serious or
critical violations): the register and a channel, drafting with the checks' findings, review,
the public news page, image consent behind the second factor, and learner accounts."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django_otp.oath import totp

from safesocial.channels import services
from safesocial.channels.models import Post
from tests.browser.conftest import assert_accessible
from tests.browser.test_pages import sign_in
from tests.channels.factories import ready
from tests.conftest import TOTP_SECRET, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _channel_settings(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_FILES_DIR = tmp_path / "private"
    settings.SAFESOCIAL_CHANNEL_TOKEN_KEY = Fernet.generate_key().decode()


def second_factor(page: Any, base: str) -> None:
    page.wait_for_url(f"{base}/accounts/two-factor/**")
    code = totp(base64.b32decode(TOTP_SECRET), step=30, digits=6)
    page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Continue").click()


def test_channel_manager_drafts_and_sees_what_to_change(
    page: Any, live_server: Any, cast: Cast
) -> None:
    setup = ready(cast)
    base = live_server.url
    sign_in(page, base, "channel_manager")
    page.wait_for_url(f"{base}/s/test/")
    page.get_by_role("link", name="Channels", exact=True).click()
    page.wait_for_url(f"{base}/s/test/channels/")
    assert_accessible(page)
    page.get_by_role("link", name="Test School Facebook", exact=True).click()
    assert page.get_by_role("heading", name="Risk assessment").count() == 0  # a caption
    assert "Risk assessment" in page.content()
    assert_accessible(page)
    page.goto(f"{base}/s/test/channels/{setup.channel.pk}/posts/new/")
    assert_accessible(page)
    page.get_by_role("button", name="Save and check").click()  # empty: a field error
    assert page.get_by_text("There is a problem").is_visible()
    assert_accessible(page)
    page.get_by_label("Text of the post").fill("Amelia Hartley ran a marathon! Call 07700 900123.")
    page.get_by_role("button", name="Save and check").click()
    assert page.get_by_text("Change these before review").is_visible()
    assert "Amelia Hartley" in page.content() and "07700 900123" in page.content()
    assert_accessible(page)


def test_public_news_page_and_consent_pages(page: Any, live_server: Any, cast: Cast) -> None:
    setup = ready(cast)
    post = services.post_create(
        channel=setup.channel, author=setup.author, text="Our choir sang at the cathedral."
    )
    services.post_submit(post=post, author=setup.author)
    services.post_review(post=post, reviewer=setup.reviewer, approve=True)
    services.post_publish(post=post, actor=setup.author)
    assert post.status == Post.Status.PUBLISHED
    base = live_server.url
    page.goto(f"{base}/p/test/news/")
    assert page.get_by_role("heading", level=1).inner_text() == "News from Test School"
    assert page.get_by_text("Our choir sang at the cathedral.").is_visible()
    assert_accessible(page)

    sign_in(page, base, "dsl", check=False)
    page.wait_for_url(f"{base}/s/test/")
    page.goto(f"{base}/s/test/channels/consents/")
    second_factor(page, base)
    page.wait_for_url(f"{base}/s/test/channels/consents/")
    assert_accessible(page)
    page.get_by_role("button", name="Record consent").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert_accessible(page)
    page.goto(f"{base}/s/test/channels/learner-accounts/")
    assert_accessible(page)
    page.goto(f"{base}/s/test/channels/moderation/")
    assert_accessible(page)
