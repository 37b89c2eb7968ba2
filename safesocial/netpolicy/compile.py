"""From the database to an `enforce.snapshot.Snapshot`: the one place that knows both.

Rule order in the snapshot (first match decides; sanctions come before everything, in the
engine): channel managers' access to their channel's platform (clause 5), remote-learning
approvals signed by both the DSL and the headteacher (clause 3), then the school's own rules
in the order the network manager set. Anything a rule names that the snapshot cannot carry (a
person without a network username, a service no longer in the catalogue) is left out, and a
rule left naming nobody or nothing is dropped rather than widened to everyone or every host;
`BuildResult.warnings` says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from safesocial.enforce import snapshot as snap
from safesocial.netpolicy.models import (
    AddressAssignment,
    ChannelPlatformAccess,
    Group,
    RemoteLearningApproval,
    Sanction,
    Segment,
)
from safesocial.netpolicy.selectors import (
    GROUP_OF_KIND,
    network_people,
    school_catalogue,
    school_rules,
)
from safesocial.people.models import Closure, School, SessionTime, Term


@dataclass(frozen=True)
class BuildResult:
    snapshot: snap.Snapshot
    warnings: tuple[str, ...]


def person_key(pk: int) -> str:
    return f"p{pk}"


def bank_holidays(years: range) -> dict[dt.date, str]:
    """England's bank holidays (the `holidays` package) for the given years."""
    if not years:
        return {}
    found = holidays.country_holidays("GB", subdiv="ENG", years=list(years))
    return {day: str(name) for day, name in sorted(found.items())}


def build_calendar(school: School) -> snap.Calendar:
    terms = list(Term.objects.for_school(school).order_by("starts_on"))
    sessions = tuple(
        snap.SessionTime(weekday=s.weekday, start=s.opens_at, end=s.closes_at)
        for s in SessionTime.objects.for_school(school).order_by("weekday")
    )
    closed: dict[dt.date, str] = {}
    for closure in Closure.objects.for_school(school):
        label = closure.get_kind_display()
        closed[closure.date] = f"{label}: {closure.note}" if closure.note else label
    if terms:
        years = range(min(t.starts_on for t in terms).year, max(t.ends_on for t in terms).year + 1)
        for day, name in bank_holidays(years).items():
            in_term = any(t.starts_on <= day <= t.ends_on for t in terms)
            if in_term and day.weekday() < 5:
                closed.setdefault(day, f"Bank holiday: {name}")
    return snap.Calendar(
        timezone=settings.TIME_ZONE,
        sessions=sessions,
        terms=tuple(snap.Term(name=t.name, start=t.starts_on, end=t.ends_on) for t in terms),
        closed_days=tuple(snap.ClosedDay(day=d, reason=r) for d, r in sorted(closed.items())),
    )


def build_snapshot(
    school: School, *, version: int = 0, at: dt.datetime | None = None
) -> BuildResult:
    """The school's policy as a snapshot (not written; `version` 0 means a what-if build)."""
    now = at or timezone.now()
    today = timezone.localdate(now)
    warnings: list[str] = []

    people = list(network_people(school, on=today))
    in_snapshot = {p.pk for p in people}
    snap_people = tuple(
        snap.Person(
            id=person_key(p.pk), username=p.network_username, groups=(GROUP_OF_KIND[p.kind],)
        )
        for p in people
    )
    catalogue = school_catalogue(school)
    service_ids = {e.id for e in catalogue}
    categories = {e.category for e in catalogue}
    segments = list(Segment.objects.for_school(school))

    rules: list[snap.Rule] = []
    for access in ChannelPlatformAccess.objects.for_school(school).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today
    ):
        if access.person_id not in in_snapshot or access.service_id not in service_ids:
            warnings.append(f"channel access {access.pk} left out: no network login or service")
            continue
        rules.append(
            snap.Rule(
                id=f"channel-{access.pk}",
                clause="5",
                reason=f"Manages the school's official channel: {access.channel}",
                action="allow",
                person_ids=(person_key(access.person_id),),
                services=(access.service_id,),
            )
        )
    for approval in RemoteLearningApproval.objects.for_school(school).order_by("pk"):
        if not approval.in_force:
            continue
        if approval.service_id not in service_ids:
            warnings.append(f"remote-learning approval {approval.pk} left out: unknown service")
            continue
        rules.append(
            snap.Rule(
                id=f"remote-learning-{approval.pk}",
                clause="3",
                reason=f"Approved for remote learning after a risk assessment: {approval.purpose}",
                action="allow",
                groups=tuple(approval.groups),
                services=(approval.service_id,),
            )
        )
    for rule in school_rules(school):
        person_ids = tuple(person_key(p.pk) for p in rule.people.all() if p.pk in in_snapshot)
        named_people = len(rule.people.all())
        rule_services = tuple(s for s in rule.services if s in service_ids)
        rule_categories = tuple(c for c in rule.categories if c in categories)
        if named_people and not person_ids and not rule.groups:
            warnings.append(f"rule {rule.pk} left out: none of its people has a network login")
            continue
        if (rule.services or rule.categories) and not (rule_services or rule_categories):
            warnings.append(f"rule {rule.pk} left out: its services are not in the catalogue")
            continue
        rules.append(
            snap.Rule(
                id=rule.snapshot_id,
                clause=rule.clause,
                reason=rule.reason,
                action=rule.action,  # type: ignore[arg-type]
                when=rule.when,  # type: ignore[arg-type]
                groups=tuple(rule.groups),
                person_ids=person_ids,
                segments=tuple(s.name for s in rule.segments.all()),
                services=rule_services,
                categories=rule_categories,
            )
        )

    sanctions = tuple(
        snap.Sanction(
            id=f"s{s.pk}",
            person_id=person_key(s.person_id),
            start=s.starts_at,
            end=s.ends_at,
            # The block page shows this: a general reason, never the behaviour behind it.
        )
        for s in Sanction.objects.for_school(school)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("pk")
        if s.person_id in in_snapshot
    )
    addresses = tuple(
        snap.AddressMapping(
            address=a.address,
            person_id=person_key(a.person_id) if a.person_id else None,
            device=a.device or None,
        )
        for a in AddressAssignment.objects.for_school(school)
        if a.person_id is None or a.person_id in in_snapshot
    )
    snapshot = snap.Snapshot(
        school=school.slug,
        version=version,
        created_at=now,
        groups=tuple(snap.Group(id=g.value, name=str(g.label)) for g in Group),
        people=snap_people,
        addresses=addresses,
        segments=tuple(
            snap.Segment(
                name=s.name,
                cidrs=tuple(s.cidr_list()),
                kind=s.kind,
                expected_groups=tuple(s.expected_groups),
            )
            for s in segments
        ),
        calendar=build_calendar(school),
        services=tuple(
            snap.Service(
                id=e.id,
                name=e.name,
                category=e.category,
                domains=e.domains,
                minimum_age=e.minimum_age,
            )
            for e in catalogue
        ),
        rules=tuple(rules),
        sanctions=sanctions,
    )
    return BuildResult(snapshot=snapshot, warnings=tuple(warnings))
