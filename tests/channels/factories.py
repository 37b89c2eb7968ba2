"""Records the channel tests share: an approved channel with a manager who accepted the AUP, a
reviewer, learners with parents, consent, and tiny real images."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safesocial.channels import services
from safesocial.channels.models import Channel, Consent, Post
from safesocial.people.models import ParentLink, Person, Role, RoleAssignment, School
from safesocial.policies.models import Acknowledgement, Policy, PolicyKind, PolicyVersion
from tests.conftest import Cast

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def person(cast: Cast, name: str) -> Person:
    return Person.objects.get(user=cast[name])


def accept_aup(school: School, *people: Person) -> None:
    policy = Policy.objects.for_school(school).filter(kind=PolicyKind.ACCEPTABLE_USE).first()
    if policy is None:
        now = timezone.now()
        policy = Policy.objects.create(
            school=school, kind=PolicyKind.ACCEPTABLE_USE, slug="aup", title="Acceptable use"
        )
        version = PolicyVersion.objects.create(
            school=school,
            policy=policy,
            number=1,
            status=PolicyVersion.Status.APPROVED,
            body="Use school systems kindly and safely.",
            created_at=now,
            updated_at=now,
            approved_at=now,
        )
        policy.current_version = version
        policy.save()
    for someone in people:
        Acknowledgement.objects.get_or_create(
            school=school,
            person=someone,
            version_id=policy.current_version_id,
            defaults={"accepted_at": timezone.now()},
        )


def make_channel(
    cast: Cast, *, approve: bool = True, account_name: str = "Test School Facebook"
) -> Channel:
    head = person(cast, "headteacher")
    channel = services.channel_create(
        school=cast.school,
        actor=head,
        service_id="facebook",
        account_name=account_name,
        address="https://www.facebook.com/testschool",
        purpose="Share school news with families.",
        objectives="Celebrate learning and keep families informed.",
        intended_outcomes="More families read school news each week.",
    )
    services.risk_add(
        channel=channel,
        actor=head,
        risk="A learner is identified from a photo.",
        likelihood=2,
        impact=3,
        mitigations="Consent check on every image; no names.",
    )
    if approve:
        services.channel_approve(channel=channel, approver=head, on=timezone.localdate())
    return channel


@dataclass
class Setup:
    channel: Channel
    author: Person  # the channel manager, AUP accepted
    reviewer: Person  # a teacher
    learner: Person
    parent: Person


def ready(cast: Cast) -> Setup:
    """An approved channel whose manager may draft, and a learner with a parent."""
    channel = make_channel(cast)
    author = person(cast, "channel_manager")
    services.manager_add(
        channel=channel, person=author, starts_on=dt.date(2020, 1, 1), actor=author
    )
    accept_aup(cast.school, author)
    learner = person(cast, "learner")
    learner.first_name, learner.last_name = "Amelia", "Hartley"
    learner.date_of_birth = dt.date(2014, 5, 3)
    learner.save()
    parent = person(cast, "parent")
    ParentLink.objects.create(
        school=cast.school, parent=parent, learner=learner, parental_responsibility=True
    )
    return Setup(channel, author, person(cast, "teacher"), learner, parent)


def give_consent(setup: Setup, *purposes: str, given_on: dt.date | None = None) -> list[Consent]:
    chosen = purposes or (Consent.Purpose.SOCIAL_MEDIA, Consent.Purpose.WEBSITE)
    return [
        services.consent_record(
            learner=setup.learner,
            purpose=purpose,
            given_by=setup.parent,
            evidence=Consent.Evidence.SIGNED_FORM,
            form_reference="F-1",
            given_on=given_on or timezone.localdate(),
            actor=setup.author,
        )
        for purpose in chosen
    ]


def approved_post(setup: Setup, text: str = "Our choir sang beautifully at the festival.") -> Post:
    post = services.post_create(channel=setup.channel, author=setup.author, text=text)
    services.post_submit(post=post, author=setup.author)
    services.post_review(post=post, reviewer=setup.reviewer, approve=True)
    return post


def leadership_role(cast: Cast, name: str) -> None:
    RoleAssignment.objects.create(
        school=cast.school,
        person=person(cast, name),
        role=Role.LEADERSHIP,
        starts_on=dt.date(2020, 1, 1),
    )
