from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safesocial.audit.models import AuditEntry
from safesocial.people.models import Person, Role, RoleAssignment, School
from safesocial.people.services import role_assign, role_end
from tests.conftest import Cast, MakeMember


def verified_client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def test_assign_and_end_a_role_with_audit(school: School, make_member: MakeMember) -> None:
    make_member(school, "ada")
    person = Person.objects.get(user__username="ada")
    held = role_assign(person=person, role=Role.DEPUTY_DSL, starts_on=dt.date(2024, 9, 1))
    assert RoleAssignment.objects.for_school(school).current().filter(person=person).exists()
    role_end(assignment=held, ends_on=dt.date(2024, 12, 31))
    assert not RoleAssignment.objects.for_school(school).current().filter(person=person).exists()
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions[-2:] == ["people.role_assigned", "people.role_ended"]


@pytest.mark.parametrize(
    ("kind", "role", "message"),
    [
        (Person.Kind.LEARNER, Role.DSL, "must be held by teaching staff or support staff"),
        (Person.Kind.PARENT, Role.NETWORK_MANAGER, "must be held by"),
        (Person.Kind.TEACHING_STAFF, Role.CHAIR_OF_TRUSTEES, "must be held by trustee"),
    ],
)
def test_roles_only_go_to_people_who_can_hold_them(
    school: School, make_member: MakeMember, kind: str, role: str, message: str
) -> None:
    make_member(school, "someone", kind=kind)
    person = Person.objects.get(user__username="someone")
    with pytest.raises(ValidationError, match=message):
        role_assign(person=person, role=role, starts_on=dt.date(2024, 9, 1))
    assert not RoleAssignment.objects.filter(person=person).exists()


def test_the_same_role_twice_at_once_is_refused(school: School, make_member: MakeMember) -> None:
    make_member(school, "ada", roles=(Role.DSL,))
    person = Person.objects.get(user__username="ada")
    with pytest.raises(ValidationError, match="already holds this role"):
        role_assign(person=person, role=Role.DSL, starts_on=dt.date(2024, 9, 1))


def test_the_headteacher_gives_and_ends_a_role_on_the_person_page(cast: Cast) -> None:
    client = verified_client(cast["headteacher"])
    teacher = Person.objects.get(user=cast["teacher"])
    page = client.get(f"/s/test/people/{teacher.pk}/")
    assert page.status_code == 200 and "Give a role" in page.content.decode()
    bad = client.post(
        f"/s/test/people/{teacher.pk}/roles/",
        {"role": Role.DEPUTY_DSL, "starts_on": "2024-09-01", "ends_on": "2024-01-01"},
    )
    assert bad.status_code == 400 and "on or after the start date" in bad.content.decode()
    done = client.post(
        f"/s/test/people/{teacher.pk}/roles/", {"role": Role.DEPUTY_DSL, "starts_on": "2024-09-01"}
    )
    assert done.status_code == 302
    held = RoleAssignment.objects.get(person=teacher, role=Role.DEPUTY_DSL)
    assert client.post(f"/s/test/people/roles/{held.pk}/end/").status_code == 302
    held.refresh_from_db()
    assert held.ends_on is not None


def test_the_dsl_sees_the_person_page_but_cannot_give_roles(cast: Cast) -> None:
    client = verified_client(cast["dsl"])
    teacher = Person.objects.get(user=cast["teacher"])
    page = client.get(f"/s/test/people/{teacher.pk}/").content.decode()
    assert "Give a role" not in page
    refused = client.post(
        f"/s/test/people/{teacher.pk}/roles/", {"role": Role.DEPUTY_DSL, "starts_on": "2024-09-01"}
    )
    assert refused.status_code == 403
    assert not RoleAssignment.objects.filter(person=teacher).exists()
    assert AuditEntry.objects.filter(action="people.person_viewed").count() == 1
