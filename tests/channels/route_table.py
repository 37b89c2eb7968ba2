"""Rows of the route-by-role table (tests/access/test_routes.py) for the channels app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from safesocial.channels.models import (
    Channel,
    ChannelManager,
    Consent,
    Post,
    PostImage,
    Risk,
    TakeDownTask,
)
from safesocial.people.models import ParentLink, Person
from tests.access.route_helpers import PUBLIC, ROLES, only
from tests.channels.factories import accept_aup
from tests.conftest import Cast

SCHOOL = {"school": "test"}
STAFF = {
    "teacher",
    "headteacher",
    "dsl",
    "deputy_dsl",
    "leadership",
    "network_manager",
    "channel_manager",
    "office",
}
MANAGE = {"headteacher", "leadership"}
MODERATORS = {"headteacher", "dsl", "deputy_dsl", "leadership", "channel_manager"}


def _channel(cast: Cast) -> Channel:
    """An approved channel managed by the cast's channel manager, who accepted the AUP."""
    existing = Channel.objects.filter(school=cast.school).first()
    if existing is not None:
        return existing
    channel = Channel.objects.create(
        school=cast.school,
        service_id="facebook",
        account_name="Route test",
        address="https://www.facebook.com/routetest",
        purpose="p",
        objectives="o",
        intended_outcomes="i",
        status=Channel.Status.ACTIVE,
        approved_on=timezone.localdate(),
    )
    Risk.objects.create(
        school=cast.school, channel=channel, risk="r", likelihood=1, impact=1, mitigations="m"
    )
    manager = Person.objects.get(user=cast["channel_manager"])
    ChannelManager.objects.create(
        school=cast.school, channel=channel, person=manager, starts_on=dt.date(2020, 1, 1)
    )
    accept_aup(cast.school, manager)
    return channel


def _post(cast: Cast, status: str = Post.Status.DRAFT) -> Post:
    channel = _channel(cast)
    return Post.objects.create(
        school=cast.school,
        channel=channel,
        author=Person.objects.get(user=cast["channel_manager"]),
        text="A clean post about the school fair.",
        status=status,
        published_at=timezone.now() if status == Post.Status.PUBLISHED else None,
    )


def _consent(cast: Cast) -> Consent:
    learner = Person.objects.get(user=cast["learner"])
    parent = Person.objects.get(user=cast["parent"])
    ParentLink.objects.get_or_create(
        school=cast.school, parent=parent, learner=learner, parental_responsibility=True
    )
    return Consent.objects.create(
        school=cast.school,
        learner=learner,
        purpose=Consent.Purpose.SOCIAL_MEDIA,
        given_by=parent,
        evidence=Consent.Evidence.SIGNED_FORM,
        form_reference="F-1",
        given_on=timezone.localdate(),
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )


def _image(cast: Cast) -> int:
    # No file behind it: allowed roles get 404 here; serving is tested in test_views.
    post = _post(cast, Post.Status.PUBLISHED)
    return PostImage.objects.create(
        school=cast.school,
        post=post,
        stored_name="0" * 32,
        original_name="a.png",
        content_type="image/png",
        description="d",
        no_learners=True,
    ).pk


def _task(cast: Cast) -> int:
    post = _post(cast, Post.Status.PUBLISHED)
    return TakeDownTask.objects.create(school=cast.school, post=post, consent=_consent(cast)).pk


def _manager(cast: Cast) -> int:
    return ChannelManager.objects.get(channel=_channel(cast)).pk


def _take_down_outcomes() -> dict[str, Any]:
    # DSL and deputy hold the capability but neither manage the channel nor lead: refused.
    outcomes = only({"headteacher", "leadership", "channel_manager"}, success="redirect")
    outcomes["dsl_no_2fa"] = "2fa"
    return outcomes


def channel_kw(cast: Cast) -> int:
    return _channel(cast).pk


def post_kw(cast: Cast) -> int:
    return _post(cast).pk


