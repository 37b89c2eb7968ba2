"""Reads about a school's people that several pages share."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from safesocial.people.models import Person, Role, RoleAssignment, School


@dataclass(frozen=True)
class RoleWarning:
    message: str


def role_warnings(school: School) -> list[RoleWarning]:
    """The roles the policy needs filled: one headteacher at least, exactly one DSL."""
    current = RoleAssignment.objects.for_school(school).current(timezone.localdate())
    warnings: list[RoleWarning] = []
    if not current.filter(role=Role.HEADTEACHER).exists():
        warnings.append(
            RoleWarning("The school has no current headteacher. Assign the role in People.")
        )
    dsl_count = current.filter(role=Role.DSL).count()
    if dsl_count == 0:
        warnings.append(
            RoleWarning(
                "The school has no Designated Safeguarding Lead. The policy needs exactly one."
            )
        )
    elif dsl_count > 1:
        warnings.append(
            RoleWarning(
                f"The school has {dsl_count} Designated Safeguarding Leads. "
                "The policy needs exactly one; make the others deputies."
            )
        )
    return warnings


def people_counts(school: School) -> dict[str, int]:
    today = timezone.localdate()
    current = Q(leaving_date__isnull=True) | Q(leaving_date__gt=today)
    rows = (
        Person.objects.for_school(school).filter(current).values("kind").annotate(total=Count("pk"))
    )
    counts = {kind: 0 for kind, _ in Person.Kind.choices}
    for row in rows:
        counts[row["kind"]] = row["total"]
    return counts
