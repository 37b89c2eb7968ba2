from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from safesocial.channels.models import Channel
from safesocial.people.models import School


def test_the_public_page_lists_active_channels_the_news_page_and_the_report_form(
    school: School,
) -> None:
    page = Client().get("/p/test/").content.decode()
    assert "no official social media channels" in page
    assert "/p/test/news/" in page and "/p/test/report/" in page
    Channel.objects.create(
        school=school,
        service_id="facebook",
        account_name="Test School News",
        address="https://www.facebook.com/testschoolnews",
        purpose="Celebrating learners' work with families.",
        objectives="Share news with families who use Facebook.",
        intended_outcomes="More families see school news.",
        status=Channel.Status.ACTIVE,
        approved_on=timezone.localdate() - dt.timedelta(days=10),
    )
    Channel.objects.create(
        school=school,
        service_id="instagram",
        account_name="Never Approved",
        address="https://www.instagram.com/neverapproved",
        purpose="A draft.",
        objectives="-",
        intended_outcomes="-",
    )
    page = Client().get("/p/test/").content.decode()
    assert "Test School News" in page and "Never Approved" not in page


def test_the_report_form_can_start_with_a_category(school: School) -> None:
    form = Client().get("/p/test/report/?category=official_channel").context["form"]
    assert form.initial["category"] == "official_channel"
    form = Client().get("/p/test/report/?category=not-a-category").context["form"]
    assert "category" not in form.initial
