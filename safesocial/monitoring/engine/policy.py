"""What the monitoring engine takes from the policy snapshot: dimension tables for attribution
and the `policy_*` tables the report evaluates against.

Per distinct value (not per line), Python answers the questions the enforcement engine already
answers — who a login or an address is, whether a minute is in school hours — with the same
`PolicyEngine` code, so that monitoring and enforcement agree; the per-event work is SQL joins
against these small tables (each also carries the person's role group, saving a join).
"""

from __future__ import annotations

import csv
import ipaddress
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from safesocial.enforce.engine import PolicyEngine
from safesocial.enforce.snapshot import Snapshot

from .store import Connection

AVOIDANCE_PRIORITY = 1_000_000  # catalogue entries win over the avoidance list


class LeaseError(ValueError):
    """The DHCP lease file cannot be used."""


@dataclass(frozen=True, slots=True)
class Lease:
    """A DHCP lease: `address` belonged to `device` (a MAC or name) from `start` to `end`."""

    address: str
    device: str
    start: datetime
    end: datetime
    username: str | None = None  # when the lease source also knows who signed in (802.1X)


def avoidance_categories() -> dict[str, dict[str, Any]]:
    """The VPN / DNS-over-HTTPS / proxy-avoidance list in data/avoidance.json."""
    text = resources.files(__package__).joinpath("data/avoidance.json").read_text("utf-8")
    data: dict[str, dict[str, Any]] = json.loads(text)["categories"]
    return data


