"""The monitoring engine end to end on hand-made logs; no Django involved.

Every figure in the report is checked against totals computed here from the hand-written
expectations in logs.py.
"""

from __future__ import annotations

import gzip
import os
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from safesocial.monitoring.engine import (
    Ingester,
    IngestError,
    Lease,
    open_store,
    report_text,
    standard_report,
)
from tests.enforce.school import school_snapshot

from .logs import (
    ADGUARD,
    MALFORMED_1,
    MALFORMED_2,
    SQUID_AFTER_ROTATION,
    SQUID_BEFORE_ROTATION,
    SQUID_FIRST,
    UNBOUND,
    Expect,
    epoch,
)

# every test runs with the compiled scanner and with the SQL parsers (conftest.parser)
pytestmark = pytest.mark.usefixtures("parser")


def write(path: Path, lines: list[str], mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)


class World:
    """The logs of one school: Squid (rotated), Unbound (.gz) and AdGuard, ingested."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        self.con = open_store(tmp_path / "school.duckdb")
        self.snapshot = school_snapshot()
        self.live = tmp_path / "access.log"
        self.rotated = tmp_path / "access.log.1"
        self.unbound = tmp_path / "unbound.log.1.gz"
        self.adguard = tmp_path / "querylog.json"
        self.results: list[Any] = []

    def run(self) -> None:
        write(self.live, [line for line, _ in SQUID_FIRST])
        with Ingester(self.con, self.snapshot) as ingester:
            self.results.append(ingester.ingest_paths([self.live]))
        # More lines, then logrotate renames the file and Squid starts a new one.
        write(self.live, [line for line, _ in SQUID_BEFORE_ROTATION], mode="a")
        os.rename(self.live, self.rotated)
        write(self.live, [line for line, _ in SQUID_AFTER_ROTATION])
        with gzip.open(self.unbound, "wt", encoding="utf-8") as handle:
            handle.writelines(line + "\n" for line, _ in UNBOUND)
        write(self.adguard, [line for line, _ in ADGUARD])
        with Ingester(self.con, self.snapshot) as ingester:
            self.results.append(
                ingester.ingest_paths([self.live, self.rotated, self.unbound, self.adguard])
            )

    @staticmethod
    def expectations() -> list[Expect]:
        every = SQUID_FIRST + SQUID_BEFORE_ROTATION + SQUID_AFTER_ROTATION + UNBOUND + ADGUARD
        return [e for _, e in every if e is not None]


@pytest.fixture()
def world(tmp_path: Path) -> World:
    w = World(tmp_path)
    w.run()
    return w


def test_ingest_counts_lines_events_malformed_and_ignored(world: World) -> None:
    first, second = world.results
    assert (first.lines, first.events, first.malformed) == (len(SQUID_FIRST), 8, 0)
    by_path = {Path(r.path).name: r for r in second.files}
    # The rotated file is finished from where the live file was left: only the new lines.
    assert by_path["access.log.1"].status == "resumed"
    assert (by_path["access.log.1"].lines, by_path["access.log.1"].events) == (3, 1)
    assert by_path["access.log.1"].malformed == 2
    assert by_path["access.log"].status == "new"
    assert (by_path["access.log"].events, by_path["access.log"].ignored) == (4, 1)
    assert (by_path["unbound.log.1.gz"].events, by_path["unbound.log.1.gz"].malformed) == (4, 1)
    assert by_path["unbound.log.1.gz"].ignored == 1
    assert (by_path["querylog.json"].events, by_path["querylog.json"].malformed) == (2, 2)


def test_every_event_is_attributed_as_expected(world: World) -> None:
    rows = world.con.execute(
        "SELECT source, person_id, role_group, segment, service_id, category, blocked,"
        " school_hours, local_dow, local_hour, CAST(local_day AS VARCHAR) FROM events"
    ).fetchall()
    expected = [
        (
            e.source,
            e.person,
            e.group,
            e.segment,
            e.service,
            e.category,
            e.blocked,
            e.in_hours,
            e.dow,
            e.hour,
            e.day,
        )
        for e in World.expectations()
    ]
    assert Counter(rows) == Counter(expected)


def test_report_figures(world: World) -> None:
    expected = World.expectations()
    report = standard_report(world.con)
    every_line = SQUID_FIRST + SQUID_BEFORE_ROTATION + SQUID_AFTER_ROTATION + UNBOUND + ADGUARD
    assert report["lines"] == len(every_line)
    assert report["malformed"] == 5
    assert report["ignored"] == 2
    assert report["requests"] == len(expected)
    assert report["social_media_requests"] == sum(e.category == "social" for e in expected)
    assert report["in_school_hours"] == sum(e.in_hours for e in expected)
    assert report["out_of_school_hours"] == sum(not e.in_hours for e in expected)
    assert report["blocked"] == sum(e.blocked for e in expected)
    assert report["from"] == "2025-03-04" and report["to"] == "2025-03-31"

    services: Counter[str] = Counter(e.service for e in expected if e.service)
    assert {r["service_id"]: r["requests"] for r in report["by_service"]} == services
    blocked_services = Counter(e.service for e in expected if e.service and e.blocked)
    assert {r["service_id"]: r["blocked"] for r in report["by_service"] if r["blocked"]} == (
        blocked_services
    )
    groups: Counter[str] = Counter(e.group or "unknown" for e in expected)
    assert {g: v["requests"] for g, v in report["by_role_group"].items()} == groups

    grid = [[0] * 24 for _ in range(7)]
    for e in expected:
        grid[e.dow][e.hour] += 1
    assert report["by_hour_of_week"] == grid
    assert report["by_hour_of_week"][6][1] == 0  # 01:00-02:00 did not exist on 30 March

    by_source = Counter(e.source for e in expected)
    assert {s: v["requests"] for s, v in report["by_source"].items()} == by_source


def test_blocked_by_person_flags_repeats(world: World) -> None:
    expected = World.expectations()
    report = standard_report(world.con)
    per_day = Counter((e.person, e.day) for e in expected if e.blocked and e.person)
    people = {r["person_id"]: r for r in report["blocked_by_person"]}
    assert set(people) == {p for p, _ in per_day}
    for person, row in people.items():
        days = {d: n for (p, d), n in per_day.items() if p == person}
        assert row["blocked"] == sum(days.values())
        assert row["most_in_a_day"] == max(days.values())
        assert row["repeated"] == (max(days.values()) >= 3)
    assert people["p-alice"]["repeated"] is True
    assert people["p-bob"]["repeated"] is False


def test_evaluation_gaps_sanctions_and_coverage(world: World) -> None:
    expected = World.expectations()
    report = standard_report(world.con)
    gaps = report["enforcement_gaps"]
    assert gaps["requests"] == sum(e.gap for e in expected)
    assert Counter(
        (g["person_id"], g["service_id"], g["source"])
        for g in gaps["groups"]
        for _ in range(g["requests"])
    ) == Counter((e.person, e.service, e.source) for e in expected if e.gap)

    sanctioned = [e for e in expected if e.sanctioned]
    assert report["sanctioned_traffic"] == [
        {
            "sanction_id": "s-1",
            "person_id": "p-bob",
            "username": "bob.l",
            "requests": len(sanctioned),
            "blocked": sum(e.blocked for e in sanctioned),
            "allowed": sum(not e.blocked for e in sanctioned),
        }
    ]
    # Every segment in the snapshot has traffic in the whole span...
    assert report["segments_without_logs"] == []
    # ...but on 31 March only the learner segment does.
    day = standard_report(world.con, date(2025, 3, 31), date(2025, 3, 31))
    assert day["segments_without_logs"] == ["guest-wifi", "staff-devices"]
    assert day["requests"] == sum(e.day == "2025-03-31" for e in expected)
    assert day["lines"] == report["lines"]  # ingest totals are not windowed


def test_alerts(world: World) -> None:
    report = standard_report(world.con)
    kinds = Counter(a["kind"] for a in report["alerts"])
    assert kinds == {"repeated_blocked_social": 1, "filter_avoidance": 2, "sanctioned_traffic": 1}
    repeated = next(a for a in report["alerts"] if a["kind"] == "repeated_blocked_social")
    assert (repeated["person_id"], repeated["day"], repeated["count"]) == (
        "p-alice",
        "2025-03-04",
        3,
    )
    avoidance = {
        (a["category"], a["client"]) for a in report["alerts"] if a["kind"] == "filter_avoidance"
    }
    assert avoidance == {("doh", "2001:db8:99::7"), ("vpn", "2001:db8:20::9")}
    text = report_text(report)
    assert "REPEATED" in text and "Alerts: 4" in text


def test_reingesting_adds_nothing(world: World) -> None:
    before = world.con.execute("SELECT count(*) FROM events").fetchone()
    with Ingester(world.con, world.snapshot) as ingester:
        again = ingester.ingest_paths([world.live, world.rotated, world.unbound, world.adguard])
    assert again.lines == 0
    assert {r.status for r in again.files} == {"unchanged"}
    assert world.con.execute("SELECT count(*) FROM events").fetchone() == before
    assert standard_report(world.con)["malformed"] == 5


def test_malformed_lines_are_kept_with_reason_and_line_number(world: World) -> None:
    rows = world.con.execute(
        "SELECT path, line_no, reason, raw FROM malformed ORDER BY path, line_no"
    ).fetchall()
    squid = [r for r in rows if r[0].endswith("access.log.1")]
    first = len(SQUID_FIRST)
    assert [(r[1], r[3]) for r in squid] == [(first + 1, MALFORMED_1), (first + 2, MALFORMED_2)]
    assert squid[1][2] == "bad timestamp"
    reasons = {r[2] for r in rows}
    assert "not an Unbound log line (no time prefix)" in reasons
    assert "not a JSON object" in reasons


def test_no_url_paths_or_query_strings_are_stored(world: World) -> None:
    columns = [c[0] for c in world.con.execute("DESCRIBE events").fetchall()]
    assert "url" not in columns
    text_cols = " || ' ' || ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in columns)
    leaked = world.con.execute(
        f"SELECT count(*) FROM events WHERE ({text_cols}) LIKE '%secret%'"  # noqa: S608
        f" OR ({text_cols}) LIKE '%bitesize%/%'"
    ).fetchone()
    assert leaked == (0,)
    host, port = world.con.execute(
        "SELECT host, port FROM events WHERE service_id = 'tiktok' AND method = 'GET'"
    ).fetchone() or (None, None)
    assert (host, port) == ("www.tiktok.com", 80)


def test_gzip_of_a_partly_read_file_is_finished_not_repeated(tmp_path: Path) -> None:
    con = open_store(tmp_path / "db.duckdb")
    live = tmp_path / "access.log"
    lines = [line for line, _ in SQUID_FIRST]
    write(live, lines[:5])
    with Ingester(con, school_snapshot()) as ingester:
        assert ingester.ingest_paths([live]).events == 5
        write(live, lines[5:], mode="a")
        with open(live, "rb") as src, gzip.open(tmp_path / "access.log.1.gz", "wb") as dst:
            dst.write(src.read())
        live.unlink()
        result = ingester.ingest_paths([tmp_path / "access.log.1.gz"])
    assert (result.lines, result.events) == (3, 3)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (8,)


def test_partial_last_line_waits_and_crlf_and_bad_bytes(tmp_path: Path) -> None:
    con = open_store(tmp_path / "db.duckdb")
    live = tmp_path / "access.log"
    good = SQUID_FIRST[0][0]
    live.write_bytes(
        good.encode() + b"\r\n" + b"\xff\xfe" + good.encode()[2:] + b"\n" + good.encode()[:20]
    )
    with Ingester(con, school_snapshot()) as ingester:
        first = ingester.ingest_paths([live])
        assert (first.lines, first.events, first.malformed) == (2, 1, 1)
        with open(live, "ab") as handle:
            handle.write(good.encode()[20:] + b"\n")
        second = ingester.ingest_paths([live])
    assert (second.lines, second.events) == (1, 1)
    reason = con.execute("SELECT reason, line_no FROM malformed").fetchone()
    assert reason == ("invalid bytes (not UTF-8 or control characters)", 2)


def test_dhcp_leases_attribute_addresses(tmp_path: Path) -> None:
    con = open_store(tmp_path / "db.duckdb")
    log = tmp_path / "access.log"
    at = epoch(2025, 3, 4, 10, 0)
    write(
        log,
        [
            f"{at}.000 5 10.20.7.7 TCP_TUNNEL/200 10 CONNECT www.tiktok.com:443 - HIER_DIRECT/- -",
            f"{at + 7200}.000 5 10.20.7.7 TCP_TUNNEL/200 10 CONNECT www.tiktok.com:443"
            " - HIER_DIRECT/- -",
        ],
    )
    lease = Lease(
        "10.20.7.7",
        "aa:bb:cc:dd:ee:ff",
        datetime(2025, 3, 4, 9, tzinfo=UTC),
        datetime(2025, 3, 4, 11, tzinfo=UTC),
        "alice.l",
    )
    with Ingester(con, school_snapshot(), leases=[lease]) as ingester:
        ingester.ingest_paths([log])
    rows = con.execute("SELECT person_id, device FROM events ORDER BY ts").fetchall()
    assert rows == [("p-alice", "aa:bb:cc:dd:ee:ff"), (None, None)]


def test_follow_reads_growth_and_rotation(tmp_path: Path) -> None:
    con = open_store(tmp_path / "db.duckdb")
    live = tmp_path / "access.log"
    lines = [line for line, _ in SQUID_FIRST]
    write(live, lines[:2])
    steps = iter(
        [
            lambda: write(live, lines[2:4], mode="a"),
            # written after the last poll, then rotated: must still be read from the open file
            lambda: (
                write(live, lines[4:6], mode="a"),
                os.rename(live, tmp_path / "old.log"),
                write(live, lines[6:]),
            ),
        ]
    )

    def fake_sleep(_seconds: float) -> None:
        next(steps, lambda: None)()

    with Ingester(con, school_snapshot()) as ingester:
        summary = ingester.follow([live], max_seconds=0.5, poll_seconds=0.0, sleep=fake_sleep)
    assert summary.events == 8
    assert con.execute("SELECT count(*) FROM events").fetchone() == (8,)


def test_clear_errors(tmp_path: Path) -> None:
    con = open_store(tmp_path / "db.duckdb")
    (tmp_path / "weird.log").write_text("hello there\n")
    with Ingester(con, school_snapshot()) as ingester:
        with pytest.raises(IngestError, match="no such file"):
            ingester.ingest_paths([tmp_path / "missing.log"])
        with pytest.raises(IngestError, match="cannot tell the log format"):
            ingester.ingest_paths([tmp_path / "weird.log"])
        with pytest.raises(IngestError, match="is a directory"):
            ingester.ingest_paths([tmp_path])
