"""The compliance map as data (F2): each clause of the policy -> the controls that carry it out,
and for each control a function reading its live evidence for one school.

A control's check returns a status ("in place", "partly", "missing") with the reason in words.
A clause that no control carries out is shown as missing, never left out. Checks read other
apps through their models and selectors only; an app that is missing or changing (channels)
makes its controls "missing" with the reason, never an error page.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from safesocial.people.models import Person, Role, RoleAssignment, School

IN_PLACE = "in place"
PARTLY = "partly"
MISSING = "missing"
STATUSES = (IN_PLACE, PARTLY, MISSING)
_RANK = {IN_PLACE: 0, PARTLY: 1, MISSING: 2}

# Clause ids of POLICY-MAP.md, in the policy's order, with what each asks (paraphrased).
CLAUSES: dict[str, str] = {
    "F1": "A copy on request, in accessible formats; public on the website",
    "F2": "Continuous monitoring, refinement and audit by the headteacher",
    "F3": "Formal review by trustees within a year or on triggers; deficiencies remedied",
    "F4": "Signed by the headteacher and the chair; versioned",
    "1": "Written with the community; the DSL has overall responsibility; device classes",
    "2": "Links with the school's other policies",
    "3": "Positive conduct; access controlled on school systems; remote learning risk-assessed",
    "4": "Staff: no personal social media in school hours; AUP, code of conduct, training",
    "4.1": "Staff reputation and privacy; tell leadership of conflicts with their role",
    "4.2": "No personal accounts to contact learners or families; declarations",
    "5": "Official channels: approved, risk-assessed, two-person posting, consent",
    "6": "Learners: no personal social media in school hours; minimum ages; parents told",
    "7": "Reviewed at least annually; internet use monitored; mechanisms evaluated",
    "8": "Reporting for all; debriefs and lessons learnt; confidentiality; external advice",
}


@dataclass(frozen=True)
class Evidence:
    status: str
    reason: str
    latest: dt.date | None = None
    gaps: tuple[str, ...] = ()


Check = Callable[[School, dt.date], Evidence]


@dataclass(frozen=True)
class Control:
    key: str
    name: str
    clauses: tuple[str, ...]
    check: Check


@dataclass(frozen=True)
class ControlResult:
    control: Control
    evidence: Evidence


@dataclass
class ClauseRow:
    clause: str
    summary: str
    results: list[ControlResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.results:
            return MISSING
        return max((r.evidence.status for r in self.results), key=_RANK.__getitem__)

    @property
    def reason(self) -> str:
        return "" if self.results else "No control carries out this clause."


class Unavailable(Exception):
    """What a control needs is not there (an app or a model of it): shown as missing."""


def optional_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as error:  # an app mid-change may fail in any way on import
        raise Unavailable(f"{name} cannot be loaded ({type(error).__name__})") from error


def optional_attr(module: ModuleType, name: str) -> Any:
    found = getattr(module, name, None)
    if found is None:
        raise Unavailable(f"{module.__name__} has no {name}")
    return found


def _d(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _local(at: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(at).date() if at is not None else None


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _current_role_holders(school: School, role: str, today: dt.date) -> list[Person]:
    ids = (
        RoleAssignment.objects.current(today)
        .filter(school=school, role=role)
        .values_list("person_id", flat=True)
    )
    return list(
        Person.objects.for_school(school)
        .filter(pk__in=list(ids))
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=today))
    )


# --- Policies: public copy, sign-off, reviews, action plan, acknowledgements, training -------


def _social_media_policy(school: School) -> Any:
    from safesocial.policies.models import Policy, PolicyKind

    return (
        Policy.objects.for_school(school)
        .filter(kind=PolicyKind.SOCIAL_MEDIA)
        .select_related("current_version")
        .first()
    )


def check_public_copy(school: School, today: dt.date) -> Evidence:
    from safesocial.policies.models import CopyRequest
    from safesocial.policies.selectors import public_policies

    policy = _social_media_policy(school)
    published = public_policies(school).count()
    waiting = CopyRequest.objects.for_school(school).filter(handled_at__isnull=True).count()
    gaps = (f"{waiting} request(s) for another format not yet handled",) if waiting else ()
    if policy is None or policy.current_version is None:
        return Evidence(MISSING, "No approved social media policy to publish", gaps=gaps)
    if not policy.is_public:
        return Evidence(PARTLY, "The social media policy is not published", gaps=gaps)
    return Evidence(
        PARTLY if waiting else IN_PLACE,
        f"Social media policy published with accessible copies; {published} policies public",
        _local(policy.current_version.approved_at),
        gaps,
    )


def check_headteacher_audit(school: School, today: dt.date) -> Evidence:
    from safesocial.audit.models import AuditEntry

    heads = _current_role_holders(school, Role.HEADTEACHER, today)
    last = (
        AuditEntry.objects.filter(school_id=school.pk, action="reviews.map_viewed")
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if not heads:
        return Evidence(MISSING, "No headteacher in post to audit the policy")
    if last is None:
        return Evidence(PARTLY, "The compliance map has not been looked at before")
    seen = _local(last)
    assert seen is not None
    if (today - seen).days > 90:
        return Evidence(PARTLY, f"Compliance map last looked at on {_d(seen)}", seen)
    return Evidence(IN_PLACE, f"Compliance map last looked at on {_d(seen)}", seen)


def check_sign_off(school: School, today: dt.date) -> Evidence:
    from safesocial.policies.models import PolicyVersion, SignOffRole

    policy = _social_media_policy(school)
    if policy is None:
        return Evidence(MISSING, "The school has no social media policy on its register")
    version = policy.current_version
    if version is None:
        drafts = PolicyVersion.objects.filter(policy=policy).count()
        return Evidence(
            PARTLY if drafts else MISSING,
            f"No approved version yet ({drafts} draft(s))",
        )
    roles = set(version.sign_offs.values_list("role", flat=True))
    label = policy.number or policy.title
    if roles >= {SignOffRole.HEADTEACHER, SignOffRole.CHAIR}:
        approved = _local(version.approved_at)
        when = f" on {_d(approved)}" if approved else ""
        return Evidence(
            IN_PLACE,
            f"{label} version {version.number} signed by the headteacher and the chair{when}",
            approved,
        )
    return Evidence(PARTLY, f"Version {version.number} lacks a sign-off")


def check_review_schedule(school: School, today: dt.date) -> Evidence:
    from safesocial.policies.models import ReviewTrigger

    policy = _social_media_policy(school)
    if policy is None or policy.next_review_due is None:
        return Evidence(MISSING, "No review date set for the social media policy")
    triggers = ReviewTrigger.objects.filter(policy=policy).count()
    extra = f"; {triggers} early-review trigger(s) logged" if triggers else ""
    due = policy.next_review_due
    if due < today:
        return Evidence(MISSING, f"Review overdue since {_d(due)}{extra}", policy.last_reviewed_on)
    return Evidence(IN_PLACE, f"Next review due {_d(due)}{extra}", policy.last_reviewed_on)


def check_formal_review(school: School, today: dt.date) -> Evidence:
    from safesocial.policies.models import FormalReview

    policy = _social_media_policy(school)
    if policy is None:
        return Evidence(MISSING, "The school has no social media policy on its register")
    latest = FormalReview.objects.filter(policy=policy).order_by("-held_on").first()
    if latest is None:
        return Evidence(MISSING, "Trustees have not recorded a formal review")
    if (today - latest.held_on).days > 365:
        return Evidence(
            PARTLY, f"Last formal review on {_d(latest.held_on)}, over a year ago", latest.held_on
        )
    return Evidence(IN_PLACE, f"Formal review recorded on {_d(latest.held_on)}", latest.held_on)


def check_action_plan(school: School, today: dt.date) -> Evidence:
    from safesocial.policies.models import ActionItem

    items = ActionItem.objects.for_school(school).exclude(status=ActionItem.Status.DONE)
    open_count = items.count()
    overdue = items.filter(due_on__lt=today).count()
    done = (
        ActionItem.objects.for_school(school)
        .filter(status=ActionItem.Status.DONE)
        .order_by("-completed_on")
        .values_list("completed_on", flat=True)
        .first()
    )
    if overdue:
        return Evidence(
            PARTLY,
            f"{overdue} of {open_count} open action item(s) overdue",
            done,
            (f"{overdue} overdue action item(s)",),
        )
    return Evidence(IN_PLACE, f"{open_count} open action item(s), none overdue", done)


def acknowledgement_figures(school: School) -> dict[str, tuple[int, int]]:
    """Policy kind label -> (people who accepted its current version, people who should)."""
    from safesocial.policies.selectors import acknowledgement_report

    report = acknowledgement_report(school)
    figures: dict[str, tuple[int, int]] = {}
    for policy in report.policies:
        accepted = sum(1 for row in report.rows if row.accepted.get(policy.kind))
        figures[policy.get_kind_display()] = (accepted, len(report.rows))
    return figures


def check_acknowledgements(school: School, today: dt.date) -> Evidence:
    from safesocial.policies.models import ACKNOWLEDGED_KINDS, PolicyKind

    figures = acknowledgement_figures(school)
    if not figures:
        return Evidence(MISSING, "No current AUP, code of conduct or social media policy")
    parts = [
        f"{label} acknowledged by {percent(a, n)}% of staff" for label, (a, n) in figures.items()
    ]
    gaps = [
        f"{n - a} of {n} yet to accept the {label}" for label, (a, n) in figures.items() if a < n
    ]
    absent = [PolicyKind(k).label for k in ACKNOWLEDGED_KINDS if PolicyKind(k).label not in figures]
    gaps += [f"No current {label}" for label in absent]
    if all(a == 0 for a, _ in figures.values()):
        return Evidence(MISSING, "; ".join(parts), gaps=tuple(gaps))
    return Evidence(PARTLY if gaps else IN_PLACE, "; ".join(parts), gaps=tuple(gaps))


def training_figures(school: School, today: dt.date) -> dict[str, int]:
    from safesocial.policies.selectors import training_report

    counts = {"current": 0, "due": 0, "overdue": 0}
    for row in training_report(school, today=today):
        counts[row.status] += 1
    return counts


def check_training(school: School, today: dt.date) -> Evidence:
    counts = training_figures(school, today)
    total = sum(counts.values())
    if not total:
        return Evidence(MISSING, "No staff or volunteers on the school's records")
    reason = (
        f"{counts['current']} of {total} up to date, {counts['due']} due, "
        f"{counts['overdue']} overdue"
    )
    if counts["overdue"] == total:
        return Evidence(MISSING, reason, gaps=(f"{counts['overdue']} overdue",))
    if counts["overdue"]:
        return Evidence(PARTLY, reason, gaps=(f"{counts['overdue']} overdue",))
    return Evidence(IN_PLACE, reason)


def check_linked_policies(school: School, today: dt.date) -> Evidence:
    from safesocial.policies.models import Policy, PolicyKind

    linked = [k for k in PolicyKind.values if k != PolicyKind.SOCIAL_MEDIA]
    policies = list(Policy.objects.for_school(school).filter(kind__in=linked))
    current = [p for p in policies if p.current_version_id is not None]
    without = [p.title for p in current if p.owner_id is None or p.next_review_due is None]
    reason = f"{len(current)} of {len(linked)} linked policies have an approved version"
    if not current:
        return Evidence(MISSING, reason)
    gaps = tuple(f"{title}: no owner or review date" for title in without)
    if len(current) < len(linked) or gaps:
        return Evidence(PARTLY, reason, gaps=gaps)
    return Evidence(IN_PLACE, reason)


# --- People: DSL ----------------------------------------------------------------------------


def check_dsl(school: School, today: dt.date) -> Evidence:
    dsls = _current_role_holders(school, Role.DSL, today)
    deputies = _current_role_holders(school, Role.DEPUTY_DSL, today)
    if not dsls:
        return Evidence(MISSING, "No Designated Safeguarding Lead in post")
    if len(dsls) > 1:
        return Evidence(PARTLY, f"{len(dsls)} DSLs in post: there should be exactly one")
    return Evidence(IN_PLACE, f"One DSL in post, {len(deputies)} deputy DSL(s)")


# --- Network policy ---------------------------------------------------------------------------


def check_network_rules(school: School, today: dt.date) -> Evidence:
    from safesocial.netpolicy.models import Rule, Segment
    from safesocial.netpolicy.selectors import latest_snapshot

    rules = Rule.objects.for_school(school).count()
    segments = Segment.objects.for_school(school).count()
    snapshot = latest_snapshot(school)
    if not rules:
        return Evidence(MISSING, "No network rules")
    reason = f"{rules} network rule(s) over {segments} network segment(s)"
    if snapshot is None:
        return Evidence(PARTLY, reason, gaps=("Rules never compiled for enforcement",))
    compiled = _local(snapshot.compiled_at)
    assert compiled is not None
    return Evidence(
        IN_PLACE, f"{reason}; snapshot {snapshot.version} compiled {_d(compiled)}", compiled
    )


def check_sanctions(school: School, today: dt.date) -> Evidence:
    from safesocial.netpolicy.selectors import current_sanctions

    count = current_sanctions(school, at=_start(today + dt.timedelta(days=1))).count()
    return Evidence(
        IN_PLACE, f"Removal of internet access enforced at the next request; {count} in force"
    )


def check_remote_learning(school: School, today: dt.date) -> Evidence:
    from safesocial.netpolicy.models import RemoteLearningApproval

    approvals = list(
        RemoteLearningApproval.objects.for_school(school).filter(withdrawn_at__isnull=True)
    )
    in_force = [a for a in approvals if a.in_force]
    waiting = len(approvals) - len(in_force)
    reason = f"{len(in_force)} platform(s) signed by the DSL and the headteacher"
    if waiting:
        return Evidence(PARTLY, reason, gaps=(f"{waiting} awaiting a signature",))
    signed = [timezone.localtime(a.head_signed_at).date() for a in in_force if a.head_signed_at]
    latest = max(signed, default=None)
    return Evidence(IN_PLACE, reason, latest)


# --- Concerns -------------------------------------------------------------------------------


def check_concern_routing(school: School, today: dt.date) -> Evidence:
    from safesocial.concerns.categories import RULES
    from safesocial.concerns.models import Concern

    year = Concern.objects.for_school(school).filter(
        reported_at__gte=_start(today - dt.timedelta(days=365))
    )
    last = year.order_by("-reported_at").values_list("reported_at", flat=True).first()
    return Evidence(
        IN_PLACE,
        f"{len(RULES)} categories, each routed under its governing policy; "
        f"{year.count()} concern(s) in the last 12 months",
        _local(last),
    )


def check_reporting_for_all(school: School, today: dt.date) -> Evidence:
    from safesocial.concerns.categories import RULES
    from safesocial.concerns.models import Concern

    public = sum(1 for rule in RULES.values() if rule.public)
    outside = (
        Concern.objects.for_school(school)
        .filter(reported_at__gte=_start(today - dt.timedelta(days=365)))
        .exclude(reporter_kind=Concern.ReporterKind.STAFF)
        .count()
    )
    return Evidence(
        IN_PLACE,
        f"Public report form open for {public} categories; {outside} report(s) from "
        "learners, parents or others in the last 12 months",
    )


def check_debriefs(school: School, today: dt.date) -> Evidence:
    from safesocial.concerns.models import Concern, Debrief

    closed = Concern.objects.for_school(school).filter(status=Concern.Status.CLOSED)
    without = closed.filter(debrief__isnull=True).count()
    debriefs = Debrief.objects.for_school(school)
    last = debriefs.order_by("-recorded_at").values_list("recorded_at", flat=True).first()
    reason = (
        f"{debriefs.count()} debrief(s) with lessons learnt for {closed.count()} closed case(s)"
    )
    if without:
        return Evidence(PARTLY, reason, _local(last), (f"{without} closed without a debrief",))
    return Evidence(IN_PLACE, reason, _local(last))


def check_allegations(school: School, today: dt.date) -> Evidence:
    from safesocial.concerns.categories import Category
    from safesocial.concerns.models import Concern, Referral

    allegations = Concern.objects.for_school(school).filter(category=Category.ALLEGATION)
    overdue = (
        allegations.filter(clock_due_at__lt=timezone.now(), clock_stopped_at__isnull=True)
        .exclude(status=Concern.Status.CLOSED)
        .count()
    )
    referrals = Referral.objects.for_school(school).count()
    reason = f"{allegations.count()} allegation(s); {referrals} referral(s) or advice logged"
    if overdue:
        return Evidence(PARTLY, reason, gaps=(f"{overdue} one-working-day clock(s) overdue",))
    return Evidence(IN_PLACE, reason)


def check_parents_told(school: School, today: dt.date) -> Evidence:
    from safesocial.concerns.models import Concern
    from safesocial.concerns.selectors import without_parent_decision

    count = without_parent_decision(Concern.objects.for_school(school)).count()
    if count:
        return Evidence(
            PARTLY,
            "Parent communication recorded on cases",
            gaps=(f"{count} open case(s) with no decision about telling parents",),
        )
    return Evidence(IN_PLACE, "Every open case with a learner has a decision about parents")


def check_declarations(school: School, today: dt.date) -> Evidence:
    from safesocial.concerns.models import Declaration

    declarations = Declaration.objects.for_school(school)
    total = declarations.count()
    undecided = declarations.filter(decided_at__isnull=True).count()
    review_due = declarations.filter(review_on__lt=today).count()
    reason = f"{total} declaration(s) on the register, {total - undecided} with a decision"
    gaps = []
    if undecided:
        gaps.append(f"{undecided} awaiting a decision")
    if review_due:
        gaps.append(f"{review_due} past their review date")
    return Evidence(PARTLY if gaps else IN_PLACE, reason, gaps=tuple(gaps))


def check_retention(school: School, today: dt.date) -> Evidence:
    from safesocial.concerns.models import RetentionDecision
    from safesocial.concerns.retention import records_due

    due = len(records_due(school, today))
    last = (
        RetentionDecision.objects.for_school(school)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    if due:
        return Evidence(
            PARTLY,
            "Retention rules per record type",
            _local(last),
            (f"{due} record(s) past their retention date await a decision",),
        )
    return Evidence(IN_PLACE, "No record past its retention date awaits a decision", _local(last))


# --- Channels (defensive: the app may be incomplete) ---------------------------------------


def _channel_models() -> ModuleType:
    return optional_module("safesocial.channels.models")


def check_channel_register(school: School, today: dt.date) -> Evidence:
    models = _channel_models()
    channel_model = optional_attr(models, "Channel")
    channels = list(channel_model.objects.for_school(school).exclude(status="closed"))
    if not channels:
        return Evidence(IN_PLACE, "No official channels in use")
    parts, gaps = [], []
    latest: dt.date | None = None
    for channel in channels:
        approved = getattr(channel, "approved_on", None)
        due = getattr(channel, "reapproval_due_on", None)
        if approved is None:
            gaps.append(f"{channel} awaits the headteacher's approval")
            continue
        latest = max(latest or approved, approved)
        again = f", re-approval due {_d(due)}" if due is not None else ""
        parts.append(f"risk assessment approved on {_d(approved)}{again}")
        if due is not None and due < today:
            gaps.append(f"{channel}: re-approval overdue since {_d(due)}")
    reason = f"{len(channels)} channel(s)" + (", " + "; ".join(parts) if parts else "")
    return Evidence(PARTLY if gaps else IN_PLACE, reason, latest, tuple(gaps))


def check_credentials(school: School, today: dt.date) -> Evidence:
    models = _channel_models()
    channel_model = optional_attr(models, "Channel")
    selectors = optional_module("safesocial.channels.selectors")
    login_holders = optional_attr(selectors, "login_holders")
    channels = list(channel_model.objects.for_school(school).filter(status="active"))
    without = [str(c) for c in channels if not login_holders(c)]
    reason = f"Custody log kept for {len(channels)} active channel(s)"
    if without:
        return Evidence(PARTLY, reason, gaps=tuple(f"{c}: nobody holds the login" for c in without))
    return Evidence(IN_PLACE, reason)


def check_two_person_posting(school: School, today: dt.date) -> Evidence:
    models = _channel_models()
    post_model = optional_attr(models, "Post")
    published = post_model.objects.for_school(school).filter(published_at__isnull=False)
    alone = published.filter(Q(reviewer__isnull=True) | Q(reviewer=F("author")))
    count, single = published.count(), alone.count()
    reason = f"{count - single} of {count} published post(s) agreed by a second colleague"
    if single:
        return Evidence(PARTLY, reason, gaps=(f"{single} published without a second colleague",))
    return Evidence(IN_PLACE, reason)


def consent_figures(school: School, on: dt.date) -> tuple[int, int, int]:
    """(learners, learners with consent in force for every purpose a post needs, open take-downs).

    Raises Unavailable when the channels app does not provide consent records."""
    models = _channel_models()
    consent_model = optional_attr(models, "Consent")
    selectors = optional_module("safesocial.channels.selectors")
    purposes = optional_attr(selectors, "REQUIRED_PURPOSES")
    takedown_model = optional_attr(models, "TakeDownTask")
    learners = list(
        Person.objects.for_school(school)
        .filter(kind=Person.Kind.LEARNER)
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=on))
        .values_list("pk", flat=True)
    )
    in_force: dict[int, set[str]] = {}
    for consent in consent_model.objects.for_school(school).filter(learner_id__in=learners):
        if consent.in_force(on):
            in_force.setdefault(consent.learner_id, set()).add(consent.purpose)
    covered = sum(1 for pk in learners if set(purposes) <= in_force.get(pk, set()))
    open_tasks = takedown_model.objects.for_school(school).filter(done_at__isnull=True).count()
    return len(learners), covered, open_tasks


def check_consent(school: School, today: dt.date) -> Evidence:
    learners, covered, open_tasks = consent_figures(school, today)
    reason = (
        f"{covered} of {learners} learners ({percent(covered, learners)}%) have written "
        "consent in force for official social media and the website"
    )
    if open_tasks:
        return Evidence(PARTLY, reason, gaps=(f"{open_tasks} take-down task(s) open",))
    return Evidence(IN_PLACE, reason)


def check_learner_accounts(school: School, today: dt.date) -> Evidence:
    models = _channel_models()
    account_model = optional_attr(models, "LearnerAccount")
    accounts = list(account_model.objects.for_school(school).filter(closed_on__isnull=True))
    under = [a for a in accounts if a.minimum_age is not None and a.age_on_creation < a.minimum_age]
    reason = f"Age gate on {len(accounts)} open school-created learner account(s)"
    if under:
        return Evidence(PARTLY, reason, gaps=(f"{len(under)} below the service's minimum age",))
    return Evidence(IN_PLACE, reason)


# --- Monitoring -----------------------------------------------------------------------------


def check_monitoring(school: School, today: dt.date) -> Evidence:
    from safesocial.monitoring.selectors import (
        ReportUnavailable,
        data_span,
        findings,
        load_report,
    )

    try:
        span = data_span(school)
    except ReportUnavailable as error:
        return Evidence(PARTLY, str(error))
    if span is None:
        return Evidence(MISSING, "No server logs ingested")
    last = span[1]
    window = today - dt.timedelta(days=30)
    loaded = load_report(school, window, today)
    gaps = (
        tuple(f.title for f in findings(school, loaded) if f.kind == "Enforcement gap")
        if loaded.state == "ok"
        else ()
    )
    reason = f"Logs ingested up to {_d(last)}"
    if (today - last).days > 30:
        return Evidence(PARTLY, reason + "; nothing in the last 30 days", last, gaps)
    if gaps:
        return Evidence(PARTLY, f"{reason}; {len(gaps)} enforcement gap(s) in 30 days", last, gaps)
    return Evidence(IN_PLACE, f"{reason}; no enforcement gaps in the last 30 days", last)


CONTROLS: tuple[Control, ...] = (
    Control("public_copy", "Public policy page and accessible copies", ("F1",), check_public_copy),
    Control("audit", "Headteacher's audit of this map", ("F2",), check_headteacher_audit),
    Control(
        "review_schedule",
        "Review schedule and early-review triggers",
        ("F3", "7"),
        check_review_schedule,
    ),
    Control("formal_review", "Trustees' formal review record", ("F3", "7"), check_formal_review),
    Control("action_plan", "Action plan with owners and due dates", ("F3", "7"), check_action_plan),
    Control("sign_off", "Policy versions and two sign-offs", ("F4",), check_sign_off),
    Control("dsl", "One DSL with deputies", ("1",), check_dsl),
    Control(
        "network_rules",
        "Network rules by role, time and device class",
        ("1", "3", "4", "6"),
        check_network_rules,
    ),
    Control("linked_policies", "Register of linked policies", ("2",), check_linked_policies),
    Control(
        "concern_routing",
        "Concern routing to the governing policy",
        ("2", "3", "4.1", "4.2", "6"),
        check_concern_routing,
    ),
    Control("sanctions", "Sanction: removal of internet access", ("3",), check_sanctions),
    Control("remote_learning", "Remote-learning platform approvals", ("3",), check_remote_learning),
    Control(
        "acknowledgements",
        "Acknowledgements of the AUP and code of conduct",
        ("4", "5"),
        check_acknowledgements,
    ),
    Control("training", "Induction and refresher training", ("4",), check_training),
    Control("allegations", "Allegations workflow and referral log", ("4", "8"), check_allegations),
    Control("declarations", "Declarations register", ("4.2",), check_declarations),
    Control("channel_register", "Channel register and approvals", ("5",), check_channel_register),
    Control("credentials", "Credential custody log", ("5",), check_credentials),
    Control("two_person", "Two-person post approval", ("5",), check_two_person_posting),
    Control("consent", "Parental consent checks", ("5",), check_consent),
    Control(
        "learner_accounts", "Minimum-age gate on learner accounts", ("6",), check_learner_accounts
    ),
    Control("parents_told", "Parent-communication record", ("6",), check_parents_told),
    Control("monitoring", "Monitoring reports and evaluation", ("7",), check_monitoring),
    Control("reporting", "Reporting for everyone", ("8",), check_reporting_for_all),
    Control("debriefs", "Debriefs and lessons learnt", ("8",), check_debriefs),
    Control("retention", "Retention reviews", ("8",), check_retention),
)


def evaluate(control: Control, school: School, today: dt.date) -> Evidence:
    """Run one check; anything it needs that is not there makes it missing, with the reason."""
    try:
        with transaction.atomic():  # a failed query must not spoil the caller's transaction
            return control.check(school, today)
    except Unavailable as error:
        return Evidence(MISSING, f"Not available: {error}")
    except (DatabaseError, ImportError, AttributeError, LookupError) as error:
        return Evidence(MISSING, f"Could not be checked ({type(error).__name__})")


def compliance_map(
    school: School,
    *,
    today: dt.date | None = None,
    controls: Sequence[Control] | None = None,
) -> list[ClauseRow]:
    """Every clause, in order, with the controls that carry it out and their live evidence."""
    today = today or timezone.localdate()
    controls = CONTROLS if controls is None else controls
    rows = {clause: ClauseRow(clause, summary) for clause, summary in CLAUSES.items()}
    for control in controls:
        evidence = evaluate(control, school, today)
        for clause in control.clauses:
            rows[clause].results.append(ControlResult(control, evidence))
    return list(rows.values())


def status_counts(rows: list[ClauseRow]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        counts[row.status] += 1
    return counts
