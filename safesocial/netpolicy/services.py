"""Business actions of the network policy: each validates, saves, audits in one transaction,
and asks for a recompile of the school's snapshot once the transaction commits."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone

from safesocial.audit.services import audit_record
from safesocial.enforce.snapshot import write_snapshot
from safesocial.jobs.services import job_enqueue, job_handler
from safesocial.netpolicy.catalogue import ParsedList, parse_domain_list
from safesocial.netpolicy.compile import build_snapshot
from safesocial.netpolicy.models import (
    AddressAssignment,
    ChannelPlatformAccess,
    Clause,
    CompiledSnapshot,
    CustomService,
    Group,
    RemoteLearningApproval,
    Rule,
    Sanction,
    Segment,
    address_network,
)
from safesocial.netpolicy.selectors import network_people, snapshot_path
from safesocial.people.models import Person, School

logger = logging.getLogger(__name__)
RECOMPILE_JOB = "netpolicy.compile"

# --- compile --------------------------------------------------------------------------------


@transaction.atomic
def snapshot_compile(
    *,
    school: School,
    out: Path | None = None,
    actor: Any = None,
    actor_label: str = "",
    at: dt.datetime | None = None,
) -> CompiledSnapshot:
    """Build, write (atomically) and record the next version of the school's snapshot."""
    School.objects.select_for_update().filter(pk=school.pk).first()  # one compile at a time
    last = CompiledSnapshot.objects.for_school(school).aggregate(v=Max("version"))["v"] or 0
    now = at or timezone.now()
    result = build_snapshot(school, version=last + 1, at=now)
    target = Path(out) if out is not None else snapshot_path(school)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = write_snapshot(result.snapshot, target)
    record = CompiledSnapshot(
        school=school,
        version=last + 1,
        sha256=digest,
        path=str(target),
        compiled_at=now,
        compiled_by=actor_label or (actor.get_username() if actor is not None else ""),
    )
    record.full_clean()
    record.save()
    audit_record(
        action="netpolicy.compiled",
        actor=actor,
        actor_label=actor_label,
        school=school,
        obj=record,
        fields=["version", "sha256", "path"],
    )
    for warning in result.warnings:
        logger.warning("netpolicy compile %s: %s", school.slug, warning)
    return record


def _recompile_now(school_id: int) -> None:
    school = School.objects.get(pk=school_id)
    try:
        snapshot_compile(school=school, actor_label="recompile after a change")
    except Exception:
        # Never fail the page that made the change: the worker retries with its backoff.
        logger.exception("recompile of %s failed; queued for the worker", school.slug)
        job_enqueue(kind=RECOMPILE_JOB, payload={"school": school_id})


def recompile_on_commit(school: School) -> None:
    """Recompile the school's snapshot after the current transaction commits (once per
    transaction however many changes it holds)."""
    school_id = school.pk
    connection = transaction.get_connection()
    # A callback still listed was registered in this transaction and is not rolled back
    # (a savepoint rollback removes its callbacks), so one per school is enough.
    for _, pending, _ in connection.run_on_commit:
        if getattr(pending, "netpolicy_school", None) == school_id:
            return

    def recompile() -> None:
        _recompile_now(school_id)

    recompile.netpolicy_school = school_id  # type: ignore[attr-defined]
    transaction.on_commit(recompile)


@job_handler(RECOMPILE_JOB)
def _recompile_job(payload: dict[str, Any]) -> None:
    snapshot_compile(school=School.objects.get(pk=payload["school"]), actor_label="worker")


# --- rules and segments ---------------------------------------------------------------------


def _save(obj: Any) -> None:
    obj.full_clean()
    obj.save()


def _check_people(school: School, people: Iterable[Person]) -> list[Person]:
    chosen = list(people)
    if any(p.school_id != school.pk for p in chosen):
        raise ValidationError({"people": "Choose people from this school."})
    return chosen


def _check_groups(groups: Iterable[str], field: str = "groups") -> list[str]:
    chosen = list(dict.fromkeys(groups))
    unknown = set(chosen) - set(Group.values)
    if unknown:
        raise ValidationError({field: f"Unknown group: {', '.join(sorted(unknown))}."})
    return chosen


