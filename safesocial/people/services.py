"""Changes to a school's people: role assignments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from safesocial.audit.services import audit_record
from safesocial.people.models import Person, Role, RoleAssignment

# Who may hold each role: the policy gives school roles to staff and governance to trustees.
ROLE_HOLDER_KINDS: dict[str, tuple[str, ...]] = {
    Role.CHAIR_OF_TRUSTEES: (Person.Kind.TRUSTEE,),
    Role.SAFEGUARDING_TRUSTEE: (Person.Kind.TRUSTEE,),
}
STAFF_ONLY = Person.STAFF_KINDS


@transaction.atomic
def role_assign(
    *,
    person: Person,
    role: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    actor: Any = None,
    request: Any = None,
) -> RoleAssignment:
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not a role"})
    allowed = ROLE_HOLDER_KINDS.get(role, STAFF_ONLY)
    if person.kind not in allowed:
        kinds = " or ".join(str(Person.Kind(kind).label).lower() for kind in allowed)
        raise ValidationError({"role": f"{Role(role).label} must be held by {kinds}."})
    if person.has_left(timezone.localdate()):
        raise ValidationError({"role": "This person has left the school."})
    overlapping = RoleAssignment.objects.filter(person=person, role=role).current(starts_on)
    if overlapping.exists():
        raise ValidationError({"role": f"{person.full_name} already holds this role then."})
    assignment = RoleAssignment(
        school=person.school, person=person, role=role, starts_on=starts_on, ends_on=ends_on
    )
    assignment.full_clean()
    assignment.save()
    audit_record(
        action="people.role_assigned",
        actor=actor,
        school=person.school,
        obj=assignment,
        fields=["role", "starts_on", "ends_on"],
        request=request,
    )
    return assignment


@transaction.atomic
def role_end(
    *, assignment: RoleAssignment, ends_on: dt.date, actor: Any = None, request: Any = None
) -> RoleAssignment:
    if ends_on < assignment.starts_on:
        raise ValidationError({"ends_on": "A role cannot end before it starts."})
    assignment.ends_on = ends_on
    assignment.full_clean()
    assignment.save(update_fields=["ends_on"])
    audit_record(
        action="people.role_ended",
        actor=actor,
        school=assignment.school,
        obj=assignment,
        fields=["ends_on"],
        request=request,
    )
    return assignment
