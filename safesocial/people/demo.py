"""The demo school: generated, fictional people (no real names or places), safe to show anyone.

Loading is idempotent: every record is keyed (slug, MIS id, username), so a second load updates
what is there and adds nothing twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import random
from dataclasses import dataclass
from importlib import import_module

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safesocial.access.capabilities import TWO_FACTOR_ROLES
from safesocial.audit.services import audit_record
from safesocial.people.models import (
    Closure,
    Organisation,
    ParentLink,
    Person,
    Role,
    RoleAssignment,
    School,
    SessionTime,
    Term,
)

DEMO_SLUG = "demo"
DEMO_PASSWORD = "safesocial-demo"  # noqa: S105 (documented in the README, demo data only)
# One base32 secret for every demo account that needs a second factor (README, "Demo").
DEMO_TOTP_SECRET = "SAFESOCIALDEMOTOTPSECRETA2345672"  # noqa: S105

FIRST_NAMES = (
    "Amara Ben Chloe Dev Ella Finn Grace Harvey Isla Jacob Kiera Leo Maya Noah Olivia Priya "
    "Quinn Rhys Sofia Theo Uma Victor Willow Xander Yasmin Zain Aisha Caleb Darcy Ezra Freya "
    "Gabriel Hana Ibrahim Jasmine Kai Lila Mateo Nia Oscar Poppy Reuben Sienna Tobias Ayla "
    "Elliot Imogen Joel Lena Milo Nadia Orla Rory Saoirse Tariq Vera Wren Zara Arlo Bea"
).split()
LAST_NAMES = (
    "Ashdown Brightwell Carrow Dunmore Ellery Fairbairn Galloway Hartwell Ingleby Jessop "
    "Kingsley Larkham Merriott Northcote Oakridge Penhallow Quarrie Redfern Southgate "
    "Thistlewood Underhill Varley Whitcombe Yardley Ambrose Blackwood Cresswell Dalby Eastlake "
    "Fenwick Greystone Holloway Iredale Juniper Kettering Linfield Marlowe Netherby Ormsby "
    "Pemberton Ravensworth Sallow Tennant Upton Vickery Wetherall Brookfield Coldwell Durrant "
    "Elmstead"
).split()


@dataclass(frozen=True)
class DemoLogin:
    username: str
    kind: str
    roles: tuple[str, ...]
    description: str
    year_group: int | None = None


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "headteacher",
        Person.Kind.TEACHING_STAFF,
        (Role.HEADTEACHER, Role.LEADERSHIP),
        "Headteacher",
    ),
    DemoLogin(
        "dsl",
        Person.Kind.TEACHING_STAFF,
        (Role.DSL, Role.LEADERSHIP),
        "Designated Safeguarding Lead",
    ),
    DemoLogin("deputy-dsl", Person.Kind.TEACHING_STAFF, (Role.DEPUTY_DSL,), "Deputy DSL"),
    DemoLogin("teacher", Person.Kind.TEACHING_STAFF, (), "Class teacher"),
    DemoLogin(
        "channel-manager",
        Person.Kind.SUPPORT_STAFF,
        (Role.CHANNEL_MANAGER, Role.LEADERSHIP),
        "Channel manager (leadership)",
    ),
    DemoLogin(
        "network-manager", Person.Kind.SUPPORT_STAFF, (Role.NETWORK_MANAGER,), "Network manager"
    ),
    DemoLogin("trustee", Person.Kind.TRUSTEE, (Role.SAFEGUARDING_TRUSTEE,), "Safeguarding trustee"),
    DemoLogin("chair", Person.Kind.TRUSTEE, (Role.CHAIR_OF_TRUSTEES,), "Chair of trustees"),
    DemoLogin("office", Person.Kind.SUPPORT_STAFF, (Role.SCHOOL_OFFICE,), "School office"),
    DemoLogin("learner", Person.Kind.LEARNER, (), "Learner, year 9", year_group=9),
    DemoLogin("learner-sanctioned", Person.Kind.LEARNER, (), "Learner, year 10", year_group=10),
    DemoLogin("parent", Person.Kind.PARENT, (), "Parent of the year 9 learner"),
)

DEMO_APPS = ("policies", "concerns", "netpolicy", "channels", "monitoring", "reviews")
STAFF_COUNT = 40
LEARNERS_PER_YEAR = {7: 100, 8: 100, 9: 100, 10: 100, 11: 100, 12: 50, 13: 50}


def academic_year_start(today: dt.date) -> int:
    return today.year if today.month >= 9 else today.year - 1


def _weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def term_dates(start_year: int) -> list[tuple[str, dt.date, dt.date]]:
    """Six half-terms of an English school year, Monday to Friday, generated not copied."""
    y, n = start_year, start_year + 1
    label = f"{y}/{str(n)[2:]}"
    return [
        (f"Autumn 1 {label}", _weekday_on_or_after(dt.date(y, 9, 1), 0), dt.date(y, 10, 23)),
        (f"Autumn 2 {label}", _weekday_on_or_after(dt.date(y, 11, 2), 0), dt.date(y, 12, 18)),
        (f"Spring 1 {label}", _weekday_on_or_after(dt.date(n, 1, 4), 0), dt.date(n, 2, 12)),
        (f"Spring 2 {label}", _weekday_on_or_after(dt.date(n, 2, 22), 0), dt.date(n, 3, 31)),
        (f"Summer 1 {label}", _weekday_on_or_after(dt.date(n, 4, 19), 0), dt.date(n, 5, 28)),
        (f"Summer 2 {label}", _weekday_on_or_after(dt.date(n, 6, 7), 0), dt.date(n, 7, 21)),
    ]


def _name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _birth_date(rng: random.Random, year_group: int, start_year: int) -> dt.date:
    # Year 7 starts the school year in which they turn 12: born Sep (Y-12) to Aug (Y-11).
    born_from = dt.date(start_year - 5 - year_group, 9, 1)
    return born_from + dt.timedelta(days=rng.randrange(365))


def _upsert_person(school: School, mis_id: str, **values: object) -> Person:
    person, _ = Person.objects.update_or_create(school=school, mis_id=mis_id, defaults=values)
    return person


@transaction.atomic
def load_demo(*, today: dt.date | None = None) -> School:
    today = today or timezone.localdate()
    start_year = academic_year_start(today)
    rng = random.Random(20260901)  # same people on every load

    organisation, _ = Organisation.objects.update_or_create(
        slug="demo-trust", defaults={"name": "Demo Learning Trust", "kind": Organisation.Kind.TRUST}
    )
    school, _ = School.objects.update_or_create(
        slug=DEMO_SLUG,
        defaults={
            "organisation": organisation,
            "name": "Hollowmere Academy (demo)",
            "office_email": "office@hollowmere.example",
        },
    )
    for weekday in range(5):
        SessionTime.objects.update_or_create(
            school=school,
            weekday=weekday,
            defaults={"opens_at": dt.time(8, 30), "closes_at": dt.time(15, 15)},
        )
    for year in (start_year, start_year + 1):
        for name, starts, ends in term_dates(year):
            Term.objects.update_or_create(
                school=school, name=name, defaults={"starts_on": starts, "ends_on": ends}
            )
            if name.startswith(("Autumn 1", "Spring 1", "Summer 2")):
                Closure.objects.update_or_create(
                    school=school, date=starts, defaults={"kind": Closure.Kind.INSET}
                )

    existing = set(Person.objects.for_school(school).values_list("mis_id", flat=True))
    new_people: list[Person] = []
    for index in range(1, STAFF_COUNT + 1):
        first, last = _name(rng)
        mis_id = f"S{index:04d}"
        if mis_id not in existing:
            new_people.append(
                Person(
                    school=school,
                    mis_id=mis_id,
                    kind=Person.Kind.TEACHING_STAFF if index % 4 else Person.Kind.SUPPORT_STAFF,
                    first_name=first,
                    last_name=last,
                    email=f"staff{index:04d}@hollowmere.example",
                    network_username=f"staff{index:04d}",
                    start_date=dt.date(start_year - rng.randrange(1, 15), 9, 1),
                )
            )
    learner_index = 0
    learner_rows: list[tuple[str, str]] = []
    for year_group, count in LEARNERS_PER_YEAR.items():
        for _ in range(count):
            learner_index += 1
            first, last = _name(rng)
            mis_id = f"L{learner_index:05d}"
            learner_rows.append((mis_id, last))
            if mis_id not in existing:
                new_people.append(
                    Person(
                        school=school,
                        mis_id=mis_id,
                        kind=Person.Kind.LEARNER,
                        first_name=first,
                        last_name=last,
                        date_of_birth=_birth_date(rng, year_group, start_year),
                        year_group=year_group,
                        network_username=f"l{learner_index:05d}",
                        start_date=dt.date(start_year - (year_group - 7), 9, 1),
                    )
                )
    parent_rows: list[tuple[str, str, str]] = []
    for mis_id, last in learner_rows:
        carers = 2 if int(mis_id[1:]) % 3 else 1
        for carer in range(carers):
            first = rng.choice(FIRST_NAMES)
            parent_id = f"C{mis_id[1:]}{carer}"
            parent_rows.append((parent_id, mis_id, "Mother" if carer == 0 else "Father"))
            if parent_id not in existing:
                new_people.append(
                    Person(
                        school=school,
                        mis_id=parent_id,
                        kind=Person.Kind.PARENT,
                        first_name=first,
                        last_name=last,
                        email=f"carer{parent_id.lower()}@example.org",
                    )
                )
    Person.objects.bulk_create(new_people, batch_size=500)

    by_mis = {p.mis_id: p for p in Person.objects.for_school(school)}
    linked = set(
        ParentLink.objects.for_school(school).values_list("parent__mis_id", "learner__mis_id")
    )
    ParentLink.objects.bulk_create(
        [
            ParentLink(
                school=school,
                parent=by_mis[parent_id],
                learner=by_mis[learner_id],
                relationship=relationship,
                parental_responsibility=True,
            )
            for parent_id, learner_id, relationship in parent_rows
            if (parent_id, learner_id) not in linked
        ],
        batch_size=500,
    )
    _load_logins(school, start_year, today, by_mis)
    for app in DEMO_APPS:
        # Each app adds its own demo records in <app>/demo.py: load_demo_data(school=..., today=...)
        if importlib.util.find_spec(f"safesocial.{app}.demo") is not None:
            import_module(f"safesocial.{app}.demo").load_demo_data(school=school, today=today)
    audit_record(action="demo.loaded", school=school, actor_label="load-demo")
    return school


def _load_logins(
    school: School, start_year: int, today: dt.date, by_mis: dict[str, Person]
) -> None:
    secret_hex = base64.b32decode(DEMO_TOTP_SECRET).hex()
    learner_person: Person | None = None
    for index, login in enumerate(DEMO_LOGINS, start=1):
        user, created = User.objects.get_or_create(username=login.username)
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        mis_id = f"D{index:03d}"
        values: dict[str, object] = {
            "kind": login.kind,
            "first_name": "Demo",
            "last_name": login.description,
            "user": user,
            "network_username": login.username,
        }
        if login.year_group:
            values["year_group"] = login.year_group
            values["date_of_birth"] = _birth_date(
                random.Random(index), login.year_group, start_year
            )
        person = _upsert_person(school, mis_id, **values)
        if login.username == "learner":
            learner_person = person
        if login.username == "parent" and learner_person is not None:
            ParentLink.objects.get_or_create(
                school=school,
                parent=person,
                learner=learner_person,
                defaults={"relationship": "Mother", "parental_responsibility": True},
            )
        for role in login.roles:
            RoleAssignment.objects.get_or_create(
                school=school,
                person=person,
                role=role,
                defaults={"starts_on": dt.date(start_year, 9, 1)},
            )
        needs_totp = bool(set(login.roles) & TWO_FACTOR_ROLES) or login.kind == Person.Kind.TRUSTEE
        if needs_totp:
            TOTPDevice.objects.update_or_create(
                user=user, name="demo", defaults={"key": secret_hex, "confirmed": True}
            )