@transaction.atomic
def rule_create(
    *,
    school: School,
    actor: Any,
    action: str,
    when: str,
    clause: str,
    reason: str,
    groups: Iterable[str] = (),
    people: Iterable[Person] = (),
    segments: Iterable[Segment] = (),
    services: Iterable[str] = (),
    categories: Iterable[str] = (),
    position: int | None = None,
    request: HttpRequest | None = None,
) -> Rule:
    if position is None:
        last = Rule.objects.for_school(school).aggregate(p=Max("position"))["p"]
        position = 0 if last is None else last + 10
    rule = Rule(school=school, position=position)
    _rule_fill(rule, action, when, clause, reason, groups, services, categories)
    _save(rule)
    rule.people.set(_check_people(school, people))
    rule.segments.set([s for s in segments if s.school_id == school.pk])
    audit_record(
        action="netpolicy.rule_created",
        actor=actor,
        school=school,
        obj=rule,
        fields=["action", "when", "clause", "reason", "groups", "people", "segments"],
        request=request,
    )
    recompile_on_commit(school)
    return rule


def _rule_fill(
    rule: Rule,
    action: str,
    when: str,
    clause: str,
    reason: str,
    groups: Iterable[str],
    services: Iterable[str],
    categories: Iterable[str],
) -> None:
    rule.action = action
    rule.when = when
    rule.clause = clause
    rule.reason = reason
    rule.groups = _check_groups(groups)
    rule.services = list(dict.fromkeys(services))
    rule.categories = list(dict.fromkeys(categories))


@transaction.atomic
def rule_update(
    *,
    rule: Rule,
    actor: Any,
    action: str,
    when: str,
    clause: str,
    reason: str,
    groups: Iterable[str] = (),
    people: Iterable[Person] = (),
    segments: Iterable[Segment] = (),
    services: Iterable[str] = (),
    categories: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> Rule:
    before = {
        "action": rule.action,
        "when": rule.when,
        "clause": rule.clause,
        "reason": rule.reason,
        "groups": rule.groups,
        "services": rule.services,
        "categories": rule.categories,
        "people": sorted(p.pk for p in rule.people.all()),
        "segments": sorted(s.pk for s in rule.segments.all()),
    }
    _rule_fill(rule, action, when, clause, reason, groups, services, categories)
    _save(rule)
    rule.people.set(_check_people(rule.school, people))
    rule.segments.set([s for s in segments if s.school_id == rule.school_id])
    after = {
        "action": rule.action,
        "when": rule.when,
        "clause": rule.clause,
        "reason": rule.reason,
        "groups": rule.groups,
        "services": rule.services,
        "categories": rule.categories,
        "people": sorted(p.pk for p in rule.people.all()),
        "segments": sorted(s.pk for s in rule.segments.all()),
    }
    changed = [name for name in before if before[name] != after[name]]
    audit_record(
        action="netpolicy.rule_updated",
        actor=actor,
        school=rule.school,
        obj=rule,
        fields=changed,
        request=request,
    )
    recompile_on_commit(rule.school)
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule, actor: Any, request: HttpRequest | None = None) -> None:
    school = rule.school
    audit_record(
        action="netpolicy.rule_deleted", actor=actor, school=school, obj=rule, request=request
    )
    rule.delete()
    recompile_on_commit(school)


