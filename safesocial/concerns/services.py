"""Business actions on concerns. Each is atomic, validates before saving and writes its audit
entry (field names only) in the same transaction; alerts are emailed by the worker after commit.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from safesocial.audit.services import audit_record
from safesocial.concerns import files
from safesocial.concerns.calendar import SchoolCalendar
from safesocial.concerns.categories import Category, Route, rule_for
from safesocial.concerns.models import (
    Alert,
    CaseMember,
    ChronologyEntry,
    Concern,
    Debrief,
    Decision,
    Declaration,
    Evidence,
    Involvement,
    Measure,
    ParentCommunication,
    Proposal,
    Referral,
    RetentionDecision,
)
from safesocial.concerns.rules import is_subject, kept_off_by_declaration
from safesocial.concerns.selectors import allegation_case_candidates
from safesocial.jobs.models import Job
from safesocial.jobs.services import job_enqueue
from safesocial.people.models import Person, Role, RoleAssignment, School

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
BACKDATE_GRACE = dt.timedelta(minutes=30)
PUBLIC_LABEL = "public report form"


def new_reference() -> str:
    return "SC-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def _user(person: Person | None) -> Any:
    return person.user if person is not None else None


def _role_holders(school: School, *roles: str) -> list[Person]:
    today = timezone.localdate()
    holders = (
        RoleAssignment.objects.for_school(school)
        .current(today)
        .filter(role__in=roles)
        .select_related("person")
        .order_by("pk")
    )
    seen: dict[int, Person] = {}
    for assignment in holders:
        if not assignment.person.has_left(today):
            seen.setdefault(assignment.person.pk, assignment.person)
    return list(seen.values())


def allegation_chain(school: School, subject: Person | None) -> list[Person]:
    """Who handles an allegation, in escalation order: the headteacher, then the chair of
    trustees; anyone the allegation is about is left out (so the chair, for the head)."""
    chain = _role_holders(school, Role.HEADTEACHER) + _role_holders(school, Role.CHAIR_OF_TRUSTEES)
    if subject is not None:
        chain = [p for p in chain if p.pk != subject.pk]
    if subject is not None and any(
        p.pk == subject.pk for p in _role_holders(school, Role.HEADTEACHER)
    ):
        chain = [p for p in chain if p not in _role_holders(school, Role.HEADTEACHER)]
    return chain


def _handler_for(
    school: School, route: str, subject: Person | None, about_head: bool
) -> Person | None:
    if route == Route.ALLEGATION:
        chain = allegation_chain(school, subject)
        if about_head:
            chairs = _role_holders(school, Role.CHAIR_OF_TRUSTEES)
            chain = [p for p in chain if p in chairs] or chain
        return chain[0] if chain else None
    if route == Route.LEADERSHIP:
        heads = _role_holders(school, Role.HEADTEACHER)
        return heads[0] if heads else None
    dsls = _role_holders(school, Role.DSL) or _role_holders(school, Role.DEPUTY_DSL)
    return dsls[0] if dsls else None


def _alert(concern: Concern, people: Iterable[Person], kind: str, *, email: bool) -> list[int]:
    ids: list[int] = []
    for person in people:
        if is_subject(person, concern) or kept_off_by_declaration(person, concern):
            continue
        alert = Alert.objects.create(
            school=concern.school, concern=concern, recipient=person, kind=kind
        )
        if email:
            ids.append(alert.pk)
    if ids:
        payload = {"alert_ids": ids}
        transaction.on_commit(lambda: job_enqueue(kind="concerns.send_alerts", payload=payload))
    return ids


def _schedule_clock_check(concern: Concern) -> None:
    job = job_enqueue(kind="concerns.check_clock", payload={"concern_id": concern.pk})
    if concern.clock_due_at is not None:
        Job.objects.filter(pk=job.pk).update(run_after=concern.clock_due_at)


@dataclass(frozen=True)
class Involved:
    part: str
    person: Person | None = None
    name: str = ""


@transaction.atomic
def concern_report(
    *,
    school: School,
    category: str,
    what: str,
    reporter_kind: str,
    occurred_on: dt.date | None = None,
    where: str = "",
    reporter: Person | None = None,
    reporter_name: str = "",
    reporter_contact: str = "",
    subject_staff: Person | None = None,
    subject_name: str = "",
    about_headteacher: bool = False,
    involved: Iterable[Involved] = (),
    self_report: bool = False,
    source_hash: str = "",
    attachment: files.CheckedFile | None = None,
    request: HttpRequest | None = None,
) -> Concern:
    """Store a new concern, route it and alert the people who must act on it."""
    if category not in Category.values:
        raise ValidationError({"category": "Choose what the concern is about."})
    if occurred_on is not None and occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": "The date it happened cannot be in the future."})
    if subject_staff is not None and (
        subject_staff.school_id != school.pk
        or subject_staff.kind not in (*Person.STAFF_KINDS, Person.Kind.VOLUNTEER)
    ):
        raise ValidationError({"subject_staff": "Choose a member of staff of this school."})
    if category == Category.ALLEGATION and subject_staff is None and not subject_name.strip():
        raise ValidationError({"subject_staff": "Say which member of staff this is about."})
    rule = rule_for(category)
    concern = Concern(
        school=school,
        reference=new_reference(),
        category=category,
        route=rule.route,
        what=what.strip(),
        occurred_on=occurred_on,
        where=where.strip(),
        reporter_kind=reporter_kind,
        reporter=reporter,
        reporter_name=reporter_name.strip(),
        reporter_contact=reporter_contact.strip(),
        subject_staff=subject_staff if category == Category.ALLEGATION else None,
        self_report=self_report,
        source_hash=source_hash,
    )
    if category == Category.ALLEGATION and subject_staff is not None:
        about_headteacher = about_headteacher or any(
            p.pk == subject_staff.pk for p in _role_holders(school, Role.HEADTEACHER)
        )
    concern.handler = _handler_for(school, rule.route, concern.subject_staff, about_headteacher)
    if category == Category.ALLEGATION:
        concern.clock_due_at = SchoolCalendar(school).one_working_day_after(concern.reported_at)
    concern.full_clean()
    concern.save()
    rows: list[Involved] = list(involved)
    if reporter is not None:
        rows.append(Involved(Involvement.Part.REPORTER, person=reporter))
    if self_report and reporter is not None:
        rows.append(Involved(Involvement.Part.SUBJECT, person=reporter))
    if category == Category.ALLEGATION:
        rows.append(
            Involved(Involvement.Part.SUBJECT, person=subject_staff, name=subject_name.strip())
        )
    seen: set[tuple[int, str]] = set()
    for row in rows:
        if row.person is not None:
            if row.person.school_id != school.pk:
                raise ValidationError({"involved": "Choose people of this school."})
            if (row.person.pk, row.part) in seen:
                continue
            seen.add((row.person.pk, row.part))
        involvement = Involvement(
            school=school, concern=concern, person=row.person, name=row.name, part=row.part
        )
        involvement.full_clean()
        involvement.save()
    if attachment is not None:
        _evidence_store(concern=concern, checked=attachment, uploaded_by=reporter)
    audit_record(
        action="concern.reported",
        actor=_user(reporter),
        actor_label="" if reporter else PUBLIC_LABEL,
        school=school,
        obj=concern,
        fields=["category", "what", "occurred_on", "where", "reporter_kind"],
        request=request,
    )
    if category == Category.ALLEGATION:
        if concern.handler is not None:
            _alert(concern, [concern.handler], Alert.Kind.ALLEGATION, email=True)
        _schedule_clock_check(concern)
    elif rule.safeguarding:
        team = _role_holders(school, Role.DSL, Role.DEPUTY_DSL)
        _alert(concern, team, Alert.Kind.NEW_CONCERN, email=True)
    elif concern.handler is not None:
        _alert(concern, [concern.handler], Alert.Kind.NEW_CONCERN, email=False)
    return concern


def _evidence_store(
    *, concern: Concern, checked: files.CheckedFile, uploaded_by: Person | None
) -> Evidence:
    evidence = Evidence(
        school=concern.school,
        concern=concern,
        stored_name="pending",
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
        uploaded_by=uploaded_by,
    )
    evidence.full_clean(exclude=["stored_name"])
    # Written only when the caller's transaction commits: a save that fails or rolls back
    # leaves no safeguarding evidence on disk without its record.
    evidence.stored_name = files.store_on_commit(checked)
    evidence.save()
    return evidence


def _touch(concern: Concern) -> None:
    if concern.status == Concern.Status.CLOSED:
        raise ValidationError({"concern": "This case is closed; it can no longer be changed."})
    if concern.status == Concern.Status.OPEN:
        concern.status = Concern.Status.INVESTIGATING
        concern.save(update_fields=["status"])


@transaction.atomic
def evidence_add(
    *,
    concern: Concern,
    checked: files.CheckedFile,
    actor: Person,
    request: HttpRequest | None = None,
) -> Evidence:
    _touch(concern)
    evidence = _evidence_store(concern=concern, checked=checked, uploaded_by=actor)
    audit_record(
        action="concern.evidence_added",
        actor=_user(actor),
        school=concern.school,
        obj=evidence,
        fields=["original_name", "content_type", "size"],
        request=request,
    )
    return evidence


@transaction.atomic
def involvement_add(
    *,
    concern: Concern,
    part: str,
    actor: Person,
    person: Person | None = None,
    name: str = "",
    request: HttpRequest | None = None,
) -> Involvement:
    _touch(concern)
    if person is not None and person.school_id != concern.school_id:
        raise ValidationError({"person": "Choose someone of this school."})
    if (
        person is not None
        and Involvement.objects.filter(concern=concern, person=person, part=part).exists()
    ):
        raise ValidationError({"person": "This person is already listed in that part."})
    involvement = Involvement(
        school=concern.school, concern=concern, person=person, name=name.strip(), part=part
    )
    involvement.full_clean()
    involvement.save()
    audit_record(
        action="concern.involvement_added",
        actor=_user(actor),
        school=concern.school,
        obj=involvement,
        fields=["person", "name", "part"],
        request=request,
    )
    return involvement


@transaction.atomic
def chronology_add(
    *,
    concern: Concern,
    happened_at: dt.datetime,
    text: str,
    actor: Person,
    backdate_reason: str = "",
    request: HttpRequest | None = None,
) -> ChronologyEntry:
    _touch(concern)
    now = timezone.now()
    if happened_at > now + BACKDATE_GRACE:
        raise ValidationError({"happened_at": "An action cannot be recorded in the future."})
    if happened_at < now - BACKDATE_GRACE and not backdate_reason.strip():
        raise ValidationError(
            {"backdate_reason": "Say why this entry is recorded later than it happened."}
        )
    entry = ChronologyEntry(
        school=concern.school,
        concern=concern,
        happened_at=happened_at,
        recorded_at=now,
        recorded_by=actor,
        text=text.strip(),
        backdate_reason=backdate_reason.strip(),
    )
    entry.full_clean()
    entry.save()
    audit_record(
        action="concern.chronology_added",
        actor=_user(actor),
        school=concern.school,
        obj=entry,
        fields=["happened_at", "text", "backdate_reason"],
        request=request,
    )
    return entry


@transaction.atomic
def decision_record(
    *,
    concern: Concern,
    decision: str,
    reasons: str,
    actor: Person,
    outcome: str = "",
    request: HttpRequest | None = None,
) -> Decision:
    _touch(concern)
    record = Decision(
        school=concern.school,
        concern=concern,
        decided_by=actor,
        decision=decision.strip(),
        reasons=reasons.strip(),
    )
    record.full_clean()
    record.save()
    fields = ["decision", "reasons"]
    if outcome:
        if outcome not in Concern.Outcome.values:
            raise ValidationError({"outcome": "Choose an outcome from the list."})
        concern.outcome = outcome
        concern.save(update_fields=["outcome"])
        fields.append("outcome")
    audit_record(
        action="concern.decision_recorded",
        actor=_user(actor),
        school=concern.school,
        obj=record,
        fields=fields,
        request=request,
    )
    return record


@transaction.atomic
def referral_record(
    *,
    concern: Concern,
    agency: str,
    contacted_on: dt.date,
    actor: Person,
    agency_name: str = "",
    agency_reference: str = "",
    advice: str = "",
    request: HttpRequest | None = None,
) -> Referral:
    _touch(concern)
    if contacted_on > timezone.localdate():
        raise ValidationError({"contacted_on": "The date of contact cannot be in the future."})
    if agency == Referral.Agency.OTHER and not agency_name.strip():
        raise ValidationError({"agency_name": "Name the agency."})
    referral = Referral(
        school=concern.school,
        concern=concern,
        agency=agency,
        agency_name=agency_name.strip(),
        contacted_on=contacted_on,
        agency_reference=agency_reference.strip(),
        advice=advice.strip(),
        recorded_by=actor,
    )
    referral.full_clean()
    referral.save()
    if (
        agency == Referral.Agency.LADO
        and concern.clock_due_at is not None
        and concern.clock_stopped_at is None
    ):
        concern.clock_stopped_at = timezone.now()
        concern.save(update_fields=["clock_stopped_at"])
    audit_record(
        action="concern.referral_recorded",
        actor=_user(actor),
        school=concern.school,
        obj=referral,
        fields=["agency", "agency_name", "contacted_on", "agency_reference", "advice"],
        request=request,
    )
    return referral


@transaction.atomic
def measure_record(
    *,
    concern: Concern,
    person: Person,
    kind: str,
    starts_at: dt.datetime,
    actor: Person,
    ends_at: dt.datetime | None = None,
    notes: str = "",
    request: HttpRequest | None = None,
) -> Measure:
    _touch(concern)
    if person.school_id != concern.school_id:
        raise ValidationError({"person": "Choose someone of this school."})
    if kind == Measure.Kind.INTERNET_REMOVAL and ends_at is None:
        raise ValidationError({"ends_at": "Removal of internet access needs an end."})
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError({"ends_at": "The end must come after the start."})
    measure = Measure(
        school=concern.school,
        concern=concern,
        person=person,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        notes=notes.strip(),
        recorded_by=actor,
    )
    measure.full_clean()
    measure.save()
    audit_record(
        action="concern.measure_recorded",
        actor=_user(actor),
        school=concern.school,
        obj=measure,
        fields=["person", "kind", "starts_at", "ends_at", "notes"],
        request=request,
    )
    if kind == Measure.Kind.INTERNET_REMOVAL:
        # The network policy enforces it: from the next request after the snapshot recompiles.
        from safesocial.netpolicy.models import Sanction
        from safesocial.netpolicy.services import sanction_set

        sanction_set(
            school=concern.school,
            person=person,
            starts_at=starts_at,
            ends_at=ends_at,
            actor=_user(actor),
            source=Sanction.Source.CONCERN,
            source_ref=concern.pk,
            request=request,
        )
    return measure


@transaction.atomic
def parent_communication_record(
    *,
    concern: Concern,
    informed: bool,
    actor: Person,
    informed_at: dt.datetime | None = None,
    method: str = "",
    reason_not_informed: str = "",
    request: HttpRequest | None = None,
) -> ParentCommunication:
    _touch(concern)
    if informed:
        if informed_at is None:
            raise ValidationError({"informed_at": "Say when parents or carers were told."})
        if informed_at > timezone.now() + BACKDATE_GRACE:
            raise ValidationError({"informed_at": "This cannot be in the future."})
        if not method:
            raise ValidationError({"method": "Say how parents or carers were told."})
        reason_not_informed = ""
    else:
        if not reason_not_informed.strip():
            raise ValidationError(
                {"reason_not_informed": "Record the reason for not telling parents or carers."}
            )
        informed_at, method = None, ""
    record = ParentCommunication(
        school=concern.school,
        concern=concern,
        informed=informed,
        informed_at=informed_at,
        method=method,
        reason_not_informed=reason_not_informed.strip(),
        recorded_by=actor,
    )
    record.full_clean()
    record.save()
    audit_record(
        action="concern.parent_communication_recorded",
        actor=_user(actor),
        school=concern.school,
        obj=record,
        fields=["informed", "informed_at", "method", "reason_not_informed"],
        request=request,
    )
    return record


@transaction.atomic
def case_member_add(
    *, concern: Concern, person: Person, actor: Person | None, request: HttpRequest | None = None
) -> CaseMember:
    """Add someone to an allegation's case. Only people who handle allegations can open one
    (need to know, allegations procedure), so adding anyone else is refused, naming who can be
    added, rather than silently giving them nothing."""
    if not concern.is_allegation:
        raise ValidationError(
            {"person": "Only an allegation case has its own list of people who can open it."}
        )
    if is_subject(person, concern):
        raise ValidationError({"person": "The subject of a case cannot be added to it."})
    if person.pk == concern.handler_id or concern.team.filter(person=person).exists():
        raise ValidationError({"person": f"{person.full_name} can already open this case."})
    candidates = allegation_case_candidates(concern)
    if person not in candidates:
        names = ", ".join(p.full_name for p in candidates)
        raise ValidationError(
            {
                "person": f"{person.full_name} cannot open allegation cases, so adding them "
                "would give them nothing. Only those who handle allegations against staff "
                "can be added" + (f": {names}." if names else "; nobody else can be added now.")
            }
        )
    member = CaseMember(school=concern.school, concern=concern, person=person)
    member.full_clean()
    try:
        with transaction.atomic():  # a savepoint: the same person added twice at once
            member.save()
    except IntegrityError:
        raise ValidationError(
            {"person": f"{person.full_name} can already open this case."}
        ) from None
    audit_record(
        action="concern.case_member_added",
        actor=_user(actor),
        actor_label="" if actor else "allegation clock",
        school=concern.school,
        obj=member,
        fields=["person"],
        request=request,
    )
    return member


@dataclass(frozen=True)
class ProposalInput:
    kind: str
    text: str
    becomes: str


def _policies_action_item_create() -> Any:
    if importlib.util.find_spec("safesocial.policies.services") is None:
        return None
    module = importlib.import_module("safesocial.policies.services")
    return getattr(module, "action_item_create", None)


@transaction.atomic
def concern_close(
    *,
    concern: Concern,
    what_happened: str,
    lessons: str,
    actor: Person,
    proposals: Iterable[ProposalInput] = (),
    outcome: str = "",
    request: HttpRequest | None = None,
) -> Debrief:
    """Close a case; closing needs a debrief (what happened, lessons learnt)."""
    if concern.status == Concern.Status.CLOSED:
        raise ValidationError({"concern": "This case is already closed."})
    if outcome and outcome not in Concern.Outcome.values:
        raise ValidationError({"outcome": "Choose an outcome from the list."})
    if concern.is_allegation and not (outcome or concern.outcome):
        raise ValidationError({"outcome": "Record the outcome of the allegation."})
    debrief = Debrief(
        school=concern.school,
        concern=concern,
        what_happened=what_happened.strip(),
        lessons=lessons.strip(),
        recorded_by=actor,
    )
    debrief.full_clean()
    debrief.save()
    action_item_create = _policies_action_item_create()
    for item in proposals:
        proposal = Proposal(
            school=concern.school,
            debrief=debrief,
            kind=item.kind,
            text=item.text.strip(),
            becomes=item.becomes,
        )
        proposal.full_clean()
        proposal.save()
        if action_item_create is not None:
            # Early-review proposals go on the action plan too, titled as such, until the
            # policies app offers an early-review trigger service to call instead.
            prefix = "Early policy review: " if proposal.becomes == "early_review" else ""
            created = action_item_create(
                school=concern.school,
                title=(prefix + proposal.text)[:300],
                source="concern",
                source_reference=f"concern {concern.pk}",
                owner=actor,
                due_on=timezone.localdate() + dt.timedelta(days=30),
                actor=_user(actor),
            )
            proposal.linked_id = str(getattr(created, "pk", ""))
            proposal.save(update_fields=["linked_id"])
    concern.status = Concern.Status.CLOSED
    concern.closed_at = timezone.now()
    if outcome:
        concern.outcome = outcome
    if concern.clock_due_at is not None and concern.clock_stopped_at is None:
        concern.clock_stopped_at = concern.closed_at
    concern.save(update_fields=["status", "closed_at", "outcome", "clock_stopped_at"])
    audit_record(
        action="concern.closed",
        actor=_user(actor),
        school=concern.school,
        obj=concern,
        fields=["status", "outcome", "what_happened", "lessons", "proposals"],
        request=request,
    )
    return debrief


@transaction.atomic
def clock_escalate(*, concern: Concern) -> Person | None:
    """An overdue allegation clock: add the next person in the chain to the case, alert both,
    and give the clock one more working day. Returns who was added (None if nobody is left)."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if (
        concern.clock_due_at is None
        or concern.clock_stopped_at is not None
        or concern.status == Concern.Status.CLOSED
        or concern.clock_due_at > timezone.now()
    ):
        return None
    chain = allegation_chain(concern.school, concern.subject_staff)
    # Only someone who can open the case helps (not on it yet, able to sign in).
    can_open = {p.pk for p in allegation_case_candidates(concern)}
    next_person = next((p for p in chain if p.pk in can_open), None)
    if next_person is not None:
        case_member_add(concern=concern, person=next_person, actor=None)
    recipients = [p for p in [concern.handler, next_person] if p is not None]
    _alert(concern, recipients, Alert.Kind.CLOCK_OVERDUE, email=True)
    concern.escalations += 1
    concern.clock_due_at = SchoolCalendar(concern.school).one_working_day_after(timezone.now())
    concern.save(update_fields=["escalations", "clock_due_at"])
    audit_record(
        action="concern.clock_escalated",
        actor_label="allegation clock",
        school=concern.school,
        obj=concern,
        fields=["escalations", "clock_due_at"],
    )
    _schedule_clock_check(concern)
    return next_person