AVOIDANCE = tuple(avoidance_categories())


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def load_leases(path: str | Path) -> list[Lease]:
    """Read a lease CSV: address,device,start,end[,username] (ISO 8601; no offset = UTC)."""
    leases: list[Lease] = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                if not row or row[0].startswith("#") or row[0] == "address":
                    continue
                try:
                    address = str(ipaddress.ip_address(row[0].strip()))
                    lease = Lease(
                        address=address,
                        device=row[1].strip(),
                        start=_aware(row[2]),
                        end=_aware(row[3]),
                        username=(row[4].strip() or None) if len(row) > 4 else None,
                    )
                except (IndexError, ValueError) as exc:
                    raise LeaseError(f"{path}, line {number}: {exc}") from None
                leases.append(lease)
    except OSError as exc:
        raise LeaseError(f"cannot read lease file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise LeaseError(f"lease file {path} is not UTF-8 text") from None
    return leases


def insert_rows(
    con: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Bulk insert through one list parameter per column (much faster than executemany)."""
    data = list(rows)
    if not data:
        return
    lists = [list(col) for col in zip(*data, strict=True)]
    selects = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
    con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {selects}", lists)


def normal_address(text: str) -> str | None:
    """Canonical text of an IP address (zone dropped, IPv4-mapped IPv6 as IPv4), else None."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


class Attribution:
    """Dimension tables for one ingest run, filled as new values appear."""

    def __init__(self, con: Connection, snapshot: Snapshot, leases: Sequence[Lease] = ()) -> None:
        self.con = con
        self.snapshot = snapshot
        self.engine = PolicyEngine(snapshot)
        self.tz = ZoneInfo(snapshot.calendar.timezone)
        self.first_group = {p.id: (p.groups[0] if p.groups else None) for p in snapshot.people}
        self._invalid_clients = 0
        con.execute(
            "CREATE OR REPLACE TEMP TABLE dim_users (raw VARCHAR, user_name VARCHAR,"
            " person_id VARCHAR, role_group VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE dim_clients (raw VARCHAR, address VARCHAR,"
            " person_id VARCHAR, role_group VARCHAR, device VARCHAR, segment VARCHAR,"
            " valid BOOLEAN)"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE dim_minutes (minute TIMESTAMP,"
            " school_hours BOOLEAN, local_day DATE, local_dow SMALLINT,"
            " local_hour SMALLINT)"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE dim_hosts (host VARCHAR, service_id VARCHAR,"
            " category VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE dim_domains (domain VARCHAR,"
            " service_id VARCHAR, category VARCHAR, prio INTEGER)"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE leases (address VARCHAR, device VARCHAR,"
            " person_id VARCHAR, role_group VARCHAR, start_utc TIMESTAMP, end_utc TIMESTAMP)"
        )
        domains: list[tuple[str, str, str, int]] = []
        for prio, service in enumerate(snapshot.services):
            domains.extend((d, service.id, service.category, prio) for d in service.domains)
        for index, (category, entry) in enumerate(avoidance_categories().items()):
            domains.extend(
                (d, f"avoid:{category}", category, AVOIDANCE_PRIORITY + index)
                for d in entry["domains"]
            )
        insert_rows(con, "dim_domains", ("domain", "service_id", "category", "prio"), domains)
        self.has_leases = bool(leases)
        insert_rows(
            con,
            "leases",
            ("address", "device", "person_id", "role_group", "start_utc", "end_utc"),
            (
                (
                    lease.address,
                    lease.device,
                    self._person_id(lease.username),
                    self._role_group(self._person_id(lease.username)),
                    _utc_naive(lease.start),
                    _utc_naive(lease.end),
                )
                for lease in leases
            ),
        )

    def _person_id(self, login: str | None) -> str | None:
        person = self.engine.person_for_login(login)
        return person.id if person else None

    def _role_group(self, person_id: str | None) -> str | None:
        return self.first_group.get(person_id) if person_id else None

    @property
    def invalid_clients(self) -> int:
        """How many distinct client values so far were not IP addresses."""
        return self._invalid_clients

    def extend(self, parsed: str) -> None:
        """Add dimension rows for the values in table `parsed` that are not known yet."""
        con = self.con
        users = con.execute(
            f"SELECT DISTINCT user_raw FROM {parsed} WHERE user_raw IS NOT NULL"  # noqa: S608
            " AND user_raw NOT IN (SELECT raw FROM dim_users)"
        ).fetchall()
        user_rows = []
        for (raw,) in users:
            name = unquote(raw)  # Squid URL-encodes %un (alice%40school.org, DOM%5Calice)
            person_id = self._person_id(name)
            user_rows.append((raw, name, person_id, self._role_group(person_id)))
        insert_rows(con, "dim_users", ("raw", "user_name", "person_id", "role_group"), user_rows)

        clients = con.execute(
            f"SELECT DISTINCT client FROM {parsed} WHERE client IS NOT NULL"  # noqa: S608
            " AND client NOT IN (SELECT raw FROM dim_clients)"
        ).fetchall()
        client_rows = []
        for (raw,) in clients:
            person, device, segment = self.engine.address_info(raw)
            address = normal_address(raw)
            self._invalid_clients += address is None
            client_rows.append(
                (
                    raw,
                    address or raw,
                    person.id if person else None,
                    self._role_group(person.id) if person else None,
                    device,
                    segment,
                    address is not None,
                )
            )
        insert_rows(
            con,
            "dim_clients",
            ("raw", "address", "person_id", "role_group", "device", "segment", "valid"),
            client_rows,
        )

        minutes = con.execute(
            f"SELECT DISTINCT date_trunc('minute', ts) FROM {parsed}"  # noqa: S608
            " WHERE ts IS NOT NULL AND date_trunc('minute', ts) NOT IN"
            " (SELECT minute FROM dim_minutes)"
        ).fetchall()
        minute_rows = []
        for (minute,) in minutes:
            at = minute.replace(tzinfo=UTC)
            local = at.astimezone(self.tz)
            minute_rows.append(
                (
                    minute,
                    self.engine.is_school_hours(at),
                    local.date(),
                    local.weekday(),
                    local.hour,
                )
            )
        insert_rows(
            con,
            "dim_minutes",
            ("minute", "school_hours", "local_day", "local_dow", "local_hour"),
            minute_rows,
        )

        # Service by the most specific catalogue domain the host is or is under: every suffix
        # of each new host, joined to the domain list. IP literals match exact entries only.
        con.execute(
            f"""
            INSERT INTO dim_hosts
            WITH new_hosts AS (
                SELECT DISTINCT host FROM {parsed}
                WHERE host IS NOT NULL AND host NOT IN (SELECT host FROM dim_hosts)
            ), parts AS (
                SELECT host, string_split(host, '.') AS p,
                    (strpos(host, ':') > 0 OR regexp_full_match(host, '[0-9.]+')) AS literal
                FROM new_hosts
            ), suffixes AS (
                SELECT host, k, array_to_string(list_slice(p, k, len(p)), '.') AS suffix
                FROM (SELECT host, p, literal,
                             unnest(range(1, CASE WHEN literal THEN 2 ELSE len(p) + 1 END)) AS k
                      FROM parts)
            ), ranked AS (
                SELECT s.host, d.service_id, d.category,
                    row_number() OVER (PARTITION BY s.host ORDER BY s.k, d.prio) AS rn
                FROM suffixes s JOIN dim_domains d ON d.domain = s.suffix
            )
            SELECT h.host, r.service_id, r.category
            FROM new_hosts h LEFT JOIN ranked r ON r.host = h.host AND r.rn = 1
            """  # noqa: S608
        )


def _utc_naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def store_policy(con: Connection, snapshot: Snapshot) -> None:
    """Replace the policy_* tables with this snapshot's people, segments, rules, sanctions."""
    for table in (
        "policy_people",
        "policy_segments",
        "policy_services",
        "policy_grants",
        "policy_sanctions",
    ):
        con.execute(f"DELETE FROM {table}")  # noqa: S608
    insert_rows(
        con,
        "policy_people",
        ("person_id", "username", "role_group"),
        ((p.id, p.username, p.groups[0] if p.groups else None) for p in snapshot.people),
    )
    insert_rows(
        con, "policy_segments", ("name", "kind"), ((s.name, s.kind) for s in snapshot.segments)
    )
    insert_rows(
        con,
        "policy_services",
        ("service_id", "name", "category"),
        [(s.id, s.name, s.category) for s in snapshot.services]
        + [
            (f"avoid:{key}", str(entry["label"]), key)
            for key, entry in avoidance_categories().items()
        ],
    )
    members: dict[str, list[str]] = {}
    for person in snapshot.people:
        for group in person.groups:
            members.setdefault(group, []).append(person.id)
    grants: list[tuple[Any, ...]] = []
    for order, rule in enumerate(snapshot.rules):
        who: list[str | None]
        if rule.groups or rule.person_ids:
            people = set(rule.person_ids)
            for group in rule.groups:
                people.update(members.get(group, ()))
            who = [person_id for person_id in sorted(people)]
            if not who:
                continue  # names groups with nobody in them: matches no one
        else:
            who = [None]
        where: list[str | None] = list(rule.segments) or [None]
        what: list[tuple[str | None, str | None]] = [(s, None) for s in rule.services] + [
            (None, c) for c in rule.categories
        ] or [(None, None)]
        for person_id in who:
            for segment in where:
                for service_id, category in what:
                    grants.append(
                        (
                            rule.id,
                            order,
                            rule.action,
                            rule.when,
                            person_id,
                            segment,
                            service_id,
                            category,
                        )
                    )
    insert_rows(
        con,
        "policy_grants",
        ("rule_id", "ord", "action", "when_", "person_id", "segment", "service_id", "category"),
        grants,
    )
    insert_rows(
        con,
        "policy_sanctions",
        ("sanction_id", "person_id", "start_utc", "end_utc"),
        (
            (s.id, s.person_id, _utc_naive(s.start), _utc_naive(s.end) if s.end else None)
            for s in snapshot.sanctions
        ),
    )
