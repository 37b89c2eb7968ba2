"""A school with a network policy: people with network logins, segments, the default rules.

Times (Europe/London): Tuesday 4 March 2025 is a school day (sessions 08:30-15:15);
Wednesday 5 March 2025 is an INSET day; Monday 5 May 2025 is a bank holiday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from safesocial.netpolicy.models import ChannelPlatformAccess, Rule, Sanction, Segment
from safesocial.netpolicy.services import DEFAULT_RULES
from safesocial.people.models import Closure, Person, School

LONDON = ZoneInfo("Europe/London")
IN_HOURS = dt.datetime(2025, 3, 4, 10, 15, tzinfo=LONDON)
AFTER_HOURS = dt.datetime(2025, 3, 4, 18, 0, tzinfo=LONDON)
INSET_DAY = dt.datetime(2025, 3, 5, 10, 15, tzinfo=LONDON)
BANK_HOLIDAY = dt.datetime(2025, 5, 5, 10, 15, tzinfo=LONDON)


def london(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _snapshot_dir(settings: Any, tmp_path: Path) -> Path:
    """Snapshots written by recompiles go to a temporary directory, never var/."""
    directory = tmp_path / "snapshots"
    settings.SAFESOCIAL_SNAPSHOT_DIR = str(directory)
    return directory


@dataclass
class Network:
    school: School
    learner: Person
    teacher: Person
    channel_manager: Person
    sanctioned: Person
    volunteer: Person
    sanction: Sanction


def _person(school: School, username: str, kind: str, **extra: Any) -> Person:
    return Person.objects.create(
        school=school,
        kind=kind,
        first_name=username.split(".")[0].title(),
        last_name="Tester",
        network_username=username,
        **extra,
    )


@pytest.fixture
def network(school: School) -> Network:
    learner = _person(school, "alice.l", Person.Kind.LEARNER, year_group=9)
    teacher = _person(school, "t.smith", Person.Kind.TEACHING_STAFF)
    channel_manager = _person(school, "c.jones", Person.Kind.SUPPORT_STAFF)
    sanctioned = _person(school, "bob.l", Person.Kind.LEARNER, year_group=10)
    volunteer = _person(school, "v.patel", Person.Kind.VOLUNTEER)
    Closure.objects.create(school=school, date=dt.date(2025, 3, 5), kind=Closure.Kind.INSET)
    Segment.objects.create(
        school=school,
        name="learner-devices",
        label="Learner devices",
        cidrs="10.20.0.0/16",
        kind=Segment.Kind.SCHOOL_OWNED,
        expected_groups=["learners"],
    )
    Segment.objects.create(
        school=school,
        name="guest-wifi",
        label="Guest Wi-Fi",
        cidrs="192.168.100.0/24",
        kind=Segment.Kind.GUEST,
        expected_groups=["guests"],
    )
    for position, values in enumerate(DEFAULT_RULES, start=1):
        Rule.objects.create(school=school, position=position * 10, **values)
    ChannelPlatformAccess.objects.create(
        school=school,
        person=channel_manager,
        service_id="facebook",
        channel="the school's Facebook page",
        starts_on=dt.date(2025, 1, 1),
    )
    sanction = Sanction.objects.create(
        school=school,
        person=sanctioned,
        starts_at=london("2025-03-01T00:00"),
        ends_at=london("2025-12-31T00:00"),
        reason="Excessive use in lessons",
    )
    return Network(school, learner, teacher, channel_manager, sanctioned, volunteer, sanction)
