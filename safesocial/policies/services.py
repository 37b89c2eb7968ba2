"""Business actions on policies: each is atomic, validated and audited in the same transaction."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from safesocial.audit.services import audit_record
from safesocial.people.models import Person, Role, RoleAssignment, School
from safesocial.policies.models import (
    ACKNOWLEDGED_KINDS,
    Acknowledgement,
    ActionItem,
    CopyRequest,
    FormalReview,
    Notice,
    Policy,
    PolicyKind,
    PolicyVersion,
    ReviewTrigger,
    SignOff,
    SignOffRole,
    TrainingRecord,
)
from safesocial.policies.structure import parse_policy

# Days after a trigger by which the early review should happen, unless a date is given.
TRIGGER_REVIEW_WITHIN_DAYS = 30
# A training record lasts this long unless the form says otherwise.
TRAINING_VALID_MONTHS = 12
SIGN_OFF_ROLES: dict[str, str] = {
    SignOffRole.HEADTEACHER: Role.HEADTEACHER,
    SignOffRole.CHAIR: Role.CHAIR_OF_TRUSTEES,
}


class PolicyError(Exception):
    """A refused action, with a message fit to show the person who asked."""


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def site_link(name: str, **kwargs: Any) -> str:
    return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs)}"


def slug_for_kind(kind: str) -> str:
    return kind.replace("_", "-")


# --- Register ---------------------------------------------------------------------------------


@transaction.atomic
def policy_register_setup(*, school: School, actor: Any = None) -> list[Policy]:
    """Add the social media policy and every linked policy (clause 2) the register lacks."""
    created: list[Policy] = []
    existing = set(Policy.objects.for_school(school).values_list("kind", flat=True))
    for kind, label in PolicyKind.choices:
        if kind in existing:
            continue
        policy = Policy(school=school, kind=kind, slug=slug_for_kind(kind), title=label)
        policy.full_clean()
        policy.save()
        audit_record(action="policies.policy_created", actor=actor, school=school, obj=policy)
        created.append(policy)
    return created


POLICY_FIELDS = ("title", "number", "owner", "review_cycle_months", "is_public")


@transaction.atomic
def policy_update(
    *, policy: Policy, actor: Any, request: HttpRequest | None = None, **values: Any
) -> list[str]:
    changed = [
        name for name in POLICY_FIELDS if name in values and getattr(policy, name) != values[name]
    ]
    for name in changed:
        setattr(policy, name, values[name])
    if policy.owner is not None and policy.owner.school_id != policy.school_id:
        raise PolicyError("The owner must belong to this school.")
    if "review_cycle_months" in changed and policy.last_reviewed_on is not None:
        due = add_months(policy.last_reviewed_on, policy.review_cycle_months)
        if policy.next_review_due is None or due < policy.next_review_due:
            policy.next_review_due = due
            changed.append("next_review_due")
    policy.full_clean()
    if changed:
        policy.save(update_fields=changed)
        audit_record(
            action="policies.policy_updated",
            actor=actor,
            school=policy.school,
            obj=policy,
            fields=changed,
            request=request,
        )
    return changed


# --- Versions ---------------------------------------------------------------------------------


def _check_body(body: str) -> None:
    problems = parse_policy(body).problems
    if problems:
        raise ValidationError({"body": [str(problem) for problem in problems]})


@transaction.atomic
def version_draft(
    *,
    policy: Policy,
    body: str,
    actor: Any,
    change_note: str = "",
    request: HttpRequest | None = None,
) -> PolicyVersion:
    """Start a new draft; refused while another draft of the policy is open."""
    Policy.objects.select_for_update().filter(pk=policy.pk).first()
    open_draft = policy.versions.filter(status=PolicyVersion.Status.DRAFT).first()
    if open_draft is not None:
        raise PolicyError(
            f"Version {open_draft.number} is still a draft: change it, or have it signed, first."
        )
    _check_body(body)
    now = timezone.now()
    last = policy.versions.aggregate(last=Max("number"))["last"] or 0
    version = PolicyVersion(
        school=policy.school,
        policy=policy,
        number=last + 1,
        body=body,
        change_note=change_note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        updated_at=now,
    )
    version.full_clean()
    version.save()
    audit_record(
        action="policies.version_drafted",
        actor=actor,
        school=policy.school,
        obj=version,
        fields=["body", "change_note"],
        request=request,
    )
    return version


@transaction.atomic
def version_update(
    *,
    version: PolicyVersion,
    body: str,
    actor: Any,
    change_note: str | None = None,
    request: HttpRequest | None = None,
) -> PolicyVersion:
    """Change a draft's text. Approved versions never change; a change drops any sign-off."""
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if locked.is_approved:
        raise PolicyError(
            f"Version {locked.number} is approved and cannot be changed. Start a new draft."
        )
    _check_body(body)
    changed = []
    if locked.body != body:
        locked.body = body
        changed.append("body")
    if change_note is not None and locked.change_note != change_note:
        locked.change_note = change_note
        changed.append("change_note")
    if not changed:
        return locked
    locked.updated_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=[*changed, "updated_at"])
    # A signature covers the text as it was signed: a changed text needs signing again.
    dropped = locked.sign_offs.all().delete()[0]
    audit_record(
        action="policies.version_updated",
        actor=actor,
        school=locked.school,
        obj=locked,
        fields=changed + (["sign_offs"] if dropped else []),
        request=request,
    )
    return locked


