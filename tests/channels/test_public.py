"""The public news page and Atom feed: every published post, nothing else; images whose
consent has gone are hidden at once; report-a-concern links carry the category."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from safesocial.channels import services
from safesocial.channels.models import Consent
from safesocial.channels.selectors import public_channels
from tests.channels.factories import approved_post, give_consent, png, ready
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_news_and_feed_show_published_posts_only(cast: Cast, client: Client) -> None:
    setup = ready(cast)
    published = approved_post(setup, "Our choir sang at the cathedral.")
    services.post_publish(post=published, actor=setup.author)
    approved_post(setup, "Approved but not yet published.")
    services.post_create(channel=setup.channel, author=setup.author, text="Amelia Hartley drafts")

    page = client.get("/p/test/news/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Our choir sang at the cathedral." in html
    assert "not yet published" not in html and "Hartley" not in html
    assert "/p/test/report/?category=official_channel" in html

    feed = client.get("/p/test/news/feed.atom")
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert "<feed" in body and "Our choir sang at the cathedral." in body
    assert "not yet published" not in body and "Hartley" not in body
    assert client.get("/p/nowhere/news/feed.atom").status_code == 404


def test_an_image_leaves_the_news_page_when_consent_is_withdrawn(
    cast: Cast, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    setup = ready(cast)
    consents = give_consent(setup)
    post = services.post_create(channel=setup.channel, author=setup.author, text="Gala.")
    with django_capture_on_commit_callbacks(execute=True):
        image = services.post_image_add(
            post=post,
            editor=setup.author,
            upload=png(),
            description="Swimmers",
            learners=[setup.learner],
        )
    services.post_submit(post=post, author=setup.author)
    services.post_review(post=post, reviewer=setup.reviewer, approve=True)
    services.post_publish(post=post, actor=setup.author)
    url = f"/p/test/news/images/{image.pk}/"
    assert url in client.get("/p/test/news/").content.decode()
    assert client.get(url).status_code == 200
    website = next(c for c in consents if c.purpose == Consent.Purpose.WEBSITE)
    services.consent_withdraw(consent=website, on=timezone.localdate(), actor=setup.author)
    assert url not in client.get("/p/test/news/").content.decode()
    assert client.get(url).status_code == 404


def test_public_channels_lists_active_ones(cast: Cast) -> None:
    setup = ready(cast)
    assert public_channels(cast.school) == [setup.channel]
