"""Records the policies tests and the route table need."""

from __future__ import annotations

import datetime as dt

from safesocial.people.models import Person, Role, RoleAssignment, School
from safesocial.policies.models import Policy, PolicyKind, PolicyVersion
from safesocial.policies.services import version_draft, version_sign

BODY = """# Test policy

## 1 Aims
1(1) We keep everyone safe online.
1(2) Everyone knows how to report.
- in person
- on the form

## 2 Links
2(1) This works with the other policies.
"""
BODY_V2 = BODY.replace("We keep everyone safe online.", "We keep everyone safe and well online.")


def make_policy(school: School, kind: str = PolicyKind.SOCIAL_MEDIA, **values: object) -> Policy:
    defaults: dict[str, object] = {
        "slug": kind.replace("_", "-"),
        "title": PolicyKind(kind).label,
        "number": "19b.004",
    }
    defaults.update(values)
    policy, _ = Policy.objects.get_or_create(school=school, kind=kind, defaults=defaults)
    return policy


def signer(school: School, role: str) -> Person:
    ids = RoleAssignment.objects.for_school(school).filter(role=role).values("person_id")
    return Person.objects.filter(pk__in=ids).first() or _make_signer(school, role)


def _make_signer(school: School, role: str) -> Person:
    kind = Person.Kind.TRUSTEE if role == Role.CHAIR_OF_TRUSTEES else Person.Kind.TEACHING_STAFF
    person = Person.objects.create(school=school, kind=kind, first_name="Sig", last_name=role)
    RoleAssignment.objects.create(
        school=school, person=person, role=role, starts_on=dt.date(2020, 1, 1)
    )
    return person


def approved_policy(
    school: School, kind: str = PolicyKind.SOCIAL_MEDIA, body: str = BODY, **values: object
) -> Policy:
    """A policy with a current version signed by the headteacher and the chair."""
    policy = make_policy(school, kind, **values)
    version = version_draft(policy=policy, body=body, actor=None)
    for role in (Role.HEADTEACHER, Role.CHAIR_OF_TRUSTEES):
        version_sign(version=version, person=signer(school, role), verified=True)
    policy.refresh_from_db()
    return policy


def draft_version(school: School) -> PolicyVersion:
    policy = make_policy(school)
    return version_draft(policy=policy, body=BODY, actor=None)