@transaction.atomic
def version_import(*, policy: Policy, body: str, actor: Any = None) -> PolicyVersion:
    """Put a file's text into the open draft, or start a new draft with it."""
    draft = policy.versions.filter(status=PolicyVersion.Status.DRAFT).first()
    if draft is not None:
        return version_update(version=draft, body=body, actor=actor, change_note="Imported")
    return version_draft(policy=policy, body=body, actor=actor, change_note="Imported")


def signer_roles(*, person: Person, today: dt.date) -> list[str]:
    """The sign-off roles the person holds today (from current role assignments)."""
    held = set(
        RoleAssignment.objects.for_school(person.school)
        .current(today)
        .filter(person=person)
        .values_list("role", flat=True)
    )
    return [sign_role for sign_role, role in SIGN_OFF_ROLES.items() if role in held]


@transaction.atomic
def version_sign(
    *,
    version: PolicyVersion,
    person: Person,
    verified: bool,
    actor: Any = None,
    request: HttpRequest | None = None,
) -> SignOff:
    """Sign a draft as headteacher or chair of trustees; the second signature approves it.

    The signer must hold the role today and must have passed the second factor.
    """
    if not verified:
        raise PolicyError("Sign-off needs the code from your authenticator app first.")
    locked = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
    if person.school_id != locked.school_id:
        raise PolicyError("Only the school's own headteacher and chair can sign its policies.")
    if locked.is_approved:
        raise PolicyError(f"Version {locked.number} is already approved.")
    today = timezone.localdate()
    if person.has_left(today):
        raise PolicyError("You have left the school and can no longer sign its policies.")
    signed = {s.role: s for s in locked.sign_offs.all()}
    if any(s.person_id == person.pk for s in signed.values()):
        raise PolicyError("You have already signed this version; the other signer must sign it.")
    roles = [role for role in signer_roles(person=person, today=today) if role not in signed]
    if not roles:
        raise PolicyError(
            "Only the current headteacher and the current chair of trustees can sign; "
            "your role does not allow it, or that signature is already given."
        )
    now = timezone.now()
    sign_off = SignOff(
        school=locked.school, version=locked, role=roles[0], person=person, signed_at=now
    )
    sign_off.full_clean()
    sign_off.save()
    audit_record(
        action="policies.version_signed",
        actor=actor,
        school=locked.school,
        obj=locked,
        fields=[f"sign_off.{sign_off.role}"],
        request=request,
    )
    signed[sign_off.role] = sign_off
    if set(signed) >= set(SIGN_OFF_ROLES):
        _approve(locked, now=now, actor=actor, request=request)
    return sign_off


