"""Posts: who may draft, automated checks, two-person review, consent gate, edits after approval,
publishing now or later; every step audited (clauses 4.1 and 5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from safesocial.audit.models import AuditEntry
from safesocial.channels import services
from safesocial.channels.models import Consent, Post
from safesocial.channels.selectors import published_posts, review_queue
from safesocial.policies.models import Acknowledgement
from tests.channels.factories import (
    approved_post,
    give_consent,
    make_channel,
    person,
    png,
    ready,
)
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_drafting_refusals_say_why(cast: Cast) -> None:
    setup = ready(cast)
    today = timezone.localdate()
    teacher = person(cast, "teacher")
    assert "not a manager of this channel" in services.draft_refusal(
        person=teacher, channel=setup.channel, on=today
    )
    Acknowledgement.objects.filter(person=setup.author).delete()
    with pytest.raises(services.NotAllowed, match="acceptable use policy"):
        services.post_create(channel=setup.channel, author=setup.author, text="Hello")
    unapproved = make_channel(cast, approve=False, account_name="Second")
    assert "not approved by the headteacher" in services.draft_refusal(
        person=setup.author, channel=unapproved, on=today
    )
    assert not Post.objects.exists()


def test_checks_block_review_until_the_text_is_fixed(cast: Cast) -> None:
    setup = ready(cast)
    post = services.post_create(
        channel=setup.channel, author=setup.author, text="Congratulations Amelia Hartley!"
    )
    assert [f["code"] for f in post.blocking] == ["learner_full_name"]
    services.post_submit(post=post, author=setup.author)
    assert post.status == Post.Status.DRAFT
    assert AuditEntry.objects.filter(action="channels.post_checks_failed").exists()
    services.post_update(post=post, editor=setup.author, text="Congratulations to our runners!")
    services.post_submit(post=post, author=setup.author)
    assert post.status == Post.Status.IN_REVIEW
    assert list(review_queue(cast.school, setup.reviewer)) == [post]
    assert list(review_queue(cast.school, setup.author)) == []


def test_the_author_never_reviews_their_own_post(cast: Cast) -> None:
    setup = ready(cast)
    post = services.post_create(channel=setup.channel, author=setup.author, text="Fine day.")
    services.post_submit(post=post, author=setup.author)
    with pytest.raises(services.NotAllowed, match="another colleague"):
        services.post_review(post=post, reviewer=setup.author, approve=True)
    with pytest.raises(ValidationError) as error:
        services.post_review(post=post, reviewer=setup.reviewer, approve=False, note="")
    assert "note" in error.value.message_dict
    services.post_review(post=post, reviewer=setup.reviewer, approve=False, note="Add the date.")
    assert post.status == Post.Status.DRAFT and post.review_note == "Add the date."


def test_edit_after_approval_reopens_review(cast: Cast) -> None:
    setup = ready(cast)
    post = approved_post(setup)
    assert post.status == Post.Status.APPROVED and post.reviewer == setup.reviewer
    services.post_update(post=post, editor=setup.author, text="Our choir sang at the festival.")
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT and post.reviewer is None
    assert AuditEntry.objects.filter(action="channels.post_review_reopened").count() == 1
    with pytest.raises(services.NotAllowed, match="Only a post a colleague has approved"):
        services.post_publish(post=post, actor=setup.author)


def test_publish_now_and_every_step_audited(cast: Cast) -> None:
    setup = ready(cast)
    post = approved_post(setup)
    services.post_publish(post=post, actor=setup.author)
    assert post.status == Post.Status.PUBLISHED and post.published_at is not None
    assert list(published_posts(cast.school)) == [post]
    actions = set(AuditEntry.objects.filter(model="channels.post").values_list("action", flat=True))
    assert {
        "channels.post_drafted",
        "channels.post_submitted",
        "channels.post_approved",
        "channels.post_published",
    } <= actions
    with pytest.raises(services.NotAllowed, match="cannot be changed"):
        services.post_update(post=post, editor=setup.author, text="changed")
    services.post_take_down(post=post, actor=setup.author)
    assert list(published_posts(cast.school)) == []


def test_scheduled_posts_publish_when_due(cast: Cast) -> None:
    setup = ready(cast)
    later = timezone.now() + dt.timedelta(hours=2)
    post = services.post_create(
        channel=setup.channel, author=setup.author, text="Fair on Saturday.", publish_at=later
    )
    services.post_submit(post=post, author=setup.author)
    services.post_review(post=post, reviewer=setup.reviewer, approve=True)
    services.post_publish(post=post, actor=setup.author)
    assert post.status == Post.Status.SCHEDULED
    assert services.posts_publish_due(now=timezone.now()) == (0, 0)
    assert services.posts_publish_due(now=later + dt.timedelta(minutes=1)) == (1, 0)
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED


def test_images_must_be_tagged_and_described(cast: Cast) -> None:
    setup = ready(cast)
    post = services.post_create(channel=setup.channel, author=setup.author, text="Art week.")
    with pytest.raises(ValidationError) as error:
        services.post_image_add(post=post, editor=setup.author, upload=png(), description="")
    assert "learners" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.post_image_add(
            post=post, editor=setup.author, upload=png(), description="", no_learners=True
        )
    assert "description" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.post_image_add(
            post=post,
            editor=setup.author,
            upload=png("fake.png").__class__("fake.png", b"not an image"),
            description="Paintings",
            no_learners=True,
        )
    assert "image" in error.value.message_dict
    services.post_image_add(
        post=post, editor=setup.author, upload=png(), description="Paintings", no_learners=True
    )
    assert post.images.count() == 1 and not post.blocking


@pytest.mark.parametrize("problem", ["missing", "expired", "withdrawn", "one_purpose"])
def test_a_pictured_learner_without_current_consent_blocks_approval(
    cast: Cast, problem: str
) -> None:
    setup = ready(cast)
    today = timezone.localdate()
    if problem == "expired":
        give_consent(setup, given_on=dt.date(2020, 9, 10))  # ended 31 August 2021
    elif problem == "withdrawn":
        for consent in give_consent(setup):
            services.consent_withdraw(consent=consent, on=today, actor=setup.author)
    elif problem == "one_purpose":
        give_consent(setup, Consent.Purpose.SOCIAL_MEDIA)
    post = services.post_create(channel=setup.channel, author=setup.author, text="Sports day.")
    services.post_image_add(
        post=post, editor=setup.author, upload=png(), description="Relay", learners=[setup.learner]
    )
    assert [f["code"] for f in post.blocking][:1] == ["consent"]
    expected = {
        "missing": "no written parental consent",
        "expired": "expired on 31 August 2021",
        "withdrawn": "was withdrawn",
        "one_purpose": "school website",
    }[problem]
    assert expected in post.blocking[0]["message"] or expected in post.blocking[-1]["message"]
    # Forced into review, approval still refuses.
    Post.objects.filter(pk=post.pk).update(status=Post.Status.IN_REVIEW)
    post.refresh_from_db()
    with pytest.raises(ValidationError, match="Amelia Hartley"):
        services.post_review(post=post, reviewer=setup.reviewer, approve=True)
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW


def test_consent_given_lets_the_image_through(cast: Cast) -> None:
    setup = ready(cast)
    give_consent(setup)
    post = services.post_create(channel=setup.channel, author=setup.author, text="Sports day.")
    services.post_image_add(
        post=post, editor=setup.author, upload=png(), description="Relay", learners=[setup.learner]
    )
    assert not post.blocking
    services.post_submit(post=post, author=setup.author)
    services.post_review(post=post, reviewer=setup.reviewer, approve=True)
    assert post.status == Post.Status.APPROVED
    # Adding an image after approval re-opens review too.
    services.post_image_add(
        post=post, editor=setup.author, upload=png(), description="Crowd", no_learners=True
    )
    assert post.status == Post.Status.DRAFT
