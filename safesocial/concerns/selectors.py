"""Reads about concerns that need care: what a member may see, the dashboard, sanctions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from safesocial.access.capabilities import COMMUNITY_ROLE_OF_KIND, ROLE_CAPABILITIES
from safesocial.access.core import Membership
from safesocial.concerns.categories import Category
from safesocial.concerns.models import (
    Alert,
    CaseMember,
    ChronologyEntry,
    Concern,
    Involvement,
    Measure,
    ParentCommunication,
)
from safesocial.concerns.rules import declared_family, is_subject, kept_off_by_declaration
from safesocial.people.models import Person, RoleAssignment, School


def visible_concerns(member: Membership) -> QuerySet[Concern]:
    """Every case this member may open: the same need-to-know as the object rule, as a query."""
    person = member.person
    cases = Concern.objects.for_school(member.school)
    subject = Involvement.objects.filter(
        concern=OuterRef("pk"), person=person, part=Involvement.Part.SUBJECT
    )
    cases = cases.exclude(subject_staff=person).exclude(Exists(subject))
    family = declared_family(person)
    if family:
        kept_off = Involvement.objects.filter(concern=OuterRef("pk"), person_id__in=family)
        cases = cases.exclude(Exists(kept_off))
    allowed: list[Q] = []
    if member.has("concerns.view_all"):
        allowed.append(~Q(category=Category.ALLEGATION))
    if member.has("concerns.allegations"):
        team = CaseMember.objects.filter(concern=OuterRef("pk"), person=person)
        allowed.append(Q(category=Category.ALLEGATION) & (Q(handler=person) | Q(Exists(team))))
    if not allowed:
        return cases.none()
    condition = allowed[0]
    for extra in allowed[1:]:
        condition |= extra
    return cases.filter(condition)


def allegation_case_candidates(concern: Concern) -> list[Person]:
    """Who may be added to an allegation's case, and so open it: people who hold a role that
    handles allegations (the capability data, not a list here), can sign in, are still at the
    school, are not its subject, are not kept off by a declaration and are not on it already.

    Adding anyone else would give them nothing: the object rule still needs the capability.
    """
    today = timezone.localdate()
    capability = "concerns.allegations"
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if capability in caps]
    kinds = [kind for kind, role in COMMUNITY_ROLE_OF_KIND.items() if role in roles]
    by_role = RoleAssignment.objects.current(today).filter(school=concern.school, role__in=roles)
    people = (
        Person.objects.for_school(concern.school)
        .filter(Q(pk__in=by_role.values("person_id")) | Q(kind__in=kinds))
        .filter(user__isnull=False, user__is_active=True)
        .exclude(pk__in=CaseMember.objects.filter(concern=concern).values("person_id"))
        .order_by("last_name", "first_name", "pk")
    )
    if concern.handler_id is not None:
        people = people.exclude(pk=concern.handler_id)
    return [
        p
        for p in people
        if not p.has_left(today)
        and not is_subject(p, concern)
        and not kept_off_by_declaration(p, concern)
    ]


def own_reports(member: Membership) -> QuerySet[Concern]:
    return Concern.objects.for_school(member.school).filter(reporter=member.person)


def active_internet_sanctions(
    school: School, at: dt.datetime
) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(person_id, starts_at, ends_at) of every "removal of internet access" in force at `at`,
    for the network policy to enforce."""
    rows = (
        Measure.objects.for_school(school)
        .filter(kind=Measure.Kind.INTERNET_REMOVAL, starts_at__lte=at, ends_at__gt=at)
        .order_by("person_id", "starts_at")
        .values_list("person_id", "starts_at", "ends_at")
    )
    return [(person_id, starts, ends) for person_id, starts, ends in rows if ends is not None]


AGE_BUCKETS = (("Under a week", 0, 7), ("1 to 4 weeks", 7, 28), ("Over 4 weeks", 28, None))


@dataclass(frozen=True)
class CategoryRow:
    code: str
    label: str
    counts: tuple[int, ...]
    total: int


@dataclass(frozen=True)
class Chart:
    months: list[str]
    series: list[tuple[str, list[int]]]  # (category label, count per month)
    maximum: int


def open_by_category_and_age(cases: QuerySet[Concern], now: dt.datetime) -> list[CategoryRow]:
    rows: list[CategoryRow] = []
    open_cases = list(
        cases.exclude(status=Concern.Status.CLOSED).values_list("category", "reported_at")
    )
    for code, label in Category.choices:
        ages = [(now - at).days for cat, at in open_cases if cat == code]
        counts = tuple(
            sum(1 for age in ages if age >= low and (high is None or age < high))
            for _, low, high in AGE_BUCKETS
        )
        rows.append(CategoryRow(code, label, counts, sum(counts)))
    return rows


def overdue_clocks(cases: QuerySet[Concern], now: dt.datetime) -> QuerySet[Concern]:
    return cases.filter(clock_due_at__lt=now, clock_stopped_at__isnull=True).exclude(
        status=Concern.Status.CLOSED
    )


def without_parent_decision(cases: QuerySet[Concern]) -> QuerySet[Concern]:
    """Open cases involving a learner where nobody has recorded telling parents, or why not."""
    learner = Involvement.objects.filter(concern=OuterRef("pk"), person__kind=Person.Kind.LEARNER)
    decided = ParentCommunication.objects.filter(concern=OuterRef("pk"))
    return (
        cases.exclude(status=Concern.Status.CLOSED).filter(Exists(learner)).exclude(Exists(decided))
    )


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    year, month = today.year, today.month
    starts: list[dt.date] = []
    for _ in range(months):
        starts.append(dt.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(starts))


def cases_by_month(cases: QuerySet[Concern], today: dt.date, months: int = 12) -> Chart:
    starts = _month_starts(today, months)
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(starts[0], dt.time(), tzinfo=zone)
    counts: dict[tuple[str, int], int] = {}
    for category, at in cases.filter(reported_at__gte=first).values_list("category", "reported_at"):
        local = timezone.localtime(at)
        index = (local.year - starts[0].year) * 12 + local.month - starts[0].month
        if 0 <= index < months:
            counts[(category, index)] = counts.get((category, index), 0) + 1
    series = [
        (label, [counts.get((code, i), 0) for i in range(months)])
        for code, label in Category.choices
        if any(counts.get((code, i), 0) for i in range(months))
    ]
    totals = [sum(values[i] for _, values in series) for i in range(months)]
    return Chart(
        months=[start.strftime("%b %Y") for start in starts],
        series=series,
        maximum=max(totals, default=0),
    )


def unseen_alerts(member: Membership) -> QuerySet[Alert]:
    return (
        Alert.objects.for_school(member.school)
        .filter(recipient=member.person, seen_at__isnull=True)
        .select_related("concern")
    )


def learner_chronology(
    member: Membership, learner: Person
) -> list[tuple[dt.datetime, Concern, str, str]]:
    """Every entry, across the cases this member may see, that involve the learner."""
    cases = visible_concerns(member).filter(involvements__person=learner).distinct()
    rows: list[tuple[dt.datetime, Concern, str, str]] = []
    for concern in cases:
        reported = concern.reported_at
        rows.append((reported, concern, "Reported", concern.get_category_display()))
    entries = ChronologyEntry.objects.filter(concern__in=cases).select_related(
        "concern", "recorded_by"
    )
    for entry in entries:
        who = entry.recorded_by.full_name if entry.recorded_by else ""
        rows.append((entry.happened_at, entry.concern, f"Action ({who})", entry.text))
    rows.sort(key=lambda row: (row[0], row[1].pk))
    return rows