def _approve(
    version: PolicyVersion, *, now: dt.datetime, actor: Any, request: HttpRequest | None
) -> None:
    policy = Policy.objects.select_for_update().get(pk=version.policy_id)
    today = timezone.localtime(now).date()
    version.status = PolicyVersion.Status.APPROVED
    version.approved_at = now
    version.reviewed_on = today
    version.next_review_on = add_months(today, min(policy.review_cycle_months, 12))
    version.save(update_fields=["status", "approved_at", "reviewed_on", "next_review_on"])
    policy.current_version = version
    policy.last_reviewed_on = version.reviewed_on
    policy.next_review_due = version.next_review_on
    policy.save(update_fields=["current_version", "last_reviewed_on", "next_review_due"])
    audit_record(
        action="policies.version_approved",
        actor=actor,
        school=policy.school,
        obj=version,
        fields=["status", "approved_at", "reviewed_on", "next_review_on"],
        request=request,
    )


# --- Reviews, triggers and the action plan -------------------------------------------------------


@transaction.atomic
def review_trigger_log(
    *,
    policy: Policy,
    kind: str,
    description: str,
    occurred_on: dt.date,
    actor: Any,
    review_by: dt.date | None = None,
    request: HttpRequest | None = None,
) -> ReviewTrigger:
    """Log a reason to review early; the due date moves forward, never back."""
    locked = Policy.objects.select_for_update().get(pk=policy.pk)
    wanted = review_by or occurred_on + dt.timedelta(days=TRIGGER_REVIEW_WITHIN_DAYS)
    if review_by is not None and review_by < occurred_on:
        raise ValidationError({"review_by": "The review cannot be due before the change happened."})
    due_before = locked.next_review_due
    due_after = min(wanted, due_before) if due_before is not None else wanted
    trigger = ReviewTrigger(
        school=locked.school,
        policy=locked,
        kind=kind,
        description=description,
        occurred_on=occurred_on,
        due_before=due_before,
        due_after=due_after,
        logged_by=actor if getattr(actor, "is_authenticated", False) else None,
        logged_at=timezone.now(),
    )
    trigger.full_clean()
    trigger.save()
    if due_after != due_before:
        locked.next_review_due = due_after
        locked.save(update_fields=["next_review_due"])
    audit_record(
        action="policies.review_trigger_logged",
        actor=actor,
        school=locked.school,
        obj=trigger,
        fields=["kind", "description", "occurred_on", "next_review_due"],
        request=request,
    )
    return trigger


@transaction.atomic
def action_item_create(
    *,
    school: School,
    title: str,
    source: str,
    owner: Person,
    due_on: dt.date,
    policy: Policy | None = None,
    review: FormalReview | None = None,
    source_reference: str = "",
    actor: Any = None,
    request: HttpRequest | None = None,
) -> ActionItem:
    """Add an item to the school's action plan. Other apps call this for concerns and monitoring.

    `source_reference` names the record it came from by id ("concern 12"), never its content.
    """
    if owner.school_id != school.pk:
        raise PolicyError("The owner of an action must belong to the school.")
    if owner.kind in (Person.Kind.LEARNER, Person.Kind.PARENT):
        raise PolicyError("The owner of an action must be a member of staff or a trustee.")
    item = ActionItem(
        school=school,
        title=title,
        source=source,
        source_reference=source_reference,
        review=review,
        policy=policy,
        owner=owner,
        due_on=due_on,
        created_at=timezone.now(),
    )
    item.full_clean()
    item.save()
    audit_record(
        action="policies.action_item_created",
        actor=actor,
        school=school,
        obj=item,
        fields=["title", "source", "owner", "due_on"],
        request=request,
    )
    notice_send(
        school=school,
        recipient=owner,
        key=f"action:{item.pk}:assigned",
        message="An action in the school's action plan was given to you.",
        link=site_link("policies:action_plan", school=school.slug),
    )
    return item


