"""The trustees' annual review evidence pack (F3, 7, 8) for one school and a date range, and the
headline figures the trust view shows for each school, computed from the same pack."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from safesocial.people.models import School
from safesocial.policies.models import ACKNOWLEDGED_KINDS, PolicyKind
from safesocial.reviews.controls import (
    Unavailable,
    acknowledgement_figures,
    compliance_map,
    consent_figures,
    optional_attr,
    optional_module,
    percent,
    status_counts,
    training_figures,
)

STILL_OPEN = "Still open"


@dataclass(frozen=True)
class Lesson:
    reference: str
    category: str
    lessons: str
    changes: list[tuple[str, str, str]]  # (kind, proposal, what became of it)


@dataclass(frozen=True)
class ChannelRow:
    name: str
    status: str
    approved_on: dt.date | None
    reapproval_due_on: dt.date | None


@dataclass
class Pack:
    school: School
    day_from: dt.date
    day_to: dt.date
    today: dt.date
    concerns_total: int = 0
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_outcome: list[tuple[str, int]] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)
    policy_changes: int = 0
    actions_by_status: list[tuple[str, int]] = field(default_factory=list)
    actions_overdue: int = 0
    actions_created: int = 0
    actions_completed: int = 0
    monitoring_state: str = "none"  # "none", "ok" or "unavailable"
    monitoring_message: str = ""
    monitoring_totals: list[tuple[str, int]] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)
    acknowledgements: list[tuple[str, int, int, int]] = field(default_factory=list)
    training: dict[str, int] = field(default_factory=dict)
    consent: tuple[int, int, int] | None = None
    consent_reason: str = ""
    channels: list[ChannelRow] | None = None
    channels_reason: str = ""
    channels_approved: int = 0
    declarations_in_period: int = 0
    declarations_total: int = 0
    retention_decisions: list[tuple[str, int]] = field(default_factory=list)
    retention_due: int = 0
    reviews: list[Any] = field(default_factory=list)
    map_counts: dict[str, int] = field(default_factory=dict)

    @property
    def training_total(self) -> int:
        return sum(self.training.values())

    @property
    def consent_percent(self) -> int | None:
        return percent(self.consent[1], self.consent[0]) if self.consent else None


def _bounds(day_from: dt.date, day_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day_from, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time()))
    return start, end


def _concerns(pack: Pack, start: dt.datetime, end: dt.datetime) -> None:
    from safesocial.concerns.categories import Category
    from safesocial.concerns.models import Concern, Debrief, Proposal
    from safesocial.policies.models import ActionItem

    rows = list(
        Concern.objects.for_school(pack.school)
        .filter(reported_at__gte=start, reported_at__lt=end)
        .values_list("category", "status", "outcome")
    )
    pack.concerns_total = len(rows)
    pack.by_category = [
        (label, n)
        for code, label in Category.choices
        if (n := sum(1 for cat, _, _ in rows if cat == code))
    ]
    outcomes: dict[str, int] = {}
    for _, status, outcome in rows:
        label = (
            STILL_OPEN if status != Concern.Status.CLOSED else str(Concern.Outcome(outcome).label)
        )
        outcomes[label] = outcomes.get(label, 0) + 1
    order = [str(label) for _, label in Concern.Outcome.choices] + [STILL_OPEN]
    pack.by_outcome = [(label, outcomes[label]) for label in order if label in outcomes]

    debriefs = (
        Debrief.objects.for_school(pack.school)
        .filter(recorded_at__gte=start, recorded_at__lt=end)
        .select_related("concern")
        .order_by("recorded_at")
    )
    for debrief in debriefs:
        changes: list[tuple[str, str, str]] = []
        for proposal in Proposal.objects.filter(debrief=debrief).order_by("pk"):
            became = str(proposal.get_becomes_display())
            if proposal.linked_id.isdigit():
                item = (
                    ActionItem.objects.for_school(pack.school)
                    .filter(pk=int(proposal.linked_id))
                    .first()
                )
                if item is not None:
                    became = f"Action item: {item.get_status_display()}"
            changes.append((str(proposal.get_kind_display()), proposal.text, became))
            if proposal.kind == Proposal.Kind.POLICY:
                pack.policy_changes += 1
        pack.lessons.append(
            Lesson(
                debrief.concern.reference,
                str(debrief.concern.get_category_display()),
                debrief.lessons,
                changes,
            )
        )


def _actions(pack: Pack, start: dt.datetime, end: dt.datetime) -> None:
    from django.db.models import Q

    from safesocial.policies.models import ActionItem

    items = list(
        ActionItem.objects.for_school(pack.school).filter(
            ~Q(status=ActionItem.Status.DONE)
            | Q(completed_on__gte=pack.day_from, completed_on__lte=pack.day_to)
            | Q(created_at__gte=start, created_at__lt=end)
        )
    )
    pack.actions_by_status = [
        (str(label), sum(1 for i in items if i.status == code))
        for code, label in ActionItem.Status.choices
    ]
    pack.actions_overdue = sum(
        1 for i in items if i.status != ActionItem.Status.DONE and i.due_on < pack.today
    )
    pack.actions_created = sum(1 for i in items if start <= i.created_at < end)
    pack.actions_completed = sum(
        1
        for i in items
        if i.completed_on is not None and pack.day_from <= i.completed_on <= pack.day_to
    )


def _monitoring(pack: Pack) -> None:
    from safesocial.monitoring.selectors import ReportUnavailable, findings, load_report

    try:
        loaded = load_report(pack.school, pack.day_from, pack.day_to)
    except ReportUnavailable as error:
        pack.monitoring_state, pack.monitoring_message = "unavailable", str(error)
        return
    if loaded.state != "ok":
        pack.monitoring_message = "No monitoring logs have been ingested for this school."
        return
    r = loaded.report
    pack.monitoring_state = "ok"
    pack.monitoring_totals = [
        ("Requests", int(r["requests"])),
        ("Social media requests", int(r["social_media_requests"])),
        ("In school hours", int(r["in_school_hours"])),
        ("Out of school hours", int(r["out_of_school_hours"])),
        ("Blocked", int(r["blocked"])),
    ]
    pack.findings = findings(pack.school, loaded)


def _channels(pack: Pack) -> None:
    try:
        pack.consent = consent_figures(pack.school, pack.day_to)
    except Unavailable as error:
        pack.consent_reason = f"Not available: {error}"
    try:
        models = optional_module("safesocial.channels.models")
        channel_model = optional_attr(models, "Channel")
        channels = list(channel_model.objects.for_school(pack.school).order_by("account_name"))
    except Unavailable as error:
        pack.channels_reason = f"Not available: {error}"
        return
    pack.channels = [
        ChannelRow(
            str(c),
            str(c.get_status_display()),
            getattr(c, "approved_on", None),
            getattr(c, "reapproval_due_on", None),
        )
        for c in channels
    ]
    pack.channels_approved = sum(
        1
        for row in pack.channels
        if row.approved_on is not None and pack.day_from <= row.approved_on <= pack.day_to
    )


def _records(pack: Pack, start: dt.datetime, end: dt.datetime) -> None:
    from safesocial.concerns.models import Declaration, RetentionDecision
    from safesocial.concerns.retention import records_due
    from safesocial.policies.models import FormalReview

    declarations = Declaration.objects.for_school(pack.school)
    pack.declarations_total = declarations.count()
    pack.declarations_in_period = declarations.filter(
        declared_at__gte=start, declared_at__lt=end
    ).count()
    decisions = RetentionDecision.objects.for_school(pack.school).filter(
        decided_at__gte=start, decided_at__lt=end
    )
    pack.retention_decisions = [
        (str(label), decisions.filter(action=code).count())
        for code, label in RetentionDecision.Action.choices
    ]
    pack.retention_due = len(records_due(pack.school, pack.today))
    pack.reviews = list(
        FormalReview.objects.for_school(pack.school)
        .filter(held_on__gte=pack.day_from, held_on__lte=pack.day_to)
        .select_related("policy")
    )


def build_pack(
    school: School, day_from: dt.date, day_to: dt.date, *, today: dt.date | None = None
) -> Pack:
    pack = Pack(school, day_from, day_to, today or timezone.localdate())
    start, end = _bounds(day_from, day_to)
    _concerns(pack, start, end)
    _actions(pack, start, end)
    _monitoring(pack)
    pack.acknowledgements = [
        (label, a, n, percent(a, n)) for label, (a, n) in acknowledgement_figures(school).items()
    ]
    pack.training = training_figures(school, pack.today)
    _channels(pack)
    _records(pack, start, end)
    pack.map_counts = status_counts(compliance_map(school, today=pack.today))
    return pack


def headline(pack: Pack) -> list[tuple[str, str]]:
    """The pack's figures as counts and percentages only: nothing names a person."""
    rows: list[tuple[str, str]] = [
        ("Concerns reported", str(pack.concerns_total)),
        ("Concerns still open", str(dict(pack.by_outcome).get(STILL_OPEN, 0))),
        ("Debriefs with lessons learnt", str(len(pack.lessons))),
        ("Policy changes proposed from lessons", str(pack.policy_changes)),
        ("Open action items overdue", str(pack.actions_overdue)),
        ("Action items completed", str(pack.actions_completed)),
    ]
    # The same rows for every school, so that a trust can set them side by side.
    coverage = {label: pct for label, _, _, pct in pack.acknowledgements}
    for kind in ACKNOWLEDGED_KINDS:
        label = str(PolicyKind(kind).label)
        value = f"{coverage[label]}%" if label in coverage else "no current version"
        rows.append((f"{label} acknowledged", value))
    current = pack.training.get("current", 0)
    rows.append(("Training up to date", f"{percent(current, pack.training_total)}%"))
    rows.append(("Training overdue", str(pack.training.get("overdue", 0))))
    rows.append(
        (
            "Learners with image consent",
            "not available" if pack.consent_percent is None else f"{pack.consent_percent}%",
        )
    )
    rows.append(
        (
            "Official channels",
            "not available" if pack.channels is None else str(len(pack.channels)),
        )
    )
    rows.append(("Declarations made", str(pack.declarations_in_period)))
    rows.append(("Records awaiting a retention decision", str(pack.retention_due)))
    rows.append(
        (
            "Monitoring findings",
            str(len(pack.findings)) if pack.monitoring_state == "ok" else "none ingested",
        )
    )
    for status, n in pack.map_counts.items():
        rows.append((f"Clauses {status}", str(n)))
    return rows
