"""The channels demo loads on a school with the demo logins, and loading twice changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safesocial.channels.demo import load_demo_data
from safesocial.channels.models import Channel, Consent, Post
from safesocial.channels.selectors import public_channels
from safesocial.people.models import ParentLink, Person, Role, School
from tests.channels.factories import accept_aup
from tests.conftest import MakeMember

pytestmark = pytest.mark.django_db


def test_demo_channel_posts_and_consents(school: School, make_member: MakeMember) -> None:
    for username, kind, roles in (
        ("headteacher", Person.Kind.TEACHING_STAFF, (Role.HEADTEACHER, Role.LEADERSHIP)),
        ("channel-manager", Person.Kind.SUPPORT_STAFF, (Role.CHANNEL_MANAGER, Role.LEADERSHIP)),
        ("teacher", Person.Kind.TEACHING_STAFF, ()),
    ):
        make_member(school, username, kind=kind, roles=roles, network_username=username)
    learner = Person.objects.create(
        school=school, kind=Person.Kind.LEARNER, first_name="Lee", last_name="Park", mis_id="L1"
    )
    parent = Person.objects.create(
        school=school, kind=Person.Kind.PARENT, first_name="Sam", last_name="Park", mis_id="C1"
    )
    ParentLink.objects.create(
        school=school, parent=parent, learner=learner, parental_responsibility=True
    )
    accept_aup(school, Person.objects.get(network_username="channel-manager"))
    today = timezone.localdate()
    for _ in range(2):
        load_demo_data(school=school, today=today)
    channel = Channel.objects.get()
    assert channel.service_id == "facebook" and channel.is_active(today)
    assert public_channels(school) == [channel]
    assert sorted(Post.objects.values_list("status", flat=True)) == [
        Post.Status.IN_REVIEW,
        Post.Status.PUBLISHED,
    ]
    assert Consent.objects.count() == 2
    assert channel.approved_on == today - dt.timedelta(days=60)
