"""Object rules for concerns, registered with the access module (need to know).

- A member of staff sees the concerns they reported (concerns.view_own), not others'.
- Holders of concerns.view_all see every other concern, except the two cases below.
- Nobody sees a case in which they are the subject: an allegation about the headteacher
  goes to the chair of trustees, and the headteacher cannot open it.
- Staff with a declared relationship (decision recorded) to a learner or that learner's
  family are kept off every case that involves them.
- An allegation is seen only by its handler and the people added to its case.
A rule saying no makes the record look absent (404).
"""

from __future__ import annotations

from safesocial.access.core import Membership, register_object_rule
from safesocial.concerns.models import (
    CaseMember,
    Concern,
    Debrief,
    Declaration,
    Evidence,
    Involvement,
)
from safesocial.people.models import ParentLink, Person


def is_subject(person: Person, concern: Concern) -> bool:
    if concern.subject_staff_id == person.pk:
        return True
    return Involvement.objects.filter(
        concern=concern, person=person, part=Involvement.Part.SUBJECT
    ).exists()


def declared_family(person: Person) -> set[int]:
    """Ids of the learners this person declared (decision recorded) and of their parents."""
    learners = set(
        Declaration.objects.filter(staff=person, decided_at__isnull=False).values_list(
            "learner_id", flat=True
        )
    )
    if not learners:
        return set()
    parents = ParentLink.objects.filter(learner_id__in=learners).values_list("parent_id", flat=True)
    return learners | set(parents)


def kept_off_by_declaration(person: Person, concern: Concern) -> bool:
    family = declared_family(person)
    if not family:
        return False
    return Involvement.objects.filter(concern=concern, person_id__in=family).exists()


def on_allegation_case(person: Person, concern: Concern) -> bool:
    if concern.handler_id == person.pk:
        return True
    return CaseMember.objects.filter(concern=concern, person=person).exists()


@register_object_rule(Concern)
def concern_rule(member: Membership, capability: str, concern: Concern) -> bool:
    person = member.person
    own = concern.reporter_id is not None and concern.reporter_id == person.pk
    if is_subject(person, concern):
        # A self-report (4.1) stays visible to its author as a report; never an allegation.
        return capability == "concerns.view_own" and own and not concern.is_allegation
    if capability == "concerns.view_own":
        return own
    if kept_off_by_declaration(person, concern):
        return False
    if concern.is_allegation:
        return member.has("concerns.allegations") and on_allegation_case(person, concern)
    if capability == "concerns.triage":
        return member.has("concerns.triage")
    if capability in ("concerns.view_all", "concerns.cases"):
        return member.has("concerns.view_all")
    return False


def _case_rule(member: Membership, capability: str, obj: Evidence | Debrief) -> bool:
    return concern_rule(member, capability, obj.concern)


register_object_rule(Evidence)(_case_rule)
register_object_rule(Debrief)(_case_rule)


@register_object_rule(Declaration)
def declaration_rule(member: Membership, capability: str, declaration: Declaration) -> bool:
    if declaration.staff_id == member.person.pk:
        # One's own declaration may be read, never decided on by oneself.
        return capability != "declarations.manage"
    return capability == "declarations.manage"
