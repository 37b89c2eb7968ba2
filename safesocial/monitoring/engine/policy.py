"""What the monitoring engine takes from the policy snapshot: dimension tables for attribution
and the `policy_*` tables the report evaluates against.

Per distinct value (not per line), Python answers the questions the enforcement engine already
answers — who a login or an address is, whether a minute is in school hours — with the same
`PolicyEngine` code, so that monitoring and enforcement agree; the per-event work is SQL joins
against these small tables (each also carries the person's role group, saving a join).
"""

from __future__ import annotations

import csv
import functools
import ipaddress
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import numpy as np

from safesocial.enforce.engine import PolicyEngine
from safesocial.enforce.snapshot import Snapshot

from .store import MINUTE_NO, Connection

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
    """Bulk insert through one NumPy array per column (several times faster than unnesting
    Python lists, and than executemany)."""
    data = list(rows)
    if not data:
        return
    arrays = {}
    for name, values in zip(columns, zip(*data, strict=True), strict=True):
        column = np.empty(len(data), dtype=object)
        column[:] = values
        arrays[name] = column
    view = f"rows_for_{table}"
    con.register(view, arrays)
    try:
        con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {view}"  # noqa: S608
        )
    finally:
        con.unregister(view)


@functools.lru_cache(maxsize=1 << 16)
def normal_address(text: str) -> str | None:
    """Canonical text of an IP address (zone dropped, IPv4-mapped IPv6 as IPv4), else None."""
    if _is_canonical_ipv4(text):  # the usual client, much faster than ipaddress
        return text
    return parsed_address(text)


