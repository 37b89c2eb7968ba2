"""Reads about policies that several pages (and other apps) share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from safesocial.people.models import Person, School
from safesocial.policies.models import (
    ACKNOWLEDGED_KINDS,
    Acknowledgement,
    ActionItem,
    Notice,
    Policy,
    PolicyVersion,
    TrainingRecord,
)

# A new starter's induction is due within this many days of their start date (clause 4).
INDUCTION_DUE_DAYS: int = getattr(settings, "SAFESOCIAL_INDUCTION_DUE_DAYS", 20)
# Training that expires within this many days is listed as due.
TRAINING_DUE_SOON_DAYS = 30


def has_acknowledged_current(*, person: Person, policy_kind: str) -> bool:
    """Has this person accepted the current version of the school's policy of this kind?

    False when the school has no current version of it: nothing has been accepted.
    """
    policy = (
        Policy.objects.for_school(person.school)
        .filter(kind=policy_kind, current_version__isnull=False)
        .only("current_version_id")
        .first()
    )
    if policy is None:
        return False
    return Acknowledgement.objects.filter(
        person=person, version_id=policy.current_version_id
    ).exists()


def policy_register(school: School) -> QuerySet[Policy]:
    return Policy.objects.for_school(school).select_related("owner", "current_version")


def public_policies(school: School) -> QuerySet[Policy]:
    """What anyone may read without signing in: published policies with an approved version."""
    return (
        Policy.objects.for_school(school)
        .filter(is_public=True, current_version__isnull=False)
        .select_related("current_version")
    )


def versions_of(policy: Policy) -> QuerySet[PolicyVersion]:
    return policy.versions.order_by("-number").prefetch_related("sign_offs__person")


def notices_for(person: Person, limit: int = 20) -> list[Notice]:
    return list(Notice.objects.filter(recipient=person)[:limit])


def acknowledgement_people(school: School, *, today: dt.date | None = None) -> QuerySet[Person]:
    """Staff and volunteers who are with the school today: they acknowledge and train."""
    today = today or timezone.localdate()
    return (
        Person.objects.for_school(school)
        .filter(kind__in=[*Person.STAFF_KINDS, Person.Kind.VOLUNTEER])
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=today))
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=today))
    )


@dataclass
class AcknowledgementRow:
    person: Person
    accepted: dict[str, bool] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return all(self.accepted.values())


@dataclass
class AcknowledgementReport:
    policies: list[Policy]
    rows: list[AcknowledgementRow]

    @property
    def complete_count(self) -> int:
        return sum(1 for row in self.rows if row.complete)

    @property
    def percentage(self) -> int:
        if not self.rows:
            return 0
        return round(100 * self.complete_count / len(self.rows))


def acknowledgement_report(school: School) -> AcknowledgementReport:
    """Per person, whether each current code of conduct, AUP and social media policy is accepted."""
    policies = list(
        Policy.objects.for_school(school)
        .filter(kind__in=ACKNOWLEDGED_KINDS, current_version__isnull=False)
        .select_related("current_version")
        .order_by("kind")
    )
    versions = {p.current_version_id: p.kind for p in policies}
    accepted: dict[int, set[str]] = {}
    for person_id, version_id in Acknowledgement.objects.filter(
        version_id__in=list(versions)
    ).values_list("person_id", "version_id"):
        accepted.setdefault(person_id, set()).add(versions[version_id])
    rows = [
        AcknowledgementRow(
            person=person,
            accepted={p.kind: p.kind in accepted.get(person.pk, set()) for p in policies},
        )
        for person in acknowledgement_people(school)
    ]
    return AcknowledgementReport(policies=policies, rows=rows)


@dataclass(frozen=True)
class TrainingRow:
    person: Person
    induction_on: dt.date | None
    induction_due: dt.date | None
    expires_on: dt.date | None
    status: str  # "overdue", "due", "current"
    reason: str


def training_report(school: School, *, today: dt.date | None = None) -> list[TrainingRow]:
    """Every member of staff and volunteer with their training state, overdue first."""
    today = today or timezone.localdate()
    records: dict[int, list[TrainingRecord]] = {}
    for record in TrainingRecord.objects.for_school(school).order_by("completed_on"):
        records.setdefault(record.person_id, []).append(record)
    rows: list[TrainingRow] = []
    for person in acknowledgement_people(school, today=today):
        mine = records.get(person.pk, [])
        induction = next((r for r in mine if r.kind == TrainingRecord.Kind.INDUCTION), None)
        expires = max((r.expires_on for r in mine), default=None)
        due = None
        if induction is None and person.start_date is None:
            status, reason = "due", "No induction recorded (start date unknown)"
        elif induction is None:
            assert person.start_date is not None
            due = person.start_date + dt.timedelta(days=INDUCTION_DUE_DAYS)
            if due < today:
                status, reason = "overdue", f"Induction was due by {due.day} {due:%B %Y}"
            else:
                status, reason = "due", f"Induction due by {due.day} {due:%B %Y}"
        elif expires is not None and expires < today:
            status, reason = "overdue", f"Refresher overdue since {expires.day} {expires:%B %Y}"
        elif expires is not None and expires <= today + dt.timedelta(days=TRAINING_DUE_SOON_DAYS):
            status, reason = "due", f"Refresher due by {expires.day} {expires:%B %Y}"
        else:
            status, reason = "current", "Up to date"
        rows.append(
            TrainingRow(
                person=person,
                induction_on=induction.completed_on if induction else None,
                induction_due=due,
                expires_on=expires,
                status=status,
                reason=reason,
            )
        )
    order = {"overdue": 0, "due": 1, "current": 2}
    rows.sort(key=lambda row: (order[row.status], row.person.last_name, row.person.first_name))
    return rows


def action_plan(school: School) -> QuerySet[ActionItem]:
    return ActionItem.objects.for_school(school).select_related("owner", "policy")


def review_is_overdue(policy: Policy, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return policy.next_review_due is not None and policy.next_review_due < today
