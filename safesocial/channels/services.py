"""Business actions for official channels (clause 5) and school-created learner accounts (6).

Every action is keyword-only, atomic, validated before saving and audited in the same
transaction. Refusals are ValidationErrors keyed by the field to change, or `NotAllowed` (a
PermissionDenied whose message says why).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from safesocial.audit.services import audit_record
from safesocial.channels import checks, crypto, files
from safesocial.channels.connectors import (
    Connector,
    FacebookPageConnector,
    NewsPageConnector,
    PublishError,
)
from safesocial.channels.models import (
    Channel,
    ChannelManager,
    Consent,
    CustodyEvent,
    LearnerAccount,
    ModerationItem,
    Post,
    PostImage,
    Risk,
    TakeDownTask,
)
from safesocial.channels.selectors import (
    LOGIN_HOLDER_ROLES,
    MANAGER_ROLES,
    REQUIRED_PURPOSES,
    consent_problem,
    holds_role,
    is_channel_manager,
    login_holders,
    school_roster,
)
from safesocial.jobs.services import job_enqueue
from safesocial.netpolicy.selectors import service_choices, service_minimum_age
from safesocial.netpolicy.services import channel_access_end, channel_access_grant
from safesocial.people.models import ParentLink, Person, Role, School
from safesocial.policies.selectors import has_acknowledged_current


class NotAllowed(PermissionDenied):
    """Refused for a reason the person can act on; str(error) says it."""


def _save(obj: Any, **kwargs: Any) -> None:
    obj.full_clean()
    obj.save(**kwargs)


def _audit(
    action: str, person: Person | None, obj: Any, fields: Iterable[str], request: Any
) -> None:
    audit_record(
        action=f"channels.{action}",
        actor=person.user if person is not None else None,
        actor_label="" if person is not None else "system",
        school=obj.school,
        obj=obj,
        fields=list(fields),
        request=request,
    )


def _same_school(school: School, person: Person | None, field: str) -> None:
    if person is not None and person.school_id != school.pk:
        raise ValidationError({field: "Choose a person from this school."})


# --- the channel register -----------------------------------------------------------------

CHANNEL_FIELDS = (
    "service_id",
    "account_name",
    "address",
    "purpose",
    "objectives",
    "intended_outcomes",
)


def _check_service(school: School, service_id: str) -> None:
    if service_id not in dict(service_choices(school)):
        raise ValidationError(
            {"service_id": "Choose a platform from the school's service catalogue."}
        )


def _check_unique(
    school: School, service_id: str, account_name: str, pk: int | None = None
) -> None:
    clash = Channel.objects.for_school(school).filter(
        service_id=service_id, account_name=account_name
    )
    if clash.exclude(pk=pk).exists():
        raise ValidationError(
            {"account_name": "This account is already in the register for that platform."}
        )


@transaction.atomic
def channel_create(
    *, school: School, actor: Person, request: HttpRequest | None = None, **values: str
) -> Channel:
    _check_service(school, values.get("service_id", ""))
    _check_unique(school, values.get("service_id", ""), values.get("account_name", ""))
    channel = Channel(school=school, **{k: values.get(k, "") for k in CHANNEL_FIELDS})
    _save(channel)
    _audit("channel_created", actor, channel, CHANNEL_FIELDS, request)
    return channel


@transaction.atomic
def channel_update(
    *, channel: Channel, actor: Person, request: HttpRequest | None = None, **values: str
) -> Channel:
    """Changing what a channel is for sends it back to the headteacher for approval."""
    _check_service(channel.school, values.get("service_id", channel.service_id))
    _check_unique(
        channel.school,
        values.get("service_id", channel.service_id),
        values.get("account_name", channel.account_name),
        channel.pk,
    )
    changed = [k for k in CHANNEL_FIELDS if k in values and getattr(channel, k) != values[k]]
    if not changed:
        return channel
    was_service, was_label = channel.service_id, _platform_label(channel)
    for key in changed:
        setattr(channel, key, values[key])
    if channel.status == Channel.Status.ACTIVE:
        channel.status = Channel.Status.AWAITING_APPROVAL
        changed.append("status")
    _save(channel)
    _audit("channel_updated", actor, channel, changed, request)
    if (was_service, was_label) != (channel.service_id, _platform_label(channel)):
        _move_platform_access(channel, was_service, was_label, actor)
    return channel


def _move_platform_access(
    channel: Channel, was_service: str, was_label: str, actor: Person
) -> None:
    """A renamed channel, or one moved to another platform: its managers' network access follows
    it, so that stopping them later still finds the grant, and the old platform is not left open."""
    today = timezone.localdate()
    running = ChannelManager.objects.filter(channel=channel).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    for manager in running.select_related("person"):
        channel_access_end(
            school=channel.school,
            person=manager.person,
            service_id=was_service,
            channel=was_label,
            on=max(today, manager.starts_on),
            actor=actor.user,
        )
        channel_access_grant(
            school=channel.school,
            person=manager.person,
            service_id=channel.service_id,
            channel=_platform_label(channel),
            starts_on=max(today, manager.starts_on),
            ends_on=manager.ends_on,
            actor=actor.user,
        )


@transaction.atomic
def risk_add(
    *,
    channel: Channel,
    actor: Person,
    risk: str,
    likelihood: int,
    impact: int,
    mitigations: str,
    request: HttpRequest | None = None,
) -> Risk:
    """A new risk on an approved channel needs the headteacher's approval again."""
    item = Risk(
        school=channel.school,
        channel=channel,
        risk=risk,
        likelihood=likelihood,
        impact=impact,
        mitigations=mitigations,
    )
    _save(item)
    _audit("risk_added", actor, item, ["risk", "likelihood", "impact", "mitigations"], request)
    if channel.status == Channel.Status.ACTIVE:
        channel.status = Channel.Status.AWAITING_APPROVAL
        _save(channel, update_fields=["status"])
        _audit("channel_reapproval_needed", actor, channel, ["status"], request)
    return item