@transaction.atomic
def rule_move(
    *, rule: Rule, actor: Any, direction: str, request: HttpRequest | None = None
) -> None:
    """Move a rule one place up or down; positions are renumbered 10, 20, 30..."""
    if direction not in ("up", "down"):
        raise ValidationError("Move a rule up or down.")
    ordered = list(Rule.objects.for_school(rule.school).select_for_update())
    index = next(i for i, r in enumerate(ordered) if r.pk == rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for number, item in enumerate(ordered, start=1):
        if item.position != number * 10:
            item.position = number * 10
            item.save(update_fields=["position"])
    audit_record(
        action="netpolicy.rule_moved",
        actor=actor,
        school=rule.school,
        obj=rule,
        fields=["position"],
        request=request,
    )
    recompile_on_commit(rule.school)


@transaction.atomic
def segment_save(
    *,
    school: School,
    actor: Any,
    name: str,
    label: str,
    cidrs: Iterable[str],
    kind: str,
    expected_groups: Iterable[str],
    segment: Segment | None = None,
    request: HttpRequest | None = None,
) -> Segment:
    created = segment is None
    target = segment or Segment(school=school)
    target.name = name
    target.label = label
    target.cidrs = "\n".join(cidrs)
    target.kind = kind
    target.expected_groups = _check_groups(expected_groups, "expected_groups")
    _save(target)
    audit_record(
        action="netpolicy.segment_created" if created else "netpolicy.segment_updated",
        actor=actor,
        school=school,
        obj=target,
        fields=["name", "label", "cidrs", "kind", "expected_groups"],
        request=request,
    )
    recompile_on_commit(school)
    return target


# --- device and address register ------------------------------------------------------------

ADDRESS_FIELDS = ("address", "person", "device", "note")


def _address_fill(
    entry: AddressAssignment, address: str, person: Person | None, device: str, note: str
) -> None:
    """Fill and check an entry of the register; ValidationError names the field at fault."""
    school = entry.school
    entry.address = address.strip()
    entry.person = person
    entry.device = device.strip()
    entry.note = note.strip()
    # Address syntax (normalised) and person-or-device first; the constraints last, once the
    # checks below have named the field at fault.
    entry.full_clean(validate_constraints=False)
    if person is not None:
        if person.school_id != school.pk:
            raise ValidationError({"person": "Choose a person from this school."})
        if not network_people(school).filter(pk=person.pk).exists():
            raise ValidationError(
                {
                    "person": f"{person.full_name} cannot be named on the network: only current "
                    "learners, staff and volunteers with a network username can."
                }
            )
    network = address_network(entry.address)
    others = AddressAssignment.objects.for_school(school).exclude(pk=entry.pk)
    for other in others.select_for_update():
        try:
            covered = address_network(other.address)
        except ValueError:  # an entry saved around the services; the compile reports it
            continue
        if covered.overlaps(network):
            same = other.address == entry.address
            raise ValidationError(
                {
                    "address": f"{entry.address} "
                    + ("is already in the register" if same else f"overlaps {other.address}")
                    + f" ({other.person or other.device}). An address identifies one person "
                    "or device."
                }
            )
    entry.validate_constraints()


@transaction.atomic
def address_assign(
    *,
    school: School,
    actor: Any,
    address: str,
    person: Person | None = None,
    device: str = "",
    note: str = "",
    request: HttpRequest | None = None,
) -> AddressAssignment:
    """Add a fixed address or range for a person or a device to the school's register."""
    entry = AddressAssignment(school=school)
    _address_fill(entry, address, person, device, note)
    entry.save()
    audit_record(
        action="netpolicy.address_assigned",
        actor=actor,
        school=school,
        obj=entry,
        fields=list(ADDRESS_FIELDS),
        request=request,
    )
    recompile_on_commit(school)
    return entry


@transaction.atomic
def address_update(
    *,
    entry: AddressAssignment,
    actor: Any,
    address: str,
    person: Person | None = None,
    device: str = "",
    note: str = "",
    request: HttpRequest | None = None,
) -> AddressAssignment:
    before = {f: getattr(entry, f) for f in ("address", "person_id", "device", "note")}
    _address_fill(entry, address, person, device, note)
    entry.save()
    after = {f: getattr(entry, f) for f in before}
    changed = [f.removesuffix("_id") for f in before if before[f] != after[f]]
    audit_record(
        action="netpolicy.address_updated",
        actor=actor,
        school=entry.school,
        obj=entry,
        fields=changed,
        request=request,
    )
    recompile_on_commit(entry.school)
    return entry


@transaction.atomic
def address_remove(
    *, entry: AddressAssignment, actor: Any, request: HttpRequest | None = None
) -> None:
    school = entry.school
    audit_record(
        action="netpolicy.address_removed", actor=actor, school=school, obj=entry, request=request
    )
    entry.delete()
    recompile_on_commit(school)


DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {
        "action": Rule.Action.DENY,
        "when": Rule.When.SCHOOL_HOURS,
        "clause": Clause.LEARNERS,
        "reason": "Learners do not use personal social media in school hours",
        "groups": [Group.LEARNERS],
        "categories": ["social", "messaging"],
    },
    {
        "action": Rule.Action.DENY,
        "when": Rule.When.SCHOOL_HOURS,
        "clause": Clause.STAFF,
        "reason": "Staff do not use personal social media in school hours",
        "groups": [Group.STAFF, Group.VOLUNTEERS],
        "categories": ["social", "messaging"],
    },
)


