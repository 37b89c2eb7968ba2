"""Shared fixtures: a school with named people of each role, and an outsider.

Tests mirror the code; each asserts the refusal as well as the success.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice

from safesocial.people.models import (
    Organisation,
    Person,
    Role,
    RoleAssignment,
    School,
    SessionTime,
    Term,
)

IN_CI = os.environ.get("CI") == "true"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path: Path) -> Path:
    """Files tests store (evidence, post images, consent forms) go to a temporary directory,
    never the real var/private."""
    directory = tmp_path / "private"
    settings.PRIVATE_FILES_DIR = directory
    return directory


def on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres:", "postgresql:"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests for one database only are left out of the other database's run (not skipped),
    so that a CI run can insist that nothing at all was skipped."""
    postgres = on_postgresql()
    keep: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        wrong_database = (item.get_closest_marker("postgres_only") and not postgres) or (
            item.get_closest_marker("sqlite_only") and postgres
        )
        (left_out if wrong_database else keep).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = keep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"CI=true: {skipped} test(s) were skipped; in CI nothing may be.")
        session.exitstatus = 1


def require_or_skip(condition: bool, reason: str) -> None:
    """Skip with the reason on a developer machine; in CI nothing may be skipped."""
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: this test may not be skipped)")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """On PostgreSQL the audit table refuses TRUNCATE, which Django's flush between
    transactional tests uses; the main test database turns that trigger off (the trigger's
    own tests run on databases of their own, with it on)."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only"
                )


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Argon2 is the production hasher (tested on its own); MD5 keeps fixtures fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def organisation(db: None) -> Organisation:
    return Organisation.objects.create(name="Test Trust", slug="test-trust")


@pytest.fixture
def school(organisation: Organisation) -> School:
    school = School.objects.create(organisation=organisation, name="Test School", slug="test")
    for weekday in range(5):
        SessionTime.objects.create(
            school=school, weekday=weekday, opens_at=dt.time(8, 30), closes_at=dt.time(15, 15)
        )
    Term.objects.create(
        school=school,
        name="Whole year",
        starts_on=dt.date(2020, 9, 1),
        ends_on=dt.date(2035, 7, 20),
    )
    return school


@pytest.fixture
def other_school(organisation: Organisation) -> School:
    return School.objects.create(organisation=organisation, name="Other School", slug="other")


MakeMember = Callable[..., User]


@pytest.fixture
def make_member(db: None) -> MakeMember:
    def make(
        school: School,
        username: str,
        kind: str = Person.Kind.TEACHING_STAFF,
        roles: tuple[str, ...] = (),
        totp: bool = False,
        **person: Any,
    ) -> User:
        user, _ = User.objects.get_or_create(username=username)
        user.set_password("correct horse battery staple")
        user.save()
        created = Person.objects.create(
            school=school,
            kind=kind,
            first_name=person.pop("first_name", username.title()),
            last_name=person.pop("last_name", "Tester"),
            user=user,
            **person,
        )
        for role in roles:
            RoleAssignment.objects.create(
                school=school, person=created, role=role, starts_on=dt.date(2020, 1, 1)
            )
        if totp:
            TOTPDevice.objects.get_or_create(
                user=user,
                name="test",
                defaults={"key": base64.b32decode(TOTP_SECRET).hex(), "confirmed": True},
            )
        return user

    return make


@dataclass
class Cast:
    """One user of each kind the route table speaks of."""

    users: dict[str, User]
    school: School

    def __getitem__(self, name: str) -> User:
        return self.users[name]


# name -> (person kind, roles, needs a TOTP device)
CAST: dict[str, tuple[str, tuple[str, ...]]] = {
    "teacher": (Person.Kind.TEACHING_STAFF, ()),
    "volunteer": (Person.Kind.VOLUNTEER, ()),
    "headteacher": (Person.Kind.TEACHING_STAFF, (Role.HEADTEACHER, Role.LEADERSHIP)),
    "dsl": (Person.Kind.TEACHING_STAFF, (Role.DSL,)),
    "deputy_dsl": (Person.Kind.TEACHING_STAFF, (Role.DEPUTY_DSL,)),
    "leadership": (Person.Kind.TEACHING_STAFF, (Role.LEADERSHIP,)),
    "chair": (Person.Kind.TRUSTEE, (Role.CHAIR_OF_TRUSTEES,)),
    "trustee": (Person.Kind.TRUSTEE, (Role.SAFEGUARDING_TRUSTEE,)),
    "network_manager": (Person.Kind.SUPPORT_STAFF, (Role.NETWORK_MANAGER,)),
    "channel_manager": (Person.Kind.SUPPORT_STAFF, (Role.CHANNEL_MANAGER,)),
    "office": (Person.Kind.SUPPORT_STAFF, (Role.SCHOOL_OFFICE,)),
    "learner": (Person.Kind.LEARNER, ()),
    "parent": (Person.Kind.PARENT, ()),
}


@pytest.fixture
def cast(school: School, other_school: School, make_member: MakeMember) -> Cast:
    users = {
        name: make_member(school, name, kind=kind, roles=roles, totp=True)
        for name, (kind, roles) in CAST.items()
    }
    # A member of staff at another school of the same trust: sees nothing here.
    users["outsider"] = make_member(other_school, "outsider", roles=(Role.HEADTEACHER,), totp=True)
    return Cast(users=users, school=school)