def parsed_address(text: str) -> str | None:
    """`normal_address` worked out by `ipaddress` alone (no shortcut, no cache)."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _is_canonical_ipv4(text: str) -> bool:
    """Four decimal octets, 0-255, no leading zeros: an IPv4 address already in canonical form
    (str(ipaddress.ip_address(text)) == text)."""
    parts = text.split(".")
    return (
        len(parts) == 4
        and text.isascii()
        and all(
            part.isdigit() and (part == "0" or part[0] != "0") and int(part) < 256 for part in parts
        )
    )


def is_address_literal(host: str) -> bool:
    """An IP literal: it matches catalogue entries exactly, never by a parent domain."""
    return ":" in host or (host.replace(".", "").isdigit() and host.isascii())


class Attribution:
    """Keys for the values an ingest run meets, with the snapshot's answers for them.

    Every distinct client (with the DHCP lease in force, when leases are given), login, host,
    kind of event and UTC minute is attributed once, in Python, with the enforcement
    `PolicyEngine` (so monitoring and enforcement agree), and stored in its `dim_*` table. A
    value already stored with the same answers keeps its key; one the snapshot now answers
    differently gets a new key, so earlier events keep their attribution. The run's own
    value -> key maps are also kept in `run_*` temporary tables for the SQL loader's joins.

    Keys may be asked for from the ingest's reading thread while the main thread stores the
    previous block: the key methods hold `lock`, read stored rows through a cursor of their
    own (committed rows; the run's new rows are in memory), and queue the rows they add, which
    the main thread writes into its transaction with `write_pending` before the events that
    use them.
    """

    def __init__(self, con: Connection, snapshot: Snapshot, leases: Sequence[Lease] = ()) -> None:
        self.con = con
        self.reader = con.cursor()
        self.lock = threading.RLock()
        self._writes: list[tuple[str, Sequence[Any], Sequence[Any]]] = []  # (sql or table, ...)
        self._next_key: dict[str, int] = {}
        self._stored_rows: dict[str, bool] = {}
        self.snapshot = snapshot
        self.engine = PolicyEngine(snapshot)
        self.tz = ZoneInfo(snapshot.calendar.timezone)
        self.first_group = {p.id: (p.groups[0] if p.groups else None) for p in snapshot.people}
        # (client as logged, login as logged, lease index or -1) -> key
        self.who: dict[tuple[str | None, str | None, int], int] = {}
        self.bad_clients: set[str] = set()  # logged clients that are not IP addresses
        self._client_info: dict[tuple[str, int], tuple[Any, ...]] = {}
        self._user_info: dict[str, tuple[Any, ...]] = {}
        self.hosts: dict[str, int] = {}
        self.kinds: dict[tuple[Any, ...], int] = {}
        self.requests: dict[tuple[int, int], int] = {}  # (host key, kind key) -> key
        self.minutes: set[int] = set()  # epoch minutes known to be in dim_minutes
        self.addresses: set[str] = set()  # raw clients in run_addresses (leases only)
        # What each key of this run counts under in rollup_hourly (the scanner's rollup):
        self.who_rollup: dict[int, tuple[Any, ...]] = {}  # person, role group, segment
        self.host_rollup: dict[int, tuple[Any, ...]] = {}  # service, category
        self.minute_rollup: dict[int, tuple[Any, ...]] = {}  # day, weekday, hour, school hours
        self.kind_rollup: dict[int, tuple[Any, ...]] = {}  # source, blocked
        self.request_rollup: dict[int, tuple[Any, ...]] = {}  # service, category, source, blocked
        for table, columns in _RUN_TABLES.items():
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({columns})")
        # rows for the run_* tables, written only when the SQL loader needs them (flush_run)
        self._pending: dict[str, list[tuple[Any, ...]]] = {t: [] for t in _RUN_TABLES}
        self.domains: dict[str, tuple[int, str, str]] = {}  # domain -> (prio, service, category)
        for prio, service in enumerate(snapshot.services):
            for domain in service.domains:
                self._add_domain(domain, prio, service.id, service.category)
        for index, (category, entry) in enumerate(avoidance_categories().items()):
            for domain in entry["domains"]:
                self._add_domain(domain, AVOIDANCE_PRIORITY + index, f"avoid:{category}", category)
        self.leases = list(leases)
        self.has_leases = bool(leases)
        insert_rows(
            con,
            "run_leases",
            ("lease_id", "address", "start_utc", "end_utc"),
            (
                (index, lease.address, _utc_naive(lease.start), _utc_naive(lease.end))
                for index, lease in enumerate(self.leases)
            ),
        )
        for row in con.execute(
            f"SELECT kind_key, {', '.join(_KIND_COLUMNS)} FROM dim_kinds"  # noqa: S608
        ).fetchall():
            self.kinds[tuple(row[1:])] = row[0]
            self.kind_rollup[row[0]] = (row[1], row[5])
        # the SQL loader joins run_kinds: the stored kinds too, or their events are dropped
        self._pending["run_kinds"] += [(key, *kind) for kind, key in self.kinds.items()]

    def _add_domain(self, domain: str, prio: int, service_id: str, category: str) -> None:
        known = self.domains.get(domain)
        if known is None or prio < known[0]:
            self.domains[domain] = (prio, service_id, category)

    def _person_id(self, login: str | None) -> str | None:
        person = self.engine.person_for_login(login)
        return person.id if person else None

    def _role_group(self, person_id: str | None) -> str | None:
        return self.first_group.get(person_id) if person_id else None

    @property
    def invalid_clients(self) -> int:
        """How many distinct client values so far were not IP addresses."""
        return len(self.bad_clients)

    # --- answers per value -----------------------------------------------------------------

    def _client(self, raw: str, lease_id: int) -> tuple[Any, ...]:
        """(address, person, role group, device, segment) of a logged client address."""
        known = self._client_info.get((raw, lease_id))
        if known is not None:
            return known
        person, device, segment = self.engine.address_info(raw)
        address = normal_address(raw)
        if address is None:
            self.bad_clients.add(raw)
        person_id = person.id if person else None
        role_group = self._role_group(person_id)
        if lease_id >= 0:
            lease = self.leases[lease_id]
            if person_id is None:
                person_id = self._person_id(lease.username)
                role_group = self._role_group(person_id)
            device = device or lease.device
        info = (address or raw, person_id, role_group, device, segment)
        self._client_info[(raw, lease_id)] = info
        return info

    def _user(self, raw: str) -> tuple[Any, ...]:
        """(name, person, role group) of a logged login."""
        known = self._user_info.get(raw)
        if known is None:
            name = unquote(raw)  # Squid URL-encodes %un (alice%40school.org, DOM%5Calice)
            person_id = self._person_id(name)
            known = self._user_info[raw] = (name, person_id, self._role_group(person_id))
        return known

    def _who_row(
        self, client_raw: str | None, user_raw: str | None, lease_id: int
    ) -> tuple[Any, ...]:
        """The login's person first, then the address's (snapshot, else the lease's)."""
        client, c_person, c_role, device, segment = (
            self._client(client_raw, lease_id) if client_raw is not None else (None,) * 5
        )
        user_name, u_person, u_role = self._user(user_raw) if user_raw is not None else (None,) * 3
        person_id, role_group = (u_person, u_role) if u_person is not None else (c_person, c_role)
        return (client_raw, user_raw, client, user_name, person_id, role_group, device, segment)

    def _host_row(self, host: str) -> tuple[Any, ...]:
        """The most specific catalogue domain the host is or is under (lowest priority wins)."""
        if is_address_literal(host):
            candidates = [host]
        else:
            parts = host.split(".")
            candidates = [".".join(parts[k:]) for k in range(len(parts))]
        for suffix in candidates:
            found = self.domains.get(suffix)
            if found is not None:
                return (host, found[1], found[2])
        return (host, None, None)

    # --- keys ------------------------------------------------------------------------------

    def close(self) -> None:
        self.reader.close()

    def write_pending(self, con: Connection) -> None:
        """Write the dimension rows added since the last call (in the caller's transaction)."""
        with self.lock:
            writes, self._writes = self._writes, []
        for target, columns, rows in writes:
            if columns:
                insert_rows(con, target, columns, rows)
            else:
                con.execute(target, rows)

    def _new_keys(self, table: str, key: str, count: int) -> list[int]:
        if table not in self._next_key:
            row = self.reader.execute(f"SELECT coalesce(max({key}), 0) FROM {table}").fetchone()  # noqa: S608
            self._next_key[table] = (int(row[0]) if row else 0) + 1
        first = self._next_key[table]
        self._next_key[table] = first + count
        return list(range(first, first + count))

    def who_keys(self, values: Sequence[tuple[str | None, str | None, int]]) -> list[int]:
        """Keys for (client, login, lease index or -1) as logged, adding those not seen yet."""
        with self.lock:
            return self._who_keys(values)

    def _who_keys(self, values: Sequence[tuple[str | None, str | None, int]]) -> list[int]:
        new = [v for v in dict.fromkeys(values) if v not in self.who]
        if new:
            rows = [self._who_row(*value) for value in new]
            keys = self._keys("dim_who", "who_key", _WHO_COLUMNS, rows)
            self.who.update(zip(new, keys, strict=True))
            for key, row in zip(keys, rows, strict=True):
                self.who_rollup[key] = (row[4], row[5], row[7])
            self._pending["run_who"] += [(*v, k) for v, k in zip(new, keys, strict=True)]
            bad = [raw for raw, _user, _lease in new if raw in self.bad_clients]
            self._pending["run_bad_clients"] += [(raw,) for raw in set(bad)]
        return [self.who[v] for v in values]

    def host_keys(self, values: Sequence[str]) -> list[int]:
        with self.lock:
            return self._host_keys(values)

    def _host_keys(self, values: Sequence[str]) -> list[int]:
        new = [v for v in dict.fromkeys(values) if v not in self.hosts]
        if new:
            rows = [self._host_row(v) for v in new]
            keys = self._keys("dim_hosts", "host_key", _HOST_COLUMNS, rows)
            self.hosts.update(zip(new, keys, strict=True))
            for key, row in zip(keys, rows, strict=True):
                self.host_rollup[key] = row[1:]
            self._pending["run_hosts"] += list(zip(new, keys, strict=True))
        return [self.hosts[v] for v in values]

    def kind_keys(self, values: Sequence[tuple[Any, ...]]) -> list[int]:
        """Keys for (source, method, result_code, status, blocked, rule_raw, port) tuples."""
        with self.lock:
            return self._kind_keys(values)

    def _kind_keys(self, values: Sequence[tuple[Any, ...]]) -> list[int]:
        new = [v for v in dict.fromkeys(values) if v not in self.kinds]
        if new:
            keys = self._new_keys("dim_kinds", "kind_key", len(new))
            self._writes.append(
                (
                    "dim_kinds",
                    ("kind_key", *_KIND_COLUMNS),
                    [(key, *value) for key, value in zip(keys, new, strict=True)],
                )
            )
            # the rule as enforcement named it: decoded as DuckDB decodes URLs, once per value
            self._writes.append(
                (
                    "UPDATE dim_kinds SET rule_id = url_decode(rule_raw)"
                    " WHERE kind_key >= ? AND rule_raw IS NOT NULL",
                    (),
                    [keys[0]],
                )
            )
            self.kinds.update(zip(new, keys, strict=True))
            for key, value in zip(keys, new, strict=True):
                self.kind_rollup[key] = (value[0], value[4])
            self._pending["run_kinds"] += [(k, *v) for k, v in zip(keys, new, strict=True)]
        return [self.kinds[v] for v in values]

    def request_keys(self, values: Sequence[tuple[int, int]]) -> list[int]:
        """Keys for (host key, kind key) pairs (host key 0: no host)."""
        with self.lock:
            return self._request_keys(values)

    def _request_keys(self, values: Sequence[tuple[int, int]]) -> list[int]:
        new = [v for v in dict.fromkeys(values) if v not in self.requests]
        if new:
            keys = self._keys("dim_requests", "request_key", ("host_key", "kind_key"), new)
            self.requests.update(zip(new, keys, strict=True))
            for key, (host_key, kind_key) in zip(keys, new, strict=True):
                self.request_rollup[key] = (
                    *self.host_rollup.get(host_key, (None, None)),
                    *self.kind_rollup[kind_key],
                )
            self._pending["run_requests"] += [(*v, k) for v, k in zip(new, keys, strict=True)]
        return [self.requests[v] for v in values]

    def add_minutes(self, minutes: Iterable[int]) -> None:
        """Make sure dim_minutes has these UTC minutes (epoch minutes): local time, school hours.

        A minute is answered once, by the first run that meets it.
        """
        with self.lock:
            self._add_minutes(minutes)

    def _add_minutes(self, minutes: Iterable[int]) -> None:
        fresh = sorted({int(m) for m in minutes} - self.minutes)
        if not fresh:
            return
        stored = {
            int(row[0]): row[1:]
            for row in self.reader.execute(
                "SELECT minute_no, local_day, local_dow, local_hour, school_hours"
                " FROM dim_minutes WHERE minute_no BETWEEN ? AND ?",
                [fresh[0], fresh[-1]],
            ).fetchall()
        }
        rows = []
        for minute in fresh:
            if minute in stored:
                self.minute_rollup[minute] = stored[minute]
                continue
            at = datetime.fromtimestamp(minute * 60, UTC)
            local = at.astimezone(self.tz)
            school_hours = self.engine.is_school_hours(at)
            rows.append(
                (
                    minute,
                    at.replace(tzinfo=None),
                    school_hours,
                    local.date(),
                    local.weekday(),
                    local.hour,
                )
            )
            self.minute_rollup[minute] = (local.date(), local.weekday(), local.hour, school_hours)
        self._writes.append(
            (
                "dim_minutes",
                ("minute_no", "minute", "school_hours", "local_day", "local_dow", "local_hour"),
                rows,
            )
        )
        self.minutes.update(fresh)

    def _keys(
        self, table: str, key: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> list[int]:
        """Keys for these rows of a dimension: a stored row with the same answers keeps its
        key (the newest such), the others are added with new keys."""
        keys: list[int | None] = [None] * len(rows)
        if self._has_rows(table):
            self._match_stored(table, key, columns, rows, keys)
        missing = [index for index, value in enumerate(keys) if value is None]
        for index, new_key in zip(missing, self._new_keys(table, key, len(missing)), strict=True):
            keys[index] = new_key
        self._writes.append(
            (table, (key, *columns), [(keys[index], *rows[index]) for index in missing])
        )
        return [int(k) for k in keys if k is not None]

    def _has_rows(self, table: str) -> bool:
        """Whether the store held rows of `table` when this run began (a new store has none to
        match, which saves the lookup on a first ingest)."""
        if table not in self._stored_rows:
            row = self.reader.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()  # noqa: S608
            self._stored_rows[table] = bool(row and row[0])
        return self._stored_rows[table]

    def _match_stored(
        self,
        table: str,
        key: str,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        keys: list[int | None],
    ) -> None:
        """Fill in `keys` for the rows stored earlier with the same answers (the newest)."""
        selects = ", ".join(f"unnest(${i + 1}) AS {c}" for i, c in enumerate(columns))
        matched = " AND ".join(f"d.{c} IS NOT DISTINCT FROM w.{c}" for c in columns[1:])
        # the first column is the value as logged (NULL only for who: no client, no login)
        found = self.reader.execute(
            f"""SELECT w.i, max(d.{key}) FROM
                (SELECT unnest(${len(columns) + 1}) AS i, {selects}) w
                JOIN {table} d ON d.{columns[0]} IS NOT DISTINCT FROM w.{columns[0]}
                    AND {matched}
                GROUP BY w.i""",  # noqa: S608
            [list(column) for column in zip(*rows, strict=True)] + [list(range(len(rows)))],
        ).fetchall()
        for index, stored in found:
            keys[int(index)] = int(stored)

    # --- the SQL loader's block ------------------------------------------------------------

    def flush_run(self) -> None:
        """Write the keys given since the last call to the run_* tables the SQL loader joins."""
        for table, rows in self._pending.items():
            if rows:
                columns = [c.split()[0] for c in _RUN_TABLES[table].split(", ")]
                insert_rows(self.con, table, columns, rows)
                rows.clear()

    def extend(self, parsed: str) -> None:
        """Keys for the values in table `parsed` (the SQL loader's rows) not known yet, written
        to the store and to the run_* tables the loader joins."""
        with self.lock:
            self._extend(parsed)
            self.write_pending(self.con)
            self.flush_run()

    def _extend(self, parsed: str) -> None:
        con = self.con
        if not self.has_leases:
            pairs = con.execute(
                f"SELECT DISTINCT client, user_raw, -1 FROM {parsed}"  # noqa: S608
                " WHERE reason IS NULL AND NOT ignored"
            ).fetchall()
        else:
            # the lease in force at each line's time (the newest, if several overlap)
            clients = con.execute(
                f"SELECT DISTINCT client FROM {parsed} WHERE client IS NOT NULL"  # noqa: S608
            ).fetchall()
            insert_rows(
                con,
                "run_addresses",
                ("raw", "address"),
                [(raw, normal_address(raw)) for (raw,) in clients if raw not in self.addresses],
            )
            self.addresses.update(raw for (raw,) in clients)
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE parsed_leases AS
                SELECT n, lease_id FROM (
                    SELECT p.n, l.lease_id, row_number() OVER (
                        PARTITION BY p.n ORDER BY l.start_utc DESC, l.lease_id DESC) AS rn
                    FROM {parsed} p
                    JOIN run_addresses a ON a.raw = p.client
                    JOIN run_leases l ON l.address = a.address
                        AND p.ts >= l.start_utc AND p.ts < l.end_utc
                    WHERE p.reason IS NULL AND NOT p.ignored
                ) WHERE rn = 1"""  # noqa: S608
            )
            pairs = con.execute(
                f"SELECT DISTINCT p.client, p.user_raw, coalesce(l.lease_id, -1)"  # noqa: S608
                f" FROM {parsed} p LEFT JOIN parsed_leases l ON l.n = p.n"
                " WHERE p.reason IS NULL AND NOT p.ignored"
            ).fetchall()
        self._who_keys([(client, user, int(lease)) for client, user, lease in pairs])
        requests = con.execute(
            f"SELECT DISTINCT host, {', '.join(_KIND_COLUMNS)} FROM {parsed}"  # noqa: S608
            " WHERE reason IS NULL AND NOT ignored"
        ).fetchall()
        hosts = self._host_keys([row[0] for row in requests if row[0] is not None])
        kinds = self._kind_keys([tuple(row[1:]) for row in requests])
        host_keys = iter(hosts)
        self._request_keys(
            [
                (0 if row[0] is None else next(host_keys), kind)
                for row, kind in zip(requests, kinds, strict=True)
            ]
        )
        minutes = con.execute(
            f"SELECT DISTINCT {MINUTE_NO.format(ts='ts')} FROM {parsed}"  # noqa: S608
            " WHERE ts IS NOT NULL AND reason IS NULL AND NOT ignored"
        ).fetchall()
        self._add_minutes(m for (m,) in minutes)


_WHO_COLUMNS = (
    "client_raw",
    "user_raw",
    "client",
    "user_name",
    "person_id",
    "role_group",
    "device",
    "segment",
)
_HOST_COLUMNS = ("host", "service_id", "category")
_KIND_COLUMNS = ("source", "method", "result_code", "status", "blocked", "rule_raw", "port")
_RUN_TABLES = {
    "run_who": "client_raw VARCHAR, user_raw VARCHAR, lease_id INTEGER, who_key INTEGER",
    "run_bad_clients": "raw VARCHAR",
    "run_hosts": "host VARCHAR, host_key INTEGER",
    "run_kinds": "kind_key INTEGER, source VARCHAR, method VARCHAR, result_code VARCHAR,"
    " status INTEGER, blocked BOOLEAN, rule_raw VARCHAR, port INTEGER",
    "run_requests": "host_key INTEGER, kind_key INTEGER, request_key INTEGER",
    "run_leases": "lease_id INTEGER, address VARCHAR, start_utc TIMESTAMP, end_utc TIMESTAMP",
    "run_addresses": "raw VARCHAR, address VARCHAR",
}


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