@transaction.atomic
def default_rules_install(*, school: School, actor: Any = None, actor_label: str = "") -> int:
    """Add the policy's default rules (clauses 4 and 6) to a school that has no rules yet."""
    if Rule.objects.for_school(school).exists():
        return 0
    for position, values in enumerate(DEFAULT_RULES, start=1):
        rule = Rule(school=school, position=position * 10, **values)
        _save(rule)
    audit_record(
        action="netpolicy.default_rules_installed",
        actor=actor,
        actor_label=actor_label,
        school=school,
        fields=["rules"],
    )
    recompile_on_commit(school)
    return len(DEFAULT_RULES)


# --- catalogue ------------------------------------------------------------------------------


class DomainListError(ValueError):
    def __init__(self, parsed: ParsedList, message: str = "") -> None:
        self.parsed = parsed
        super().__init__(message or f"{len(parsed.problems)} bad line(s); nothing was imported")


@transaction.atomic
def custom_service_save(
    *,
    school: School,
    actor: Any,
    service_id: str,
    name: str,
    category: str,
    domains: Iterable[str],
    minimum_age: int | None = None,
    terms_url: str = "",
    source: str = CustomService.Source.MANUAL,
    actor_label: str = "",
    request: HttpRequest | None = None,
) -> CustomService:
    service = CustomService.objects.for_school(school).filter(service_id=service_id).first()
    created = service is None
    service = service or CustomService(school=school, service_id=service_id)
    service.name = name
    service.category = category
    service.domains = "\n".join(dict.fromkeys(domains))
    service.minimum_age = minimum_age
    service.terms_url = terms_url
    service.source = source
    _save(service)
    audit_record(
        action="netpolicy.service_added" if created else "netpolicy.service_updated",
        actor=actor,
        actor_label=actor_label,
        school=school,
        obj=service,
        fields=["name", "category", "domains", "minimum_age", "terms_url"],
        request=request,
    )
    recompile_on_commit(school)
    return service


def domain_list_import(
    *, school: School, category: str, text: str, actor: Any = None, actor_label: str = ""
) -> tuple[CustomService, ParsedList]:
    """Import a domain list as a category; any bad line and nothing is written."""
    parsed = parse_domain_list(text)
    if not parsed.ok:
        raise DomainListError(parsed)
    if not parsed.domains:
        raise DomainListError(parsed, "the file holds no domains; nothing was imported")
    service = custom_service_save(
        school=school,
        actor=actor,
        actor_label=actor_label,
        service_id=f"list-{category}",
        name=f"Imported list: {category}",
        category=category,
        domains=parsed.domains,
        source=CustomService.Source.IMPORT,
    )
    return service, parsed


# --- sanctions ------------------------------------------------------------------------------