@transaction.atomic
def alert_mark_seen(*, alert: Alert) -> None:
    if alert.seen_at is None:
        alert.seen_at = timezone.now()
        alert.save(update_fields=["seen_at"])


@transaction.atomic
def declaration_create(
    *, staff: Person, learner: Person, relationship: str, request: HttpRequest | None = None
) -> Declaration:
    if learner.kind != Person.Kind.LEARNER or learner.school_id != staff.school_id:
        raise ValidationError({"learner": "Choose a learner of this school."})
    declaration = Declaration(
        school=staff.school, staff=staff, learner=learner, relationship=relationship.strip()
    )
    declaration.full_clean()
    declaration.save()
    audit_record(
        action="declaration.created",
        actor=_user(staff),
        school=staff.school,
        obj=declaration,
        fields=["learner", "relationship"],
        request=request,
    )
    return declaration


@transaction.atomic
def declaration_decide(
    *,
    declaration: Declaration,
    discussion: str,
    decision: str,
    advice: str,
    review_on: dt.date,
    actor: Person,
    request: HttpRequest | None = None,
) -> Declaration:
    if actor.pk == declaration.staff_id:
        raise ValidationError({"decision": "Nobody may decide on their own declaration."})
    if review_on <= timezone.localdate():
        raise ValidationError({"review_on": "The review date must be in the future."})
    declaration.discussion = discussion.strip()
    declaration.decision = decision.strip()
    declaration.advice = advice.strip()
    declaration.review_on = review_on
    declaration.decided_at = timezone.now()
    declaration.decided_by = actor
    declaration.full_clean()
    if not declaration.decision or not declaration.discussion:
        raise ValidationError({"decision": "Record the discussion and the decision."})
    declaration.save()
    audit_record(
        action="declaration.decided",
        actor=_user(actor),
        school=declaration.school,
        obj=declaration,
        fields=["discussion", "decision", "advice", "review_on"],
        request=request,
    )
    return declaration


