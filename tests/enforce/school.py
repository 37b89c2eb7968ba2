"""A small but realistic school network policy used by the enforce tests.

Times to remember (Europe/London; clocks go forward on Sunday 30 March 2025):
- spring term 6 Jan - 4 Apr 2025, Monday 6 Jan is an INSET day;
- summer term 22 Apr - 22 Jul 2025, Monday 5 May is the early May bank holiday;
- sessions Monday-Thursday 08:30-15:30, Friday 08:30-13:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from safesocial.enforce.snapshot import (
    AddressMapping,
    Calendar,
    ClosedDay,
    Group,
    Person,
    Rule,
    Sanction,
    Segment,
    Service,
    SessionTime,
    Snapshot,
    Term,
)

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


# A Tuesday in term, in and out of school hours.
IN_HOURS = london(2025, 3, 4, 10, 15)
AFTER_HOURS = london(2025, 3, 4, 18, 0)

LEARNER = "alice.l"  # learner, identified by proxy login
TEACHER = "t.smith"  # staff
CHANNEL_MANAGER = "c.jones"  # staff who runs the school's official Facebook page
SANCTIONED = "bob.l"  # learner under a sanction; also known by a fixed address
SANCTIONED_ADDRESS = "10.20.0.15"
VOLUNTEER = "v.patel"


def school_snapshot(*, version: int = 1, sanction_start: datetime | None = None) -> Snapshot:
    sanction_start = sanction_start or datetime(2025, 3, 1, tzinfo=UTC)
    return Snapshot(
        school="st-aidans",
        version=version,
        created_at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
        groups=(
            Group("learners", "Learners"),
            Group("staff", "Staff"),
            Group("volunteers", "Volunteers"),
            Group("guests", "Guests"),
        ),
        people=(
            Person("p-alice", LEARNER, ("learners",)),
            Person("p-bob", SANCTIONED, ("learners",)),
            Person("p-smith", TEACHER, ("staff",)),
            Person("p-jones", CHANNEL_MANAGER, ("staff",)),
            Person("p-patel", VOLUNTEER, ("volunteers",)),
        ),
        addresses=(
            AddressMapping(SANCTIONED_ADDRESS, person_id="p-bob"),
            AddressMapping("10.30.1.0/30", person_id="p-smith"),  # the teacher's desk range
            AddressMapping("10.20.5.5", device="library-kiosk-1"),
        ),
        segments=(
            Segment(
                "learner-devices",
                ("10.20.0.0/16", "2001:db8:20::/48"),
                "school-owned",
                ("learners",),
            ),
            Segment("staff-devices", ("10.30.0.0/16",), "school-owned", ("staff",)),
            Segment("guest-wifi", ("10.99.0.0/16", "2001:db8:99::/48"), "guest", ("guests",)),
        ),
        calendar=Calendar(
            timezone="Europe/London",
            sessions=(
                *(SessionTime(d, time(8, 30), time(15, 30)) for d in range(4)),
                SessionTime(4, time(8, 30), time(13, 0)),
            ),
            terms=(
                Term("Spring 2025", date(2025, 1, 6), date(2025, 4, 4)),
                Term("Summer 2025", date(2025, 4, 22), date(2025, 7, 22)),
            ),
            closed_days=(
                ClosedDay(date(2025, 1, 6), "INSET day"),
                ClosedDay(date(2025, 5, 5), "Early May bank holiday"),
            ),
        ),
        services=(
            Service(
                "facebook",
                "Facebook",
                "social",
                ("facebook.com", "fbcdn.net", "fb.com", "facebook.net"),
                13,
            ),
            Service("instagram", "Instagram", "social", ("instagram.com", "cdninstagram.com"), 13),
            Service("tiktok", "TikTok", "social", ("tiktok.com", "tiktokcdn.com"), 13),
            Service("chatlit", "Chat by address", "social", ("198.51.100.7",), 16),
            Service("bitesize", "BBC Bitesize", "education", ("bbc.co.uk",)),
            Service("adult", "Adult content", "adult", ("adult.example",), 18),
        ),
        rules=(
            Rule(
                "channel-facebook",
                "5",
                "Runs the school's official Facebook page",
                "allow",
                person_ids=("p-jones",),
                services=("facebook",),
            ),
            Rule(
                "adult-everyone",
                "3",
                "Adult content is blocked on school systems",
                "deny",
                categories=("adult",),
            ),
            Rule(
                "learners-social-school-hours",
                "6",
                "Learners do not use personal social media in school hours",
                "deny",
                when="school_hours",
                groups=("learners",),
                categories=("social",),
            ),
            Rule(
                "staff-social-school-hours",
                "4",
                "Staff do not use personal social media in school hours",
                "deny",
                when="school_hours",
                groups=("staff",),
                categories=("social",),
            ),
            Rule(
                "guest-wifi-social",
                "3",
                "Social media is not available on the guest network",
                "deny",
                segments=("guest-wifi",),
                categories=("social",),
            ),
        ),
        sanctions=(Sanction("s-1", "p-bob", sanction_start, datetime(2025, 12, 31, tzinfo=UTC)),),
    )
