"""Demo records for the demo school: the Facebook channel (approved, with its risk assessment,
manager and custody log), one published post and one awaiting review, and image consent for a
few learners. Idempotent: a second load changes nothing."""

from __future__ import annotations

import contextlib
import datetime as dt

from safesocial.channels import services
from safesocial.channels.models import Channel, Consent, CustodyEvent, Post
from safesocial.channels.selectors import is_channel_manager
from safesocial.people.models import ParentLink, Person, School
from safesocial.policies.models import Policy, PolicyKind
from safesocial.policies.selectors import has_acknowledged_current
from safesocial.policies.services import PolicyError, acknowledgement_record

ACCOUNT = "Hollowmere Academy"
RISKS = (
    (
        "A learner is identified from a photo or a caption.",
        2,
        3,
        "Automated name check on every post; written consent checked for every learner pictured; "
        "no names in captions.",
    ),
    (
        "Hurtful or unkind comments under a post.",
        2,
        2,
        "Comments moderated each school day and logged; concerns passed to the DSL.",
    ),
    (
        "The account's login details are lost or shared.",
        1,
        3,
        "Only leadership hold the login; custody log; password changed at every handover.",
    ),
)
PUBLISHED = (
    "Year 9 raised money for the local food bank with a bake sale this week. "
    "Thank you to every family who baked, bought or helped out!"
)
IN_REVIEW = (
    "Our spring concert is on Thursday at 6pm in the main hall. Tickets are free from the school "
    "office. Everyone is welcome."
)


def _login(school: School, username: str) -> Person | None:
    return Person.objects.for_school(school).filter(network_username=username).first()


def _accept_aup(person: Person) -> None:
    if has_acknowledged_current(person=person, policy_kind="acceptable_use"):
        return
    policy = Policy.objects.for_school(person.school).filter(kind=PolicyKind.ACCEPTABLE_USE).first()
    if policy is not None and policy.current_version is not None:
        with contextlib.suppress(PolicyError):
            acknowledgement_record(person=person, version=policy.current_version)


def load_demo_data(*, school: School, today: dt.date) -> None:
    head = _login(school, "headteacher")
    manager = _login(school, "channel-manager")
    reviewer = _login(school, "teacher")
    if head is None or manager is None or reviewer is None:
        return
    channel = Channel.objects.for_school(school).filter(account_name=ACCOUNT).first()
    if channel is None:
        channel = services.channel_create(
            school=school,
            actor=head,
            service_id="facebook",
            account_name=ACCOUNT,
            address="https://www.facebook.com/hollowmere.example",
            purpose="Share school news, events and celebrations with families and the community.",
            objectives="Keep families informed; celebrate learners' achievements without naming "
            "them; invite the community to school events.",
            intended_outcomes="More families hear about events in time; attendance at open "
            "events rises; fewer calls to the office asking for dates.",
        )
        for risk, likelihood, impact, mitigations in RISKS:
            services.risk_add(
                channel=channel,
                actor=head,
                risk=risk,
                likelihood=likelihood,
                impact=impact,
                mitigations=mitigations,
            )
        services.channel_approve(
            channel=channel, approver=head, on=today - dt.timedelta(days=60), note="Reviewed."
        )
        services.custody_record(
            channel=channel,
            kind=CustodyEvent.Kind.ISSUED,
            holder=manager,
            on=today - dt.timedelta(days=60),
            actor=head,
            note="Login kept in the school's password manager.",
        )
    if not is_channel_manager(manager, channel, on=today):
        services.manager_add(
            channel=channel, person=manager, starts_on=today - dt.timedelta(days=60), actor=head
        )
    _accept_aup(manager)
    _load_consents(school, manager, today)
    if channel.posts.exists() or services.draft_refusal(person=manager, channel=channel, on=today):
        return
    post = services.post_create(channel=channel, author=manager, text=PUBLISHED)
    services.post_submit(post=post, author=manager)
    if post.status == Post.Status.IN_REVIEW:
        services.post_review(post=post, reviewer=reviewer, approve=True, note="Lovely news.")
        services.post_publish(post=post, actor=manager)
    waiting = services.post_create(channel=channel, author=manager, text=IN_REVIEW)
    services.post_submit(post=waiting, author=manager)


def _load_consents(school: School, actor: Person, today: dt.date) -> None:
    links = (
        ParentLink.objects.for_school(school)
        .filter(parental_responsibility=True, learner__kind=Person.Kind.LEARNER)
        .select_related("learner", "parent")
        .order_by("learner__mis_id", "pk")
    )
    seen: set[int] = set()
    given_on = today - dt.timedelta(days=20)
    for link in links:
        if link.learner_id in seen or len(seen) >= 5:
            continue
        seen.add(link.learner_id)
        for purpose in (Consent.Purpose.SOCIAL_MEDIA, Consent.Purpose.WEBSITE):
            if Consent.objects.filter(learner=link.learner, purpose=purpose).exists():
                continue
            services.consent_record(
                learner=link.learner,
                purpose=purpose,
                given_by=link.parent,
                evidence=Consent.Evidence.SIGNED_FORM,
                form_reference=f"IMG-{link.learner.mis_id or link.learner_id}",
                given_on=given_on,
                actor=actor,
            )
