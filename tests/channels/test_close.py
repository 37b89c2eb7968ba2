"""Closing a channel (clause 5): a confirmation page with a reason, only for those who manage
the register; a closed channel takes no more drafts or publishing, and its managers stop, their
network access to its platform with them."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from safesocial.audit.models import AuditEntry
from safesocial.channels import services
from safesocial.channels.models import Channel, ChannelManager, Post
from safesocial.channels.selectors import is_channel_manager
from safesocial.netpolicy.models import ChannelPlatformAccess
from safesocial.netpolicy.services import default_rules_install
from tests.channels.factories import approved_post, person, ready
from tests.channels.test_views import client_for
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

# A Tuesday in term, in school hours: staff do not reach social media then (clause 4) unless
# they manage an official channel on it (clause 5).
SCHOOL_HOURS = dt.datetime(2026, 3, 3, 10, 15, tzinfo=ZoneInfo("Europe/London"))


def test_close_page_confirms_and_only_post_closes(cast: Cast) -> None:
    setup = ready(cast)
    url = f"/s/test/channels/{setup.channel.pk}/close/"
    head = client_for(cast, "headteacher")
    page = head.get(url)
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    setup.channel.refresh_from_db()
    assert setup.channel.status == Channel.Status.ACTIVE  # looking changes nothing
    assert client_for(cast, "channel_manager").post(url, {"reason": "x"}).status_code == 403
    assert client_for(cast, "dsl").post(url, {"reason": "x"}).status_code == 403
    setup.channel.refresh_from_db()
    assert setup.channel.status == Channel.Status.ACTIVE


def test_close_needs_a_reason_shown_by_its_field(cast: Cast) -> None:
    setup = ready(cast)
    response = client_for(cast, "headteacher").post(
        f"/s/test/channels/{setup.channel.pk}/close/", {"reason": "  "}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_reason"' in page and "<title>Error:" in page
    assert "Say why the channel is being closed." in page
    box = re.search(r"<textarea[^>]*>", page)
    assert box is not None and "id_reason_error" in box.group(0)
    assert 'id="id_reason_error"' in page
    setup.channel.refresh_from_db()
    assert setup.channel.status == Channel.Status.ACTIVE
    assert not AuditEntry.objects.filter(action="channels.channel_closed").exists()


def test_closing_records_who_why_and_stops_the_managers(cast: Cast) -> None:
    setup = ready(cast)
    head = client_for(cast, "headteacher")
    response = head.post(
        f"/s/test/channels/{setup.channel.pk}/close/",
        {"reason": "The page is replaced by the trust's page."},
    )
    assert response.status_code == 302
    channel = Channel.objects.get(pk=setup.channel.pk)
    assert channel.status == Channel.Status.CLOSED
    assert channel.closed_by == person(cast, "headteacher")
    assert channel.closed_on == timezone.localdate()
    assert channel.closure_reason == "The page is replaced by the trust's page."
    entry = AuditEntry.objects.get(action="channels.channel_closed")
    assert entry.actor_id == cast["headteacher"].pk
    assert set(entry.fields) == {"status", "closed_on", "closed_by", "closure_reason"}
    assert AuditEntry.objects.filter(action="channels.manager_ended").count() == 1
    manager = ChannelManager.objects.get(channel=channel)
    assert manager.ends_on is not None and manager.ends_on < timezone.localdate()
    access = ChannelPlatformAccess.objects.get(person=setup.author)
    assert access.ends_on is not None and access.ends_on < timezone.localdate()
    page = head.get(f"/s/test/channels/{channel.pk}/").content.decode()
    assert "replaced by the trust" in page and "This channel is closed" in page
    assert "Close the channel" not in page and "Draft a post" not in page
    # A second close is refused, and says the channel is closed already.
    again = head.get(f"/s/test/channels/{channel.pk}/close/").content.decode()
    assert "is closed" in again and 'name="reason"' not in again
    with pytest.raises(ValidationError, match="already closed"):
        services.channel_close(channel=channel, actor=setup.author, reason="again")


def test_a_closed_channel_takes_no_drafts_publishing_or_managers(cast: Cast) -> None:
    setup = ready(cast)
    post = approved_post(setup)
    head = person(cast, "headteacher")
    services.channel_close(channel=setup.channel, actor=head, reason="No longer used.")
    # Even if someone were made a manager again, the channel itself refuses posts.
    ChannelManager.objects.update(ends_on=None)
    with pytest.raises(services.NotAllowed, match="closed"):
        services.post_create(channel=setup.channel, author=setup.author, text="Hello")
    with pytest.raises(services.NotAllowed, match="closed"):
        services.post_publish(post=post, actor=setup.author)
    with pytest.raises(ValidationError, match="closed"):
        services.manager_add(
            channel=setup.channel,
            person=person(cast, "leadership"),
            starts_on=timezone.localdate(),
            actor=head,
        )
    with pytest.raises(ValidationError, match="closed"):
        services.channel_approve(channel=setup.channel, approver=head, on=timezone.localdate())
    response = client_for(cast, "channel_manager").get(
        f"/s/test/channels/{setup.channel.pk}/posts/new/"
    )
    assert response.status_code == 403 and "This channel is closed" in response.content.decode()
    # A post scheduled before closing is held back at its time, not published.
    Post.objects.filter(pk=post.pk).update(
        status=Post.Status.SCHEDULED, publish_at=timezone.now() + dt.timedelta(hours=1)
    )
    assert services.posts_publish_due(now=timezone.now() + dt.timedelta(hours=2)) == (0, 1)


# --- network access follows the manager (clause 5) -----------------------------------------


def _explain(user: str) -> str:
    out = StringIO()
    call_command(
        "netpolicy_explain", "--school", "test", "--user", user, "--host", "www.facebook.com",
        stdout=out, stderr=StringIO(),
    )  # fmt: skip
    return out.getvalue()


@pytest.fixture
def network(cast: Cast, settings: Any, tmp_path: Path) -> Any:
    settings.SAFESOCIAL_SNAPSHOT_DIR = str(tmp_path / "snapshots")
    for name in ("channel_manager", "leadership"):
        someone = person(cast, name)
        someone.network_username = f"{name}.net"
        someone.save()
    default_rules_install(school=cast.school)
    with time_machine.travel(SCHOOL_HOURS, tick=False):
        yield


def test_stopping_a_manager_ends_their_platform_access(cast: Cast, network: Any) -> None:
    setup = ready(cast)
    assert "Decision: ALLOW" in _explain("channel_manager.net")
    assert "Decision: BLOCK" in _explain("leadership.net")  # manages nothing
    manager = ChannelManager.objects.get(person=setup.author)
    response = client_for(cast, "headteacher").post(f"/s/test/channels/managers/{manager.pk}/end/")
    assert response.status_code == 302
    text = _explain("channel_manager.net")
    assert "Decision: BLOCK" in text and "Policy clause: 4" in text
    assert not is_channel_manager(setup.author, setup.channel, on=timezone.localdate())
    assert AuditEntry.objects.filter(action="netpolicy.channel_access_ended").count() == 1


def test_closing_a_channel_ends_every_managers_access(cast: Cast, network: Any) -> None:
    setup = ready(cast)
    head = person(cast, "headteacher")
    services.manager_add(
        channel=setup.channel,
        person=person(cast, "leadership"),
        starts_on=timezone.localdate(),
        actor=head,
    )
    assert "Decision: ALLOW" in _explain("leadership.net")
    services.channel_close(channel=setup.channel, actor=head, reason="Not used any more.")
    assert "Decision: BLOCK" in _explain("channel_manager.net")
    assert "Decision: BLOCK" in _explain("leadership.net")


def test_a_renamed_channel_keeps_access_and_stopping_still_ends_it(
    cast: Cast, network: Any
) -> None:
    setup = ready(cast)
    head = person(cast, "headteacher")
    values = {k: getattr(setup.channel, k) for k in services.CHANNEL_FIELDS}
    services.channel_update(
        channel=setup.channel, actor=head, **{**values, "account_name": "Test School News"}
    )
    assert "Decision: ALLOW" in _explain("channel_manager.net")
    manager = ChannelManager.objects.get(person=setup.author)
    services.manager_end(manager=manager, on=timezone.localdate(), actor=head)
    assert "Decision: BLOCK" in _explain("channel_manager.net")


def test_closing_twice_from_a_stale_page_closes_and_audits_once(cast: Cast) -> None:
    setup = ready(cast)
    head = person(cast, "headteacher")
    stale = Channel.objects.get(pk=setup.channel.pk)  # as a second tab loaded it
    services.channel_close(channel=setup.channel, actor=head, reason="Moving to a newsletter")
    with pytest.raises(ValidationError, match="already closed"):
        services.channel_close(channel=stale, actor=head, reason="Another reason")
    setup.channel.refresh_from_db()
    assert setup.channel.closure_reason == "Moving to a newsletter"
    assert AuditEntry.objects.filter(action__endswith="channel_closed").count() == 1


def test_a_post_on_a_closed_channel_can_still_be_taken_down_by_leadership(cast: Cast) -> None:
    setup = ready(cast)
    post = approved_post(setup)
    services.post_publish(post=post, actor=setup.author)
    services.channel_close(
        channel=setup.channel, actor=person(cast, "headteacher"), reason="No longer used."
    )
    url = f"/s/test/channels/posts/{post.pk}/take-down/"
    refused = client_for(cast, "channel_manager").post(url)
    assert refused.status_code == 403 and "Ask the headteacher" in refused.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert client_for(cast, "headteacher").post(url).status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.TAKEN_DOWN
    assert AuditEntry.objects.filter(action="channels.post_taken_down").count() == 1