ROUTES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "channels:list": ("GET", SCHOOL, only(STAFF, two_factor=False)),
    "channels:new": ("GET", SCHOOL, only(MANAGE, two_factor=False)),
    "channels:detail": ("GET", {**SCHOOL, "channel": channel_kw}, only(STAFF, two_factor=False)),
    "channels:edit": ("GET", {**SCHOOL, "channel": channel_kw}, only(MANAGE, two_factor=False)),
    "channels:risk_add": (
        "POST",
        {**SCHOOL, "channel": channel_kw},
        only(MANAGE, two_factor=False, success=400),
    ),
    "channels:approve": (
        "POST",
        {**SCHOOL, "channel": channel_kw},
        only({"headteacher"}, success="redirect"),
    ),
    "channels:close": (
        "GET",
        {**SCHOOL, "channel": channel_kw},
        only(MANAGE, two_factor=False),
    ),
    "channels:manager_add": (
        "POST",
        {**SCHOOL, "channel": channel_kw},
        only(MANAGE, two_factor=False, success=400),
    ),
    "channels:manager_end": (
        "POST",
        {**SCHOOL, "manager": _manager},
        only(MANAGE, two_factor=False, success="redirect"),
    ),
    "channels:custody_add": (
        "POST",
        {**SCHOOL, "channel": channel_kw},
        only(MANAGE, two_factor=False, success=400),
    ),
    "channels:connector": (
        "GET",
        {**SCHOOL, "channel": channel_kw},
        only(MANAGE, two_factor=False),
    ),
    "channels:post_new": ("GET", {**SCHOOL, "channel": channel_kw}, only({"channel_manager"})),
    "channels:post": ("GET", {**SCHOOL, "post": post_kw}, only(STAFF, two_factor=False)),
    "channels:post_edit": ("GET", {**SCHOOL, "post": post_kw}, only({"channel_manager"})),
    "channels:post_image_add": (
        "POST",
        {**SCHOOL, "post": post_kw},
        only({"channel_manager"}, success=400),
    ),
    "channels:post_image": (
        "GET",
        {**SCHOOL, "image": _image},
        only(STAFF, two_factor=False, success=404),
    ),
    "channels:post_submit": (
        "POST",
        {**SCHOOL, "post": post_kw},
        only({"channel_manager"}, success="redirect"),
    ),
    "channels:post_review": (
        "POST",
        {**SCHOOL, "post": post_kw},
        only(STAFF, two_factor=False, success=400),
    ),
    "channels:post_publish": (
        "POST",
        {**SCHOOL, "post": lambda cast: _post(cast, Post.Status.APPROVED).pk},
        only({"channel_manager"}, success="redirect"),
    ),
    "channels:post_take_down": (
        "POST",
        {**SCHOOL, "post": lambda cast: _post(cast, Post.Status.PUBLISHED).pk},
        only({"channel_manager"}, success="redirect"),
    ),
    "channels:consents": ("GET", SCHOOL, only({"headteacher", "dsl", "deputy_dsl"})),
    "channels:consent_withdraw": (
        "POST",
        {**SCHOOL, "consent": lambda cast: _consent(cast).pk},
        only({"headteacher", "dsl", "deputy_dsl"}, success="redirect"),
    ),
    "channels:consent_evidence": (
        "GET",
        {**SCHOOL, "consent": lambda cast: _consent(cast).pk},
        only({"headteacher", "dsl", "deputy_dsl"}, success=404),  # a paper form: no file
    ),
    "channels:take_downs": ("GET", SCHOOL, only(MODERATORS)),
    "channels:take_down_done": ("POST", {**SCHOOL, "task": _task}, _take_down_outcomes()),
    "channels:moderation": ("GET", SCHOOL, only(MODERATORS)),
    "channels:learner_accounts": (
        "GET",
        SCHOOL,
        only({"headteacher", "dsl", "deputy_dsl", "network_manager"}),
    ),
    "channels_public:news": ("GET", SCHOOL, PUBLIC),
    "channels_public:news_feed": ("GET", SCHOOL, PUBLIC),
    "channels_public:news_image": ("GET", {**SCHOOL, "image": _image}, dict.fromkeys(ROLES, 404)),
}