@transaction.atomic
def sanction_set(
    *,
    school: School,
    person: Person,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None,
    actor: Any,
    source: str,
    source_ref: int | None = None,
    reason: str = "Removal of internet access",
    request: HttpRequest | None = None,
) -> Sanction:
    """Remove a person's internet access from `starts_at` to `ends_at` (None: until lifted).

    Called from the sanctions page (source "direct") or by the concerns app (source "concern",
    `source_ref` the concern's id). Enforced from the next request after the recompile.
    """
    if person.school_id != school.pk:
        raise ValidationError({"person": "Choose a person from this school."})
    sanction = Sanction(
        school=school,
        person=person,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        source=source,
        source_ref=source_ref,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _save(sanction)
    audit_record(
        action="netpolicy.sanction_set",
        actor=actor,
        school=school,
        obj=sanction,
        fields=["person", "starts_at", "ends_at", "reason", "source", "source_ref"],
        request=request,
    )
    recompile_on_commit(school)
    return sanction


@transaction.atomic
def sanction_end(
    *,
    sanction: Sanction,
    actor: Any,
    at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Sanction:
    """Give internet access back now (or at `at`)."""
    now = at or timezone.now()
    if sanction.ends_at is not None and sanction.ends_at <= now:
        raise ValidationError("This sanction has already ended.")
    sanction.ends_at = max(now, sanction.starts_at + dt.timedelta(seconds=1))
    _save(sanction)
    audit_record(
        action="netpolicy.sanction_ended",
        actor=actor,
        school=sanction.school,
        obj=sanction,
        fields=["ends_at"],
        request=request,
    )
    recompile_on_commit(sanction.school)
    return sanction


# --- channel managers and remote learning ---------------------------------------------------


@transaction.atomic
def channel_access_grant(
    *,
    school: School,
    person: Person,
    service_id: str,
    channel: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    actor: Any = None,
    actor_label: str = "",
) -> ChannelPlatformAccess:
    """Let the manager of an official channel reach its platform (for the channels app)."""
    if person.school_id != school.pk:
        raise ValidationError({"person": "Choose a person from this school."})
    access = ChannelPlatformAccess(
        school=school,
        person=person,
        service_id=service_id,
        channel=channel,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    _save(access)
    audit_record(
        action="netpolicy.channel_access_granted",
        actor=actor,
        actor_label=actor_label,
        school=school,
        obj=access,
        fields=["person", "service_id", "channel", "starts_on", "ends_on"],
    )
    recompile_on_commit(school)
    return access


@transaction.atomic
def channel_access_end(
    *,
    school: School,
    person: Person,
    service_id: str,
    channel: str,
    on: dt.date,
    actor: Any = None,
    actor_label: str = "",
) -> list[ChannelPlatformAccess]:
    """End a channel manager's access to the platform of that channel (for the channels app).

    `on` is the first day without access: stopping someone today blocks them from the
    recompile that follows, not from tomorrow. Returns the grants ended (none is not an error:
    the person may never have had one, or it has ended already).
    """
    last_day = on - dt.timedelta(days=1)
    grants = (
        ChannelPlatformAccess.objects.for_school(school)
        .select_for_update()
        .filter(person=person, service_id=service_id, channel=channel)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .order_by("pk")
    )
    ended: list[ChannelPlatformAccess] = []
    for access in grants:
        access.ends_on = last_day
        _save(access)
        audit_record(
            action="netpolicy.channel_access_ended",
            actor=actor,
            actor_label=actor_label,
            school=school,
            obj=access,
            fields=["ends_on"],
        )
        ended.append(access)
    if ended:
        recompile_on_commit(school)
    return ended


@transaction.atomic
def remote_learning_propose(
    *,
    school: School,
    proposer: Person,
    service_id: str,
    groups: Iterable[str],
    purpose: str,
    risk_assessment: str,
    actor: Any,
    request: HttpRequest | None = None,
) -> RemoteLearningApproval:
    chosen = _check_groups(groups)
    if not chosen:
        raise ValidationError({"groups": "Choose who may use the platform."})
    approval = RemoteLearningApproval(
        school=school,
        service_id=service_id,
        groups=chosen,
        purpose=purpose,
        risk_assessment=risk_assessment,
        proposed_by=proposer,
        proposed_at=timezone.now(),
    )
    _save(approval)
    audit_record(
        action="netpolicy.remote_learning_proposed",
        actor=actor,
        school=school,
        obj=approval,
        fields=["service_id", "groups", "purpose", "risk_assessment"],
        request=request,
    )
    return approval


SIGN_AS = ("dsl", "headteacher")


@transaction.atomic
def remote_learning_sign(
    *,
    approval: RemoteLearningApproval,
    signer: Person,
    as_role: str,
    actor: Any,
    request: HttpRequest | None = None,
) -> RemoteLearningApproval:
    """Record the DSL's or the headteacher's sign-off (the caller checked the capability).

    The approval is in force, and the platform allowed, once both have signed; two different
    people must sign.
    """
    approval = RemoteLearningApproval.objects.select_for_update().get(pk=approval.pk)
    if as_role not in SIGN_AS:
        raise ValidationError("Sign as the DSL or as the headteacher.")
    if approval.withdrawn_at is not None:
        raise ValidationError("This approval was withdrawn.")
    now = timezone.now()
    if as_role == "dsl":
        if approval.dsl_signed_at is not None:
            raise ValidationError("The DSL has already signed.")
        if approval.head_signed_by_id == signer.pk:
            raise ValidationError("The headteacher's sign-off is yours; another person signs.")
        approval.dsl_signed_by, approval.dsl_signed_at = signer, now
    else:
        if approval.head_signed_at is not None:
            raise ValidationError("The headteacher has already signed.")
        if approval.dsl_signed_by_id == signer.pk:
            raise ValidationError("The DSL's sign-off is yours; another person signs.")
        approval.head_signed_by, approval.head_signed_at = signer, now
    _save(approval)
    audit_record(
        action=f"netpolicy.remote_learning_signed_{as_role}",
        actor=actor,
        school=approval.school,
        obj=approval,
        fields=[f"{'dsl' if as_role == 'dsl' else 'head'}_signed_at"],
        request=request,
    )
    if approval.in_force:
        recompile_on_commit(approval.school)
    return approval
