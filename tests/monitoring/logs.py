"""Hand-made logs for the monitoring tests, each line annotated with what it must become.

Expected attributes are written out by hand (local weekday and hour included, so the clock
change is checked against arithmetic done here, not against zoneinfo), and the tests total
them up in plain Python. School: tests/enforce/school.py (sessions Mon-Thu 08:30-15:30).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def epoch(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Expect:
    source: str
    person: str | None
    group: str | None
    segment: str | None
    service: str | None
    category: str | None
    blocked: bool
    in_hours: bool
    dow: int  # local weekday, 0 = Monday
    hour: int  # local hour
    day: str  # local day
    gap: bool = False  # social, allowed, in hours, not explained by an allow rule
    sanctioned: bool = False


T = epoch(2025, 3, 4, 10, 15)  # Tuesday 4 March 2025, GMT (local = UTC)

# (line, expectation or None for malformed/ignored)
SQUID_FIRST: list[tuple[str, Expect]] = [
    (
        f"{T}.123    456 10.20.3.4 alice.l TCP_DENIED/403 3900 CONNECT www.facebook.com:443"
        " rule=learners-social-school-hours",
        Expect(
            "squid",
            "p-alice",
            "learners",
            "learner-devices",
            "facebook",
            "social",
            True,
            True,
            1,
            10,
            "2025-03-04",
        ),
    ),
    (
        f"{T + 60}.000     12 10.20.3.4 alice.l TCP_DENIED/403 3900 CONNECT i.instagram.com:443"
        " rule=learners-social-school-hours",
        Expect(
            "squid",
            "p-alice",
            "learners",
            "learner-devices",
            "instagram",
            "social",
            True,
            True,
            1,
            10,
            "2025-03-04",
        ),
    ),
    (  # native format, full URL with a query string that must not be stored
        f"{T + 120}.500      7 10.20.3.4 TCP_DENIED/403 0 GET"
        " http://www.tiktok.com/@someone?token=secret alice.l HIER_NONE/- text/html",
        Expect(
            "squid",
            "p-alice",
            "learners",
            "learner-devices",
            "tiktok",
            "social",
            True,
            True,
            1,
            10,
            "2025-03-04",
        ),
    ),
    (  # URL-encoded login, explained by the channel-manager allow rule
        f"{epoch(2025, 3, 4, 11, 0)}.000     30 10.30.2.2 c%2Ejones TCP_TUNNEL/200 5100 CONNECT"
        " www.facebook.com:443 rule=channel-facebook",
        Expect(
            "squid",
            "p-jones",
            "staff",
            "staff-devices",
            "facebook",
            "social",
            False,
            True,
            1,
            11,
            "2025-03-04",
        ),
    ),
    (  # the teacher's desk range, no login: allowed although staff rule denies -> gap
        f"{epoch(2025, 3, 4, 12, 0)}.000     30 10.30.1.1 TCP_TUNNEL/200 5100 CONNECT"
        " www.facebook.com:443 - HIER_DIRECT/157.240.1.35 -",
        Expect(
            "squid",
            "p-smith",
            "staff",
            "staff-devices",
            "facebook",
            "social",
            False,
            True,
            1,
            12,
            "2025-03-04",
            gap=True,
        ),
    ),
    (  # sanctioned learner known by address, blocked
        f"{epoch(2025, 3, 4, 13, 0)}.000      2 10.20.0.15 - TCP_DENIED/403 0 CONNECT"
        " www.tiktok.com:443 rule=sanction%3As-1",
        Expect(
            "squid",
            "p-bob",
            "learners",
            "learner-devices",
            "tiktok",
            "social",
            True,
            True,
            1,
            13,
            "2025-03-04",
            sanctioned=True,
        ),
    ),
    (  # sanctioned learner, not blocked
        f"{epoch(2025, 3, 4, 13, 1)}.000     40 10.20.0.15 TCP_MISS/200 2000 GET"
        " http://www.bbc.co.uk/bitesize - HIER_DIRECT/1.2.3.4 text/html",
        Expect(
            "squid",
            "p-bob",
            "learners",
            "learner-devices",
            "bitesize",
            "education",
            False,
            True,
            1,
            13,
            "2025-03-04",
            sanctioned=True,
        ),
    ),
    (  # IPv6 guest using DNS over HTTPS after school
        f"{epoch(2025, 3, 4, 18, 0)}.000    100 2001:db8:99::7 TCP_TUNNEL/200 800 CONNECT"
        " dns.google:443 - HIER_DIRECT/8.8.8.8 -",
        Expect(
            "squid", None, None, "guest-wifi", "avoid:doh", "doh", False, False, 1, 18, "2025-03-04"
        ),
    ),
]

MALFORMED_1 = "this is not a squid line"
MALFORMED_2 = "abc.def 12 10.20.3.4 TCP_MISS/200 1 GET http://x.example/ - HIER_NONE/- -"

# Written to the live file after the first ingest, then the file is rotated away.
SQUID_BEFORE_ROTATION: list[tuple[str, Expect | None]] = [
    (MALFORMED_1, None),
    (MALFORMED_2, None),
    (  # out of order: earlier than everything above
        f"{epoch(2025, 3, 4, 9, 0)}.000      5 10.20.3.4 alice.l TCP_TUNNEL/200 100 CONNECT"
        " www.bbc.co.uk:443 rule=default",
        Expect(
            "squid",
            "p-alice",
            "learners",
            "learner-devices",
            "bitesize",
            "education",
            False,
            True,
            1,
            9,
            "2025-03-04",
        ),
    ),
]

# The new live file: the clock change (Sunday 30 March 2025, 01:00 UTC) and the day after.
SQUID_AFTER_ROTATION: list[tuple[str, Expect | None]] = [
    (
        f"{epoch(2025, 3, 30, 0, 30)}.000      1 10.99.0.9 - TCP_DENIED/403 0 CONNECT"
        " www.tiktok.com:443 rule=guest-wifi-social",
        Expect(
            "squid", None, None, "guest-wifi", "tiktok", "social", True, False, 6, 0, "2025-03-30"
        ),  # 00:30 GMT
    ),
    (
        f"{epoch(2025, 3, 30, 1, 30)}.000      1 10.99.0.9 - TCP_DENIED/403 0 CONNECT"
        " www.tiktok.com:443 rule=guest-wifi-social",
        Expect(
            "squid", None, None, "guest-wifi", "tiktok", "social", True, False, 6, 2, "2025-03-30"
        ),  # 02:30 BST
    ),
    (
        f"{epoch(2025, 3, 31, 7, 45)}.000      9 10.20.3.4 alice.l TCP_TUNNEL/200 100 CONNECT"
        " www.facebook.com:443 rule=default",
        Expect(
            "squid",
            "p-alice",
            "learners",
            "learner-devices",
            "facebook",
            "social",
            False,
            True,
            0,
            8,
            "2025-03-31",
            gap=True,
        ),  # 08:45 BST, in school hours
    ),
    (
        f"{epoch(2025, 3, 31, 7, 15)}.000      9 10.20.3.4 alice.l TCP_TUNNEL/200 100 CONNECT"
        " www.facebook.com:443 rule=default",
        Expect(
            "squid",
            "p-alice",
            "learners",
            "learner-devices",
            "facebook",
            "social",
            False,
            False,
            0,
            8,
            "2025-03-31",
        ),  # 08:15 BST, before school
    ),
    ("", None),  # a blank line is ignored, not malformed
]

U = epoch(2025, 3, 4, 12, 0)
UNBOUND: list[tuple[str, Expect | None]] = [
    (
        f"[{U}] unbound[1234:0] info: 10.20.3.4 www.tiktok.com. A IN",
        Expect(
            "unbound",
            None,
            None,
            "learner-devices",
            "tiktok",
            "social",
            False,
            True,
            1,
            12,
            "2025-03-04",
            gap=True,
        ),
    ),
    (
        f"[{U + 1}] unbound[1234:0] info: rpz: applied"
        " [school-hours.learner-devices.st-aidans.rpz.safesocial] www.tiktok.com."
        " rpz-nxdomain 10.20.3.4@53211 www.tiktok.com. A IN",
        Expect(
            "unbound-rpz",
            None,
            None,
            "learner-devices",
            "tiktok",
            "social",
            True,
            True,
            1,
            12,
            "2025-03-04",
        ),
    ),
    (f"[{U + 2}] unbound[1234:0] info: start of service (unbound 1.17.1).", None),
    (
        f"[{U + 3}] unbound[1234:0] info: 2001:db8:20::9 nordvpn.com. AAAA IN",
        Expect(
            "unbound",
            None,
            None,
            "learner-devices",
            "avoid:vpn",
            "vpn",
            False,
            True,
            1,
            12,
            "2025-03-04",
        ),
    ),
    ("unbound is great", None),
    (
        f"[{U + 4}] unbound[1234:0] info: 10.20.3.4 www.bbc.co.uk. A IN NOERROR 0.012 0 64",
        Expect(
            "unbound",
            None,
            None,
            "learner-devices",
            "bitesize",
            "education",
            False,
            True,
            1,
            12,
            "2025-03-04",
        ),
    ),
]

ADGUARD: list[tuple[str, Expect | None]] = [
    (
        '{"T":"2025-03-04T10:30:00.123456789Z","QH":"www.instagram.com","QT":"A","QC":"IN",'
        '"CP":"","Upstream":"","Answer":"","IP":"10.30.1.2","Result":{"IsFiltered":true,'
        '"Reason":3,"Rules":[{"FilterListID":1,"Text":"||instagram.com^"}]},"Elapsed":123456}',
        Expect(
            "adguard",
            "p-smith",
            "staff",
            "staff-devices",
            "instagram",
            "social",
            True,
            True,
            1,
            10,
            "2025-03-04",
        ),
    ),
    (
        '{"T":"2025-03-04T20:30:00+00:00","QH":"example.org.","QT":"AAAA","IP":"10.20.9.9",'
        '"Result":{},"Elapsed":1}',
        Expect(
            "adguard", None, None, "learner-devices", None, None, False, False, 1, 20, "2025-03-04"
        ),
    ),
    ('{"T": "yesterday", "QH": "x.example", "IP": "10.20.9.9"}', None),
    ("not json", None),
]