@transaction.atomic
def action_item_update(
    *,
    item: ActionItem,
    actor: Any,
    status: str,
    evidence: str,
    owner: Person,
    due_on: dt.date,
    request: HttpRequest | None = None,
) -> list[str]:
    locked = ActionItem.objects.select_for_update().get(pk=item.pk)
    if owner.school_id != locked.school_id:
        raise PolicyError("The owner of an action must belong to the school.")
    if status == ActionItem.Status.DONE and not evidence.strip():
        raise ValidationError({"evidence": "Describe the evidence that the action is done."})
    values = {"status": status, "evidence": evidence, "owner": owner, "due_on": due_on}
    changed = [name for name, value in values.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, values[name])
    if status == ActionItem.Status.DONE and locked.completed_on is None:
        locked.completed_on = timezone.localdate()
        changed.append("completed_on")
    elif status != ActionItem.Status.DONE and locked.completed_on is not None:
        locked.completed_on = None
        changed.append("completed_on")
    locked.full_clean()
    if changed:
        locked.save(update_fields=changed)
        audit_record(
            action="policies.action_item_updated",
            actor=actor,
            school=locked.school,
            obj=locked,
            fields=changed,
            request=request,
        )
    return changed


@transaction.atomic
def review_record(
    *,
    policy: Policy,
    held_on: dt.date,
    trustees_present: Iterable[Person],
    discussion: str,
    outcome: str,
    deficiencies: Iterable[str],
    actor: Any,
    action_owner: Person | None = None,
    action_due_on: dt.date | None = None,
    pack_from: dt.date | None = None,
    pack_to: dt.date | None = None,
    request: HttpRequest | None = None,
) -> FormalReview:
    """Record the trustees' formal review; each deficiency becomes an action-plan item.

    `pack_from` and `pack_to`, both or neither, attach the annual review pack of that period."""
    trustees = list(trustees_present)
    found = [line.strip() for line in deficiencies if line.strip()]
    if not trustees:
        raise ValidationError({"trustees_present": "Choose the trustees who were present."})
    if any(t.school_id != policy.school_id for t in trustees):
        raise PolicyError("Trustees present must belong to the school.")
    if found and (action_owner is None or action_due_on is None):
        raise ValidationError(
            {"action_owner": "Deficiencies need an owner and a due date for their actions."}
        )
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "The review date cannot be in the future."})
    locked = Policy.objects.select_for_update().get(pk=policy.pk)
    review = FormalReview(
        school=locked.school,
        policy=locked,
        version=locked.current_version,
        held_on=held_on,
        discussion=discussion,
        outcome=outcome,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        recorded_at=timezone.now(),
        pack_from=pack_from,
        pack_to=pack_to,
    )
    review.full_clean()
    review.save()
    review.trustees_present.set(trustees)
    locked.last_reviewed_on = held_on
    update = ["last_reviewed_on"]
    if outcome == FormalReview.Outcome.CONFIRMED:
        locked.next_review_due = add_months(held_on, locked.review_cycle_months)
        update.append("next_review_due")
    locked.save(update_fields=update)
    audit_record(
        action="policies.review_recorded",
        actor=actor,
        school=locked.school,
        obj=review,
        fields=[
            "held_on",
            "trustees_present",
            "discussion",
            "outcome",
            *(["pack_from", "pack_to"] if review.pack_from is not None else []),
            *update,
        ],
        request=request,
    )
    for title in found:
        assert action_owner is not None and action_due_on is not None
        action_item_create(
            school=locked.school,
            title=title[:300],
            source=ActionItem.Source.REVIEW,
            source_reference=f"review {review.pk}",
            owner=action_owner,
            due_on=action_due_on,
            policy=locked,
            review=review,
            actor=actor,
            request=request,
        )
    return review


# --- Acknowledgements and training -------------------------------------------------------------


def must_acknowledge(person: Person) -> bool:
    return person.kind in (*Person.STAFF_KINDS, Person.Kind.VOLUNTEER)