@transaction.atomic
def retention_decide(
    *,
    school: School,
    record_type: str,
    record_id: int,
    action: str,
    reason: str,
    actor: Person,
    review_again_on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> RetentionDecision:
    """The DSL's recorded decision on a record due for review; destroying needs one."""
    from safesocial.concerns.retention import RECORD_MODELS

    model = RECORD_MODELS.get(record_type)
    if model is None:
        raise ValidationError({"record_type": "Unknown record type."})
    record = model.objects.for_school(school).filter(pk=record_id).first()
    if record is None:
        raise ValidationError({"record_id": "No such record in this school."})
    if action == RetentionDecision.Action.KEEP and (
        review_again_on is None or review_again_on <= timezone.localdate()
    ):
        raise ValidationError({"review_again_on": "Give a future date to review it again."})
    decision = RetentionDecision(
        school=school,
        record_type=record_type,
        record_id=record_id,
        action=action,
        reason=reason.strip(),
        review_again_on=review_again_on if action == RetentionDecision.Action.KEEP else None,
        decided_by=actor,
    )
    decision.full_clean()
    decision.save()
    audit_record(
        action=f"retention.{action}",
        actor=_user(actor),
        school=school,
        obj=decision,
        fields=["record_type", "record_id", "action", "reason", "review_again_on"],
        request=request,
    )
    if action == RetentionDecision.Action.DESTROY:
        stored = list(
            Evidence.objects.filter(concern_id=record_id).values_list("stored_name", flat=True)
            if record_type == "concern"
            else []
        )
        record.delete()

        def remove_files() -> None:
            for name in stored:
                files.remove(name)

        transaction.on_commit(remove_files)
    return decision
