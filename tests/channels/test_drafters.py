"""Who drafts on an official channel (clause 5): "Leadership staff have access to account
information and login details for our social media channels and manage the account", so the
headteacher and leadership may draft as well as channel managers, but only on a channel they
have been made managers of, and with the acceptable use policy accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safesocial.access import can
from safesocial.channels import services
from safesocial.channels.models import Post
from tests.channels.factories import accept_aup, person, ready
from tests.channels.test_views import client_for
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "may"),
    [
        ("channel_manager", True),
        ("headteacher", True),
        ("leadership", True),
        ("teacher", False),
        ("dsl", False),
        ("office", False),
    ],
)
def test_capability_to_draft(cast: Cast, name: str, may: bool) -> None:
    assert can(cast[name], "channels.draft_post", school=cast.school) is may


def test_leadership_drafts_only_on_a_channel_they_manage(cast: Cast) -> None:
    setup = ready(cast)
    lead = person(cast, "leadership")
    accept_aup(cast.school, lead)
    client = client_for(cast, "leadership")
    url = f"/s/test/channels/{setup.channel.pk}/posts/new/"
    refused = client.get(url)
    assert refused.status_code == 403
    assert "not a manager of this channel" in refused.content.decode()
    detail = client.get(f"/s/test/channels/{setup.channel.pk}/").content.decode()
    assert "Draft a post" not in detail
    services.manager_add(
        channel=setup.channel,
        person=lead,
        starts_on=dt.date(2020, 1, 1),
        actor=person(cast, "headteacher"),
    )
    assert "Draft a post" in client.get(f"/s/test/channels/{setup.channel.pk}/").content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": "Our choir sang at the festival."})
    assert response.status_code == 302
    post = Post.objects.get(author=lead)
    # Two people still: the drafter cannot approve their own post.
    services.post_submit(post=post, author=lead)
    assert post.status == Post.Status.IN_REVIEW
    with pytest.raises(services.NotAllowed, match="another colleague"):
        services.post_review(post=post, reviewer=lead, approve=True)


def test_a_manager_who_has_not_accepted_the_aup_is_still_refused(cast: Cast) -> None:
    setup = ready(cast)
    head = person(cast, "headteacher")
    services.manager_add(
        channel=setup.channel, person=head, starts_on=timezone.localdate(), actor=head
    )
    response = client_for(cast, "headteacher").post(
        f"/s/test/channels/{setup.channel.pk}/posts/new/", {"text": "Hello"}
    )
    assert response.status_code == 403
    assert "acceptable use policy" in response.content.decode()
    assert not Post.objects.exists()


def test_image_upload_refusal_comes_before_the_form(cast: Cast) -> None:
    setup = ready(cast)
    post = services.post_create(channel=setup.channel, author=setup.author, text="Art week.")
    response = client_for(cast, "leadership").post(f"/s/test/channels/posts/{post.pk}/images/")
    assert response.status_code == 403
    assert "not a manager of this channel" in response.content.decode()