@transaction.atomic
def acknowledgement_record(
    *,
    person: Person,
    version: PolicyVersion,
    actor: Any = None,
    request: HttpRequest | None = None,
) -> Acknowledgement:
    """The person read and accepts this version; it must be the policy's current one."""
    policy = Policy.objects.get(pk=version.policy_id)  # fresh: a newer version may be current
    if policy.kind not in ACKNOWLEDGED_KINDS:
        raise PolicyError("This policy does not ask for an acknowledgement.")
    if not must_acknowledge(person) or person.school_id != version.school_id:
        raise PolicyError("Only the school's staff and volunteers acknowledge this policy.")
    if policy.current_version_id != version.pk:
        raise PolicyError("A newer version has been approved since: read that one and accept it.")
    existing = Acknowledgement.objects.filter(person=person, version=version).first()
    if existing is not None:
        return existing
    acknowledgement = Acknowledgement(
        school=version.school, person=person, version=version, accepted_at=timezone.now()
    )
    acknowledgement.full_clean()
    try:
        with transaction.atomic():
            acknowledgement.save()
    except IntegrityError:  # the same person pressed the button twice at once
        return Acknowledgement.objects.get(person=person, version=version)
    audit_record(
        action="policies.acknowledged",
        actor=actor,
        school=version.school,
        obj=acknowledgement,
        fields=["version"],
        request=request,
    )
    return acknowledgement


@transaction.atomic
def training_record(
    *,
    person: Person,
    kind: str,
    completed_on: dt.date,
    actor: Any,
    expires_on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> TrainingRecord:
    if not must_acknowledge(person):
        raise PolicyError("Training records are kept for staff and volunteers only.")
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "The training date cannot be in the future."})
    expires = expires_on or add_months(completed_on, TRAINING_VALID_MONTHS)
    if expires <= completed_on:
        raise ValidationError({"expires_on": "The expiry date must be after the training date."})
    record = TrainingRecord(
        school=person.school,
        person=person,
        kind=kind,
        completed_on=completed_on,
        expires_on=expires,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        recorded_at=timezone.now(),
    )
    record.full_clean()
    record.save()
    audit_record(
        action="policies.training_recorded",
        actor=actor,
        school=person.school,
        obj=record,
        fields=["person", "kind", "completed_on", "expires_on"],
        request=request,
    )
    return record


# --- Copies in other formats (F1) ----------------------------------------------------------------


def _role_holders(school: School, role: str, today: dt.date) -> list[Person]:
    ids = (
        RoleAssignment.objects.for_school(school)
        .current(today)
        .filter(role=role)
        .values_list("person_id", flat=True)
    )
    return list(
        Person.objects.filter(pk__in=ids).filter(
            Q(leaving_date__isnull=True) | Q(leaving_date__gt=today)
        )
    )


@transaction.atomic
def copy_request_create(
    *,
    policy: Policy,
    format: str,
    name: str,
    contact: str,
    details: str = "",
    source_hash: str = "",
    request: HttpRequest | None = None,
) -> CopyRequest:
    """A member of the public asks for a copy in another format; the office is told.
    `source_hash` stands for the sender's address, for the per-address limit."""
    copy_request = CopyRequest(
        school=policy.school,
        policy=policy,
        format=format,
        name=name.strip(),
        contact=contact.strip(),
        details=details.strip(),
        created_at=timezone.now(),
        source_hash=source_hash,
    )
    copy_request.full_clean()
    copy_request.save()
    audit_record(
        action="policies.copy_requested",
        school=policy.school,
        obj=copy_request,
        fields=["policy", "format", "name", "contact", "details"],
        request=request,
        actor_label="public form",
    )
    for person in _role_holders(policy.school, Role.SCHOOL_OFFICE, timezone.localdate()):
        notice_send(
            school=policy.school,
            recipient=person,
            key=f"copy:{copy_request.pk}",
            message="Someone asked for a policy in another format.",
            link=site_link("policies:copy_requests", school=policy.school.slug),
        )
    return copy_request


@transaction.atomic
def copy_request_handle(
    *, copy_request: CopyRequest, actor: Any, request: HttpRequest | None = None
) -> CopyRequest:
    locked = CopyRequest.objects.select_for_update().get(pk=copy_request.pk)
    if locked.handled_at is not None:
        raise PolicyError("This request was already marked as handled.")
    locked.handled_at = timezone.now()
    locked.handled_by = actor
    locked.save(update_fields=["handled_at", "handled_by"])
    audit_record(
        action="policies.copy_request_handled",
        actor=actor,
        school=locked.school,
        obj=locked,
        fields=["handled_at", "handled_by"],
        request=request,
    )
    return locked