@transaction.atomic
def channel_approve(
    *,
    channel: Channel,
    approver: Person,
    on: dt.date,
    note: str = "",
    request: HttpRequest | None = None,
) -> Channel:
    """The headteacher approves the channel and its risk assessment, for a year (clause 5)."""
    if not holds_role(approver, (Role.HEADTEACHER,), on=on):
        raise NotAllowed("Only the headteacher can approve an official channel.")
    if channel.status == Channel.Status.CLOSED:
        raise ValidationError({"note": "This channel is closed; it cannot be approved."})
    if not channel.risks.exists():
        raise ValidationError(
            {
                "note": "Add the risk assessment first: at least one risk with its likelihood, "
                "impact and mitigations."
            }
        )
    channel.status = Channel.Status.ACTIVE
    channel.approved_by = approver
    channel.approved_on = on
    channel.approval_note = note
    _save(channel, update_fields=["status", "approved_by", "approved_on", "approval_note"])
    _audit(
        "channel_approved",
        approver,
        channel,
        ["status", "approved_by", "approved_on", "approval_note"],
        request,
    )
    return channel


@transaction.atomic
def channel_close(
    *,
    channel: Channel,
    actor: Person,
    reason: str,
    on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> Channel:
    """Stop using a channel: no more drafts or publishing, and its managers stop (their access
    to the platform ends with them). Posts stay on record; closing cannot be undone here."""
    on = on or timezone.localdate()
    # Locked and read again, so that a double submit closes (and audits) once.
    Channel.objects.select_for_update().filter(pk=channel.pk).first()
    channel.refresh_from_db()
    if channel.status == Channel.Status.CLOSED:
        raise ValidationError({"reason": "This channel is already closed."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the channel is being closed."})
    channel.status = Channel.Status.CLOSED
    channel.closed_on = on
    channel.closed_by = actor
    channel.closure_reason = reason.strip()
    fields = ["status", "closed_on", "closed_by", "closure_reason"]
    _save(channel, update_fields=fields)
    _audit("channel_closed", actor, channel, fields, request)
    still_running = (
        ChannelManager.objects.filter(channel=channel)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("person")
    )
    for manager in still_running:
        manager_end(manager=manager, on=on, actor=actor, request=request)
    return channel


@transaction.atomic
def manager_add(
    *,
    channel: Channel,
    person: Person,
    starts_on: dt.date,
    actor: Person,
    request: HttpRequest | None = None,
) -> ChannelManager:
    """A member of staff who runs the channel; they may also reach its platform (netpolicy)."""
    _same_school(channel.school, person, "person")
    if channel.status == Channel.Status.CLOSED:
        raise ValidationError({"person": "This channel is closed: it has no managers any more."})
    if not person.is_staff_member or person.has_left(starts_on):
        raise ValidationError({"person": "Choose a current member of staff."})
    if not holds_role(person, MANAGER_ROLES, on=starts_on):
        raise ValidationError(
            {
                "person": f"{person.full_name} holds no channel manager or leadership role. "
                "Assign the role first on the People page."
            }
        )
    if is_channel_manager(person, channel, on=starts_on):
        raise ValidationError({"person": f"{person.full_name} already manages this channel."})
    manager = ChannelManager(
        school=channel.school, channel=channel, person=person, starts_on=starts_on
    )
    _save(manager)
    _audit("manager_added", actor, manager, ["person", "starts_on"], request)
    channel_access_grant(
        school=channel.school,
        person=person,
        service_id=channel.service_id,
        channel=_platform_label(channel),
        starts_on=starts_on,
        actor=actor.user,
    )
    return manager


def _platform_label(channel: Channel) -> str:
    # netpolicy knows a grant by person, platform and this label (it has no channel key).
    return channel.account_name[:120]


@transaction.atomic
def manager_end(
    *, manager: ChannelManager, on: dt.date, actor: Person, request: HttpRequest | None = None
) -> ChannelManager:
    """Stop someone managing a channel from `on` (the first day without it): they can no longer
    draft for it, and their access to its platform ends at the recompile after commit."""
    if manager.ends_on is not None and manager.ends_on < on:
        raise ValidationError({"ends_on": "This person has already stopped managing it."})
    # ends_on is the last day managed; one started today and stopped today never managed it.
    manager.ends_on = on - dt.timedelta(days=1)
    _save(manager, update_fields=["ends_on"])
    _audit("manager_ended", actor, manager, ["ends_on"], request)
    channel = manager.channel
    channel_access_end(
        school=channel.school,
        person=manager.person,
        service_id=channel.service_id,
        channel=_platform_label(channel),
        on=on,
        actor=actor.user,
    )
    return manager


_SECRET_LIKE = re.compile(r"(pass(word)?|pwd|pin)\s*[:=]", re.IGNORECASE)


@transaction.atomic
def custody_record(
    *,
    channel: Channel,
    kind: str,
    holder: Person,
    on: dt.date,
    actor: Person,
    from_person: Person | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> CustodyEvent:
    """Record who holds the login details (leadership staff only); never the password."""
    _same_school(channel.school, holder, "holder")
    _same_school(channel.school, from_person, "from_person")
    if _SECRET_LIKE.search(note):
        raise ValidationError(
            {"note": "Do not write a password or PIN here. Record only who holds the details."}
        )
    current = {p.pk for p in login_holders(channel)}
    if kind in (CustodyEvent.Kind.ISSUED, CustodyEvent.Kind.HANDOVER) and not holds_role(
        holder, LOGIN_HOLDER_ROLES, on=on
    ):
        raise ValidationError(
            {
                "holder": f"{holder.full_name} is not on the leadership team: only "
                "leadership staff hold the login details of official channels."
            }
        )
    if kind == CustodyEvent.Kind.HANDOVER:
        if from_person is None or from_person.pk not in current:
            raise ValidationError(
                {"from_person": "Choose the person who holds the login details now."}
            )
    elif kind in (CustodyEvent.Kind.RETURNED, CustodyEvent.Kind.ROTATED) and (
        holder.pk not in current
    ):
        raise ValidationError(
            {"holder": f"{holder.full_name} does not hold the login details now."}
        )
    event = CustodyEvent(
        school=channel.school,
        channel=channel,
        kind=kind,
        holder=holder,
        from_person=from_person if kind == CustodyEvent.Kind.HANDOVER else None,
        on=on,
        note=note,
        recorded_by=actor,
    )
    _save(event)
    _audit("custody_recorded", actor, event, ["kind", "holder", "from_person", "on"], request)
    return event


@transaction.atomic
def connector_configure(
    *,
    channel: Channel,
    actor: Person,
    connector: str,
    enabled: bool,
    facebook_page_id: str = "",
    facebook_token: str = "",
    request: HttpRequest | None = None,
) -> Channel:
    """Choose where approved posts go. A new token replaces the stored one; a blank keeps it."""
    channel.connector = connector
    channel.facebook_page_id = facebook_page_id.strip()
    if facebook_token.strip():
        channel.facebook_token_encrypted = crypto.token_encrypt(facebook_token.strip())
    if connector == Channel.Connector.FACEBOOK_PAGE and enabled:
        errors = {}
        if not channel.facebook_page_id.isdigit():
            errors["facebook_page_id"] = "Enter the Facebook Page id (digits only)."
        if not channel.facebook_token_encrypted:
            errors["facebook_token"] = "Enter the Page access token."  # noqa: S105
        if errors:
            raise ValidationError(errors)
    channel.connector_enabled = enabled
    _save(
        channel,
        update_fields=[
            "connector",
            "connector_enabled",
            "facebook_page_id",
            "facebook_token_encrypted",
        ],
    )
    fields = ["connector", "connector_enabled", "facebook_page_id"]
    if facebook_token.strip():
        fields.append("facebook_token_encrypted")
    _audit("connector_configured", actor, channel, fields, request)
    return channel


def connector_for(channel: Channel) -> Connector:
    if channel.connector == Channel.Connector.FACEBOOK_PAGE and channel.connector_enabled:
        return FacebookPageConnector(
            page_id=channel.facebook_page_id,
            token=crypto.token_decrypt(channel.facebook_token_encrypted),
        )
    return NewsPageConnector()


# --- posts --------------------------------------------------------------------------------


def draft_refusal(*, person: Person, channel: Channel, on: dt.date) -> str:
    """Why this person may not draft for this channel today ("" when they may)."""
    if channel.school_id != person.school_id:
        return "This channel belongs to another school."
    if channel.status == Channel.Status.CLOSED:
        return "This channel is closed: nothing more is drafted or published on it."
    if not channel.is_active(on):
        if channel.status == Channel.Status.ACTIVE:
            return (
                "The channel's yearly approval has lapsed: the headteacher must approve its "
                "risk assessment again before anyone posts."
            )
        return "The channel is not approved by the headteacher, so nobody can post on it yet."
    if not is_channel_manager(person, channel, on=on):
        return (
            "You are not a manager of this channel. Only staff the school has authorised to "
            "run it can draft its posts."
        )
    if not has_acknowledged_current(person=person, policy_kind="acceptable_use"):
        return (
            "You have not accepted the current acceptable use policy. Read and accept it "
            "under Policies, then come back to draft."
        )
    return ""


def _require_drafter(person: Person, channel: Channel, on: dt.date) -> None:
    reason = draft_refusal(person=person, channel=channel, on=on)
    if reason:
        raise NotAllowed(reason)


def post_findings(post: Post, *, on: dt.date) -> list[checks.Finding]:
    """Every automated check on the post as it stands, images and consent included."""
    school = post.channel.school
    domains = [school.office_email.rsplit("@", 1)[-1]] if school.office_email else []
    findings = checks.check_text(
        post.text, roster=school_roster(school, on=on), allowed_email_domains=domains
    )
    if post.pk is None:
        return findings
    for number, image in enumerate(post.images.all(), start=1):
        learners = list(image.learners.all())
        if not learners and not image.no_learners:
            findings.append(
                checks.Finding(
                    "image_untagged",
                    checks.BLOCK,
                    f"Image {number} ({image.description}): tag each learner pictured, or "
                    "confirm that no learners are pictured.",
                )
            )
        for learner in learners:
            for purpose in REQUIRED_PURPOSES:
                problem = consent_problem(learner, purpose, on=on)
                if problem:
                    findings.append(
                        checks.Finding(
                            "consent",
                            checks.BLOCK,
                            f"Image {number} pictures {learner.full_name}, but {problem}. "
                            "Remove the image or record the parent's written consent first.",
                        )
                    )
    return findings


def _run_checks(post: Post, on: dt.date) -> list[checks.Finding]:
    findings = post_findings(post, on=on)
    post.findings = [f.as_dict() for f in findings]
    post.checked_at = timezone.now()
    return findings


def _blocking_error(findings: list[checks.Finding]) -> ValidationError:
    return ValidationError({"text": [f.message for f in findings if f.severity == checks.BLOCK]})


@transaction.atomic
def post_create(
    *,
    channel: Channel,
    author: Person,
    text: str,
    publish_at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Post:
    today = timezone.localdate()
    _require_drafter(author, channel, today)
    post = Post(
        school=channel.school, channel=channel, author=author, text=text, publish_at=publish_at
    )
    _run_checks(post, today)
    _save(post)
    _audit("post_drafted", author, post, ["text", "publish_at", "findings"], request)
    return post


EDITABLE = (Post.Status.DRAFT, Post.Status.IN_REVIEW, Post.Status.APPROVED, Post.Status.SCHEDULED)


def _reopen(post: Post, editor: Person, request: Any) -> list[str]:
    """An edit after review started sends the post back to draft (and so to review again)."""
    if post.status == Post.Status.DRAFT:
        return []
    was = post.status
    post.status = Post.Status.DRAFT
    post.reviewer = None
    post.reviewed_at = None
    post.review_note = f"Changed by {editor.full_name} after it was {was.replace('_', ' ')}."
    return ["status", "reviewer", "reviewed_at", "review_note"]


@transaction.atomic
def post_update(
    *,
    post: Post,
    editor: Person,
    text: str,
    publish_at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Post:
    today = timezone.localdate()
    _require_drafter(editor, post.channel, today)
    if post.status not in EDITABLE:
        raise NotAllowed("A published post cannot be changed. Take it down and draft a new one.")
    fields = ["text", "publish_at", "findings", "checked_at"]
    post.text = text
    post.publish_at = publish_at
    reopened = _reopen(post, editor, request)
    _run_checks(post, today)
    _save(post)
    _audit("post_edited", editor, post, fields + reopened, request)
    if reopened:
        _audit("post_review_reopened", editor, post, reopened, request)
    return post


@transaction.atomic
def post_image_add(
    *,
    post: Post,
    editor: Person,
    upload: Any,
    description: str,
    learners: Iterable[Person] = (),
    no_learners: bool = False,
    request: HttpRequest | None = None,
) -> PostImage:
    today = timezone.localdate()
    _require_drafter(editor, post.channel, today)
    if post.status not in EDITABLE:
        raise NotAllowed("A published post cannot be changed. Take it down and draft a new one.")
    learners = list(learners)
    for learner in learners:
        if learner.school_id != post.school_id or learner.kind != Person.Kind.LEARNER:
            raise ValidationError({"learners": "Tag only learners of this school."})
    if learners and no_learners:
        raise ValidationError(
            {"no_learners": "You tagged learners, so do not also say that none are pictured."}
        )
    if not learners and not no_learners:
        raise ValidationError(
            {"learners": "Tag each learner pictured, or confirm that no learners are pictured."}
        )
    if not description.strip():
        raise ValidationError({"description": "Describe the image for people who cannot see it."})
    checked = files.check(upload, field="image", types=files.IMAGE_TYPES)
    image = PostImage(
        school=post.school,
        post=post,
        stored_name="0" * 32,
        original_name=checked.original_name,
        content_type=checked.content_type,
        description=description.strip(),
        no_learners=no_learners,
    )
    image.full_clean()
    image.stored_name = files.store_on_commit(checked.data)
    image.save()
    image.learners.set(learners)
    reopened = _reopen(post, editor, request)
    _run_checks(post, today)
    _save(post)
    _audit("post_image_added", editor, image, ["description", "learners", "no_learners"], request)
    if reopened:
        _audit("post_review_reopened", editor, post, reopened, request)
    return image


@transaction.atomic
def post_submit(*, post: Post, author: Person, request: HttpRequest | None = None) -> Post:
    """Run the checks and, when nothing blocks, ask a colleague to review."""
    today = timezone.localdate()
    _require_drafter(author, post.channel, today)
    if post.status != Post.Status.DRAFT:
        raise NotAllowed("Only a draft can be sent for review.")
    findings = _run_checks(post, today)
    if any(f.severity == checks.BLOCK for f in findings):
        _save(post, update_fields=["findings", "checked_at"])
        _audit("post_checks_failed", author, post, ["findings"], request)
        return post
    post.status = Post.Status.IN_REVIEW
    _save(post, update_fields=["status", "findings", "checked_at"])
    _audit("post_submitted", author, post, ["status", "findings"], request)
    return post


@transaction.atomic
def post_review(
    *,
    post: Post,
    reviewer: Person,
    approve: bool,
    note: str = "",
    request: HttpRequest | None = None,
) -> Post:
    """A second colleague, never the author, approves the post or sends it back."""
    if reviewer.pk == post.author_id:
        raise NotAllowed("You wrote this post: another colleague must review it.")
    if post.status != Post.Status.IN_REVIEW:
        raise NotAllowed("This post is not waiting for review.")
    today = timezone.localdate()
    if not approve:
        if not note.strip():
            raise ValidationError({"note": "Say what the author should change."})
        post.status = Post.Status.DRAFT
        post.review_note = note.strip()
        post.reviewer = reviewer
        post.reviewed_at = timezone.now()
        _save(post, update_fields=["status", "review_note", "reviewer", "reviewed_at"])
        _audit("post_returned", reviewer, post, ["status", "review_note", "reviewer"], request)
        return post
    findings = _run_checks(post, today)
    if any(f.severity == checks.BLOCK for f in findings):
        raise _blocking_error(findings)
    post.status = Post.Status.APPROVED
    post.reviewer = reviewer
    post.reviewed_at = timezone.now()
    post.review_note = note.strip()
    _save(
        post,
        update_fields=[
            "status",
            "reviewer",
            "reviewed_at",
            "review_note",
            "findings",
            "checked_at",
        ],
    )
    _audit("post_approved", reviewer, post, ["status", "reviewer", "reviewed_at"], request)
    return post


def _go_live(post: Post, actor: Person | None, now: dt.datetime, request: Any) -> None:
    post.status = Post.Status.PUBLISHED
    post.published_at = now
    fields = ["status", "published_at"]
    if post.channel.connector != Channel.Connector.NEWS_PAGE and post.channel.connector_enabled:
        post.external_status = Post.External.PENDING
        fields.append("external_status")
        # The worker sends it once this transaction commits (the job is invisible before).
        job_enqueue(kind="channels.push_post", payload={"post_id": post.pk})
    _save(post, update_fields=fields)
    _audit("post_published", actor, post, fields, request)


@transaction.atomic
def post_publish(
    *, post: Post, actor: Person, now: dt.datetime | None = None, request: Any = None
) -> Post:
    """Publish an approved post now, or schedule it for its publication time."""
    now = now or timezone.now()
    _require_drafter(actor, post.channel, timezone.localdate(now))
    if post.status != Post.Status.APPROVED:
        raise NotAllowed("Only a post a colleague has approved can be published.")
    findings = _run_checks(post, timezone.localdate(now))
    if any(f.severity == checks.BLOCK for f in findings):
        raise _blocking_error(findings)
    if post.publish_at is not None and post.publish_at > now:
        post.status = Post.Status.SCHEDULED
        _save(post, update_fields=["status", "findings", "checked_at"])
        _audit("post_scheduled", actor, post, ["status", "publish_at"], request)
        return post
    _go_live(post, actor, now, request)
    return post


def posts_publish_due(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Publish scheduled posts whose time has come; (published, sent back to draft)."""
    now = now or timezone.now()
    published = held = 0
    due = Post.objects.filter(status=Post.Status.SCHEDULED, publish_at__lte=now)
    for post_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            post = Post.objects.select_for_update().select_related("channel").get(pk=post_id)
            if post.status != Post.Status.SCHEDULED:
                continue
            findings = _run_checks(post, timezone.localdate(now))
            if not post.channel.is_active(timezone.localdate(now)) or any(
                f.severity == checks.BLOCK for f in findings
            ):
                post.status = Post.Status.DRAFT
                post.review_note = "Held back at its publication time: see the checks."
                _save(post, update_fields=["status", "review_note", "findings", "checked_at"])
                _audit("post_held", None, post, ["status", "findings"], None)
                held += 1
                continue
            _go_live(post, None, now, None)
            published += 1
    return published, held


def post_push(*, post_id: int, connector: Connector | None = None) -> Post:
    """Send a published post to its external platform (the worker's job) and record the answer."""
    post = Post.objects.select_related("channel", "channel__school").get(pk=post_id)
    try:
        chosen = connector or connector_for(post.channel)
        result = chosen.publish(text=post.text)
    except (PublishError, ValidationError) as error:
        message = error.messages[0] if isinstance(error, ValidationError) else str(error)
        with transaction.atomic():
            post.external_status = Post.External.FAILED
            post.external_error = message[:300]
            _save(post, update_fields=["external_status", "external_error"])
            _audit("post_push_failed", None, post, ["external_status", "external_error"], None)
        return post
    with transaction.atomic():
        post.external_status = Post.External.SENT
        post.external_id = result.external_id
        post.external_error = ""
        _save(post, update_fields=["external_status", "external_id", "external_error"])
        _audit("post_pushed", None, post, ["external_status", "external_id"], None)
    return post


@transaction.atomic
def take_down_refusal(*, person: Person, post: Post, may_manage_register: bool, on: dt.date) -> str:
    """Why this person may not take this post down ("" when they may).

    On a working channel, the people who may draft for it. On a closed channel nobody drafts
    any more, yet a post may still have to come down (a learner shown without consent), so
    those who manage the register of channels (headteacher, leadership) can still do it.
    """
    if post.channel.status == Channel.Status.CLOSED:
        if may_manage_register and post.school_id == person.school_id:
            return ""
        return (
            "This channel is closed. Ask the headteacher or a member of leadership to take "
            "the post down."
        )
    return draft_refusal(person=person, channel=post.channel, on=on)


def post_take_down(*, post: Post, actor: Person, request: HttpRequest | None = None) -> Post:
    if post.status not in (Post.Status.PUBLISHED, Post.Status.SCHEDULED):
        raise NotAllowed("Only a published or scheduled post can be taken down.")
    post.status = Post.Status.TAKEN_DOWN
    post.taken_down_at = timezone.now()
    _save(post, update_fields=["status", "taken_down_at"])
    _audit("post_taken_down", actor, post, ["status", "taken_down_at"], request)
    return post


# --- consent ------------------------------------------------------------------------------


def end_of_academic_year(day: dt.date) -> dt.date:
    return dt.date(day.year + 1 if day.month >= 9 else day.year, 8, 31)


@transaction.atomic
def consent_record(
    *,
    learner: Person,
    purpose: str,
    given_by: Person,
    evidence: str,
    given_on: dt.date,
    actor: Person,
    expires_on: dt.date | None = None,
    upload: Any = None,
    form_reference: str = "",
    request: HttpRequest | None = None,
) -> Consent:
    school = actor.school
    _same_school(school, learner, "learner")
    _same_school(school, given_by, "given_by")
    if learner.kind != Person.Kind.LEARNER:
        raise ValidationError({"learner": "Choose a learner."})
    if not ParentLink.objects.filter(
        parent=given_by, learner=learner, parental_responsibility=True
    ).exists():
        raise ValidationError(
            {
                "given_by": f"{given_by.full_name} has no parental responsibility for "
                f"{learner.full_name} on record: consent must come from someone who has."
            }
        )
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": "The date consent was given cannot be in the future."})
    expires = expires_on or end_of_academic_year(given_on)
    if expires < given_on:
        raise ValidationError({"expires_on": "The expiry date must be after the date given."})
    consent = Consent(
        school=school,
        learner=learner,
        purpose=purpose,
        given_by=given_by,
        evidence=evidence,
        form_reference=form_reference.strip(),
        given_on=given_on,
        expires_on=expires,
        recorded_by=actor,
    )
    checked = None
    if evidence == Consent.Evidence.UPLOAD:
        if upload is None:
            raise ValidationError({"upload": "Upload the signed consent form."})
        checked = files.check(upload, field="upload", types=files.EVIDENCE_TYPES)
        consent.evidence_file_name = checked.original_name
        consent.evidence_file = "0" * 32
    elif not consent.form_reference:
        raise ValidationError(
            {"form_reference": "Give the reference of the signed paper form kept on file."}
        )
    consent.full_clean()
    if checked is not None:
        consent.evidence_file = files.store_on_commit(checked.data)
    consent.save()
    _audit(
        "consent_recorded",
        actor,
        consent,
        ["learner", "purpose", "given_by", "evidence", "given_on", "expires_on"],
        request,
    )
    return consent


@transaction.atomic
def consent_withdraw(
    *,
    consent: Consent,
    on: dt.date,
    actor: Person,
    note: str = "",
    request: HttpRequest | None = None,
) -> list[TakeDownTask]:
    """Withdraw consent; every published post picturing the learner for that purpose gets a
    take-down task for the channel's managers."""
    if consent.withdrawn_on is not None:
        raise ValidationError({"on": "This consent has already been withdrawn."})
    if on < consent.given_on:
        raise ValidationError({"on": "Consent cannot be withdrawn before it was given."})
    consent.withdrawn_on = on
    consent.withdrawn_note = note
    _save(consent, update_fields=["withdrawn_on", "withdrawn_note"])
    _audit("consent_withdrawn", actor, consent, ["withdrawn_on", "withdrawn_note"], request)
    tasks: list[TakeDownTask] = []
    if consent.purpose not in REQUIRED_PURPOSES:
        return tasks
    posts = (
        Post.objects.filter(
            school=consent.school,
            status__in=(Post.Status.PUBLISHED, Post.Status.SCHEDULED),
            images__learners=consent.learner,
        )
        .distinct()
        .order_by("pk")
    )
    for post in posts:
        task = TakeDownTask(school=consent.school, post=post, consent=consent)
        _save(task)
        _audit("take_down_opened", actor, task, ["post", "consent"], request)
        tasks.append(task)
    if tasks:
        job_enqueue(kind="channels.take_down_alerts", payload={"task_ids": [t.pk for t in tasks]})
    return tasks


@transaction.atomic
def take_down_complete(
    *, task: TakeDownTask, actor: Person, note: str = "", request: HttpRequest | None = None
) -> TakeDownTask:
    """Done: the post is off its platform; it also comes off the news page here."""
    if task.done_at is not None:
        raise ValidationError({"note": "This task is already done."})
    on = timezone.localdate()
    if not is_channel_manager(actor, task.post.channel, on=on) and not holds_role(
        actor, LOGIN_HOLDER_ROLES, on=on
    ):
        raise NotAllowed("Only the channel's managers or leadership can close this task.")
    if task.post.status in (Post.Status.PUBLISHED, Post.Status.SCHEDULED):
        post_take_down(post=task.post, actor=actor, request=request)
    task.done_at = timezone.now()
    task.done_by = actor
    task.note = note
    _save(task, update_fields=["done_at", "done_by", "note"])
    _audit("take_down_done", actor, task, ["done_at", "done_by", "note"], request)
    return task


# --- moderation ---------------------------------------------------------------------------


@transaction.atomic
def moderation_log(
    *,
    channel: Channel,
    actor: Person,
    kind: str,
    received_on: dt.date,
    summary: str,
    action: str,
    learners: Iterable[Person] = (),
    post: Post | None = None,
    request: HttpRequest | None = None,
) -> ModerationItem:
    learners = list(learners)
    for learner in learners:
        if learner.school_id != channel.school_id or learner.kind != Person.Kind.LEARNER:
            raise ValidationError({"learners": "Choose learners of this school."})
    if post is not None and post.channel_id != channel.pk:
        raise ValidationError({"post": "Choose a post of this channel."})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": "The date cannot be in the future."})
    item = ModerationItem(
        school=channel.school,
        channel=channel,
        post=post,
        kind=kind,
        received_on=received_on,
        summary=summary,
        action=action,
        logged_by=actor,
    )
    _save(item)
    item.learners.set(learners)
    _audit(
        "moderation_logged",
        actor,
        item,
        ["kind", "received_on", "summary", "action", "learners", "post"],
        request,
    )
    return item


# --- school-created learner accounts (clause 6) -------------------------------------------


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    return (
        day.year
        - date_of_birth.year
        - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
    )


@transaction.atomic
def learner_account_register(
    *,
    learner: Person,
    service_id: str,
    purpose: str,
    created_on: dt.date,
    actor: Person,
    request: HttpRequest | None = None,
) -> LearnerAccount:
    """Record an account the school creates for a learner; refuse it under the service's age."""
    school = actor.school
    _same_school(school, learner, "learner")
    if learner.kind != Person.Kind.LEARNER:
        raise ValidationError({"learner": "Choose a learner."})
    names = dict(service_choices(school))
    if service_id not in names:
        raise ValidationError({"service_id": "Choose a service from the school's catalogue."})
    if learner.date_of_birth is None:
        raise ValidationError(
            {
                "learner": f"{learner.full_name} has no date of birth on record, so their age "
                "cannot be checked. Update it from the MIS first."
            }
        )
    age = age_on(learner.date_of_birth, created_on)
    minimum = service_minimum_age(service_id, school=school)
    if minimum is not None and age < minimum:
        raise ValidationError(
            {
                "learner": f"{learner.full_name} is {age}; {names[service_id]} is for people "
                f"aged {minimum} or over. The school does not create accounts for learners "
                "under a service's minimum age."
            }
        )
    account = LearnerAccount(
        school=school,
        learner=learner,
        service_id=service_id,
        purpose=purpose,
        created_on=created_on,
        minimum_age=minimum,
        age_on_creation=age,
        recorded_by=actor,
    )
    _save(account)
    _audit(
        "learner_account_registered",
        actor,
        account,
        ["learner", "service_id", "purpose", "created_on", "minimum_age", "age_on_creation"],
        request,
    )
    return account
