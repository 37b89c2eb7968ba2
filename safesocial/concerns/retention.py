"""Retention rules: each record type carries its own, and nothing is destroyed without a
recorded decision by the DSL (services.retention_decide)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from safesocial.concerns.categories import SAFEGUARDING_CATEGORIES, Category
from safesocial.concerns.models import Concern, Declaration, RetentionDecision
from safesocial.people.models import Person, School

CHILD_PROTECTION_YEARS = 25  # after the learner's date of birth
ALLEGATION_MINIMUM_YEARS = 10
NORMAL_RETIREMENT_AGE = 67  # state pension age in England
OTHER_RECORD_YEARS = 6  # after closure
DECLARATION_YEARS = 6  # after the member of staff leaves

RECORD_MODELS: dict[str, Any] = {"concern": Concern, "declaration": Declaration}


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Due:
    record_type: str
    record_id: int
    label: str
    rule: str
    due_on: dt.date | None


def concern_due(concern: Concern) -> Due:
    reported = timezone.localtime(concern.reported_at).date()
    if concern.category == Category.ALLEGATION:
        if concern.outcome == Concern.Outcome.MALICIOUS:
            closed = concern.closed_at
            return Due(
                "concern",
                concern.pk,
                concern.reference,
                "Malicious allegation: removed from the member of staff's records",
                timezone.localtime(closed).date() if closed else None,
            )
        minimum = _add_years(reported, ALLEGATION_MINIMUM_YEARS)
        birth = concern.subject_staff.date_of_birth if concern.subject_staff else None
        retirement = _add_years(birth, NORMAL_RETIREMENT_AGE) if birth else minimum
        return Due(
            "concern",
            concern.pk,
            concern.reference,
            "Allegation: normal retirement age or 10 years, whichever is longer",
            max(minimum, retirement),
        )
    learners = [
        inv.person
        for inv in concern.involvements.all()
        if inv.person is not None and inv.person.kind == Person.Kind.LEARNER
    ]
    if concern.category in SAFEGUARDING_CATEGORIES or learners:
        births = [p.date_of_birth for p in learners if p.date_of_birth]
        due = (
            _add_years(max(births), CHILD_PROTECTION_YEARS)
            if births
            else _add_years(reported, CHILD_PROTECTION_YEARS)
        )
        return Due(
            "concern",
            concern.pk,
            concern.reference,
            "Child protection record: the learner's date of birth + 25 years",
            due,
        )
    closed_on = timezone.localtime(concern.closed_at).date() if concern.closed_at else None
    return Due(
        "concern",
        concern.pk,
        concern.reference,
        "Other concern: closure + 6 years",
        _add_years(closed_on, OTHER_RECORD_YEARS) if closed_on else None,
    )


def declaration_due(declaration: Declaration) -> Due:
    left = declaration.staff.leaving_date
    return Due(
        "declaration",
        declaration.pk,
        f"Declaration {declaration.pk}",
        "Declaration: the member of staff's leaving date + 6 years",
        _add_years(left, DECLARATION_YEARS) if left else None,
    )


def records_due(school: School, on: dt.date) -> list[Due]:
    """Records whose retention date has come, less those the DSL decided to keep for now."""
    kept = {
        (d.record_type, d.record_id)
        for d in RetentionDecision.objects.for_school(school).filter(
            action=RetentionDecision.Action.KEEP, review_again_on__gt=on
        )
    }
    due: list[Due] = []
    concerns = Concern.objects.for_school(school).select_related("subject_staff")
    for concern in concerns.prefetch_related("involvements__person"):
        item = concern_due(concern)
        if item.due_on is not None and item.due_on <= on:
            due.append(item)
    for declaration in Declaration.objects.for_school(school).select_related("staff"):
        item = declaration_due(declaration)
        if item.due_on is not None and item.due_on <= on:
            due.append(item)
    return [d for d in due if (d.record_type, d.record_id) not in kept]