def copy_request_retention_days() -> int:
    """Days a copy request (a name and contact details from the public) is kept."""
    return int(getattr(settings, "POLICIES_COPY_REQUEST_RETENTION_DAYS", 90))


def copy_requests_expired(*, school: School, now: dt.datetime | None = None) -> Any:
    """Copy requests past their retention period: counted from when the office handled one, or
    from when it was made if nobody did (so an unanswered request cannot stay for ever)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=copy_request_retention_days())
    return CopyRequest.objects.for_school(school).filter(
        Q(handled_at__lt=cutoff) | Q(handled_at__isnull=True, created_at__lt=cutoff)
    )


@transaction.atomic
def copy_requests_remove_expired(
    *, school: School, now: dt.datetime | None = None, actor_label: str = "retention review"
) -> int:
    """Remove copy requests past their retention period; each removal is on the audit trail
    (the record's id and which fields counted, never the name or contact)."""
    removed = 0
    for item in copy_requests_expired(school=school, now=now).select_for_update().order_by("pk"):
        audit_record(
            action="policies.copy_request_removed",
            actor_label=actor_label,
            school=school,
            obj=item,
            fields=["created_at", "handled_at"],
        )
        item.delete()
        removed += 1
    return removed


# --- Notices and reminders -----------------------------------------------------------------------

EMAIL_SUBJECT = "You have a new notice in safesocial"


def _email_of(person: Person) -> str:
    if person.email:
        return person.email
    return person.user.email if person.user_id and person.user else ""


@transaction.atomic
def notice_send(
    *, school: School, recipient: Person, key: str, message: str, link: str = ""
) -> Notice | None:
    """A dashboard notice and an email, once per (recipient, key); None when already sent.

    The email carries only a link: what the notice is about stays behind sign-in.
    """
    if Notice.objects.filter(recipient=recipient, key=key).exists():
        return None
    address = _email_of(recipient)
    notice = Notice(
        school=school,
        recipient=recipient,
        key=key,
        message=message,
        link=link,
        created_at=timezone.now(),
        emailed=False,  # until its email went (_notice_email)
    )
    notice.full_clean()
    try:
        with transaction.atomic():
            notice.save()
    except IntegrityError:  # another run got there first
        return None
    if address:
        transaction.on_commit(partial(_notice_email, notice, address))
    return notice


# A notice whose email failed (the mail server down mid-run) is emailed by a later run, for
# this long after it was made; after that the dashboard alone tells it.
NOTICE_EMAIL_RETRY = dt.timedelta(days=7)


def _notice_email(notice: Notice, address: str) -> None:
    """Email the notice's recipient a link (never what the notice says), then mark it emailed:
    a failure leaves it unmarked for the next run to send (notice_emails_owed)."""
    target = site_link("policies:index", school=notice.school.slug)
    body = (
        "There is a new notice for you in safesocial.\n\n"
        f"Sign in to read it: {target}\n\n"
        "This email does not say more, so that nothing private travels by email.\n"
    )
    send_mail(EMAIL_SUBJECT, body, None, [address], fail_silently=False)
    Notice.objects.filter(pk=notice.pk).update(emailed=True)


def notice_emails_owed(*, now: dt.datetime | None = None) -> int:
    """Send the emails of recent notices that did not go (their recipient has an address);
    returns how many went. A failure stops here, the rest wait for the next run."""
    since = (now or timezone.now()) - NOTICE_EMAIL_RETRY
    owed = Notice.objects.filter(emailed=False, created_at__gte=since).select_related(
        "school", "recipient__user"
    )
    sent = 0
    for notice in owed.order_by("created_at", "pk"):
        address = _email_of(notice.recipient)
        if address:
            _notice_email(notice, address)
            sent += 1
    return sent


# Milestones before the due date: (key, how far before, label).
REVIEW_MILESTONES: tuple[tuple[str, int, int, str], ...] = (
    # key, months before, days before, wording
    ("2m", 2, 0, "due in 2 months"),
    ("1m", 1, 0, "due in 1 month"),
    ("1w", 0, 7, "due in 1 week"),
    ("due", 0, 0, "due today"),
)


def review_milestone(due: dt.date, today: dt.date) -> tuple[str, str] | None:
    """The latest reminder milestone reached on `today` for a review due on `due`."""
    if today > due:
        return "overdue", "overdue"
    reached = None
    for key, months, days, label in REVIEW_MILESTONES:
        if add_months(due, -months) - dt.timedelta(days=days) <= today:
            reached = (key, label)
    return reached


def reminders_run(*, today: dt.date | None = None) -> int:
    """Send every reminder due today; safe to run as often as you like. Returns notices sent."""
    today = today or timezone.localdate()
    notice_emails_owed()  # those of earlier runs first
    sent = 0
    for policy in Policy.objects.filter(next_review_due__isnull=False).select_related(
        "school", "owner"
    ):
        assert policy.next_review_due is not None
        milestone = review_milestone(policy.next_review_due, today)
        if milestone is None:
            continue
        key, label = milestone
        recipients = [policy.owner] if policy.owner is not None else []
        if key == "overdue" or not recipients:
            recipients += _role_holders(policy.school, Role.HEADTEACHER, today)
        for person in {p.pk: p for p in recipients}.values():
            notice = notice_send(
                school=policy.school,
                recipient=person,
                key=f"review:{policy.pk}:{policy.next_review_due:%Y-%m-%d}:{key}",
                message=f"The review of the {policy.title} is {label}.",
                link=site_link("policies:detail", school=policy.school.slug, policy=policy.pk),
            )
            sent += notice is not None
    overdue = ActionItem.objects.filter(due_on__lt=today).exclude(status=ActionItem.Status.DONE)
    for item in overdue.select_related("school"):
        for person in _role_holders(item.school, Role.HEADTEACHER, today):
            notice = notice_send(
                school=item.school,
                recipient=person,
                key=f"action:{item.pk}:{item.due_on:%Y-%m-%d}:overdue",
                message=f"Action {item.pk} of the action plan is overdue.",
                link=site_link("policies:action_plan", school=item.school.slug),
            )
            sent += notice is not None
    sent += _acknowledgement_reminders(today)
    sent += _training_reminders(today)
    return sent


def _training_reminders(today: dt.date) -> int:
    """Tell each member of staff once when their training becomes due, and once when overdue."""
    from safesocial.policies.selectors import training_report

    sent = 0
    for school in School.objects.all():
        for row in training_report(school, today=today):
            when = row.induction_due or row.expires_on
            if row.status == "current" or when is None:
                continue
            notice = notice_send(
                school=school,
                recipient=row.person,
                key=f"training:{when:%Y-%m-%d}:{row.status}",
                message=f"Your training on safe social media use is {row.status}.",
                link=site_link("policies:index", school=school.slug),
            )
            sent += notice is not None
    return sent


def _acknowledgement_reminders(today: dt.date) -> int:
    from safesocial.policies.selectors import acknowledgement_people

    sent = 0
    policies = Policy.objects.filter(
        kind__in=ACKNOWLEDGED_KINDS, current_version__isnull=False
    ).select_related("school", "current_version")
    for policy in policies:
        assert policy.current_version is not None
        done = set(
            Acknowledgement.objects.filter(version=policy.current_version).values_list(
                "person_id", flat=True
            )
        )
        for person in acknowledgement_people(policy.school, today=today):
            if person.pk in done:
                continue
            notice = notice_send(
                school=policy.school,
                recipient=person,
                key=f"ack:{policy.current_version.pk}",
                message=f"Please read and accept version {policy.current_version.number} "
                f"of the {policy.title}.",
                link=site_link("policies:detail", school=policy.school.slug, policy=policy.pk),
            )
            sent += notice is not None
    return sent
