"""The policy snapshot: what the enforcement points know, in one immutable checksummed file.

`netpolicy-compile` builds a `Snapshot` from the database and calls `write_snapshot`; the Squid
helper and the RPZ writer call `load_snapshot`. Nothing here imports Django.

File layout (UTF-8)::

    safesocial-snapshot <format version> sha256:<hex digest of body> <body length>\\n
    <body: canonical JSON of the snapshot>

The header lets a reader reject a truncated, tampered or wrong-version file before parsing it.
JSON from the standard library is used because it parses a million-domain file well inside the
one-second budget (see docs/benchmarks.md) and stays readable with `tail -c +N | jq`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FORMAT_VERSION = 1
MAGIC = b"safesocial-snapshot"
_MAX_HEADER = 200

SegmentKind = Literal["school-owned", "personal", "guest"]
When = Literal["school_hours", "outside_school_hours", "always"]
Action = Literal["allow", "deny"]

SEGMENT_KINDS: tuple[str, ...] = get_args(SegmentKind)
WHENS: tuple[str, ...] = get_args(When)
ACTIONS: tuple[str, ...] = get_args(Action)

SANCTION_REASON = "removal of internet access"
SANCTION_CLAUSE = "3"


class SnapshotError(Exception):
    """The snapshot file cannot be used; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class Group:
    """A role group such as learners, staff, volunteers or guests."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    username: str  # the network (proxy) login name
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AddressMapping:
    """A fixed address (IP) or range (CIDR) that identifies a person or a device."""

    address: str
    person_id: str | None = None
    device: str | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """A network segment.

    `expected_groups` names who is normally on it; DNS filtering cannot see who asks, so the
    RPZ writer blocks only what the rules deny to all of those groups.
    """

    name: str
    cidrs: tuple[str, ...]
    kind: SegmentKind
    expected_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionTime:
    """A teaching session on a weekday (0 = Monday), local wall-clock time, end exclusive."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Term:
    name: str
    start: date  # first day, inclusive
    end: date  # last day, inclusive


@dataclass(frozen=True, slots=True)
class ClosedDay:
    """A weekday inside a term with no teaching: INSET day, bank holiday, closure."""

    day: date
    reason: str


@dataclass(frozen=True, slots=True)
class Calendar:
    timezone: str = "Europe/London"
    sessions: tuple[SessionTime, ...] = ()
    terms: tuple[Term, ...] = ()
    closed_days: tuple[ClosedDay, ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    """A service in the catalogue. `domains` include CDN domains; each matches its subdomains."""

    id: str
    name: str
    category: str
    domains: tuple[str, ...]
    minimum_age: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One network rule; rules are evaluated in order and the first that matches decides.

    Who: `groups` and `person_ids` (both empty = everyone). Where: `segments` (empty = any).
    What: `services` and `categories` (both empty = every host).
    """

    id: str
    clause: str
    reason: str
    action: Action
    when: When = "always"
    groups: tuple[str, ...] = ()
    person_ids: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sanction:
    """Removal of internet access for a person from `start` until `end` (None = until lifted)."""

    id: str
    person_id: str
    start: datetime
    end: datetime | None = None
    reason: str = SANCTION_REASON
    clause: str = SANCTION_CLAUSE


@dataclass(frozen=True, slots=True)
class Snapshot:
    school: str  # school slug
    version: int  # the compile's revision number, rising with each compile
    created_at: datetime
    groups: tuple[Group, ...] = ()
    people: tuple[Person, ...] = ()
    addresses: tuple[AddressMapping, ...] = ()
    segments: tuple[Segment, ...] = ()
    calendar: Calendar = field(default_factory=Calendar)
    services: tuple[Service, ...] = ()
    rules: tuple[Rule, ...] = ()
    sanctions: tuple[Sanction, ...] = ()
    default_action: Action = "allow"


# --- encoding -------------------------------------------------------------------------------


def _when_iso(value: datetime) -> str:
    return value.isoformat()


def snapshot_to_dict(snapshot: Snapshot) -> dict[str, Any]:
    """A plain-JSON form of the snapshot (field names as in the dataclasses)."""
    cal = snapshot.calendar
    return {
        "school": snapshot.school,
        "version": snapshot.version,
        "created_at": _when_iso(snapshot.created_at),
        "default_action": snapshot.default_action,
        "groups": [{"id": g.id, "name": g.name} for g in snapshot.groups],
        "people": [
            {"id": p.id, "username": p.username, "groups": list(p.groups)} for p in snapshot.people
        ],
        "addresses": [
            {"address": a.address, "person_id": a.person_id, "device": a.device}
            for a in snapshot.addresses
        ],
        "segments": [
            {
                "name": s.name,
                "cidrs": list(s.cidrs),
                "kind": s.kind,
                "expected_groups": list(s.expected_groups),
            }
            for s in snapshot.segments
        ],
        "calendar": {
            "timezone": cal.timezone,
            "sessions": [
                {
                    "weekday": s.weekday,
                    "start": s.start.strftime("%H:%M"),
                    "end": s.end.strftime("%H:%M"),
                }
                for s in cal.sessions
            ],
            "terms": [
                {"name": t.name, "start": t.start.isoformat(), "end": t.end.isoformat()}
                for t in cal.terms
            ],
            "closed_days": [
                {"day": c.day.isoformat(), "reason": c.reason} for c in cal.closed_days
            ],
        },
        "services": [
            {
                "id": s.id,
                "name": s.name,
                "category": s.category,
                # One newline-joined string parses far faster than a list of a million strings.
                "domains": "\n".join(s.domains),
                "minimum_age": s.minimum_age,
            }
            for s in snapshot.services
        ],
        "rules": [
            {
                "id": r.id,
                "clause": r.clause,
                "reason": r.reason,
                "action": r.action,
                "when": r.when,
                "groups": list(r.groups),
                "person_ids": list(r.person_ids),
                "segments": list(r.segments),
                "services": list(r.services),
                "categories": list(r.categories),
            }
            for r in snapshot.rules
        ],
        "sanctions": [
            {
                "id": s.id,
                "person_id": s.person_id,
                "start": _when_iso(s.start),
                "end": None if s.end is None else _when_iso(s.end),
                "reason": s.reason,
                "clause": s.clause,
            }
            for s in snapshot.sanctions
        ],
    }


def canonical_bytes(snapshot: Snapshot) -> bytes:
    """The canonical serialisation that the checksum covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        snapshot_to_dict(snapshot),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


# --- decoding -------------------------------------------------------------------------------


def _strs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return tuple(value)


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return value


def snapshot_from_dict(data: Mapping[str, Any]) -> Snapshot:
    """Build a Snapshot from its JSON form; raises SnapshotError on any structural problem."""
    try:
        cal = data["calendar"]
        calendar = Calendar(
            timezone=str(cal["timezone"]),
            sessions=tuple(
                SessionTime(
                    weekday=int(s["weekday"]),
                    start=time.fromisoformat(s["start"]),
                    end=time.fromisoformat(s["end"]),
                )
                for s in cal["sessions"]
            ),
            terms=tuple(
                Term(
                    name=str(t["name"]),
                    start=date.fromisoformat(t["start"]),
                    end=date.fromisoformat(t["end"]),
                )
                for t in cal["terms"]
            ),
            closed_days=tuple(
                ClosedDay(day=date.fromisoformat(c["day"]), reason=str(c["reason"]))
                for c in cal["closed_days"]
            ),
        )
        services = []
        for s in data["services"]:
            domains_text = s["domains"]
            if not isinstance(domains_text, str):
                raise TypeError("service domains must be a newline-joined string")
            services.append(
                Service(
                    id=str(s["id"]),
                    name=str(s["name"]),
                    category=str(s["category"]),
                    domains=tuple(domains_text.split("\n")) if domains_text else (),
                    minimum_age=None if s["minimum_age"] is None else int(s["minimum_age"]),
                )
            )
        return Snapshot(
            school=str(data["school"]),
            version=int(data["version"]),
            created_at=_aware(data["created_at"]),
            default_action=cast(Action, data["default_action"]),
            groups=tuple(Group(id=str(g["id"]), name=str(g["name"])) for g in data["groups"]),
            people=tuple(
                Person(id=str(p["id"]), username=str(p["username"]), groups=_strs(p["groups"]))
                for p in data["people"]
            ),
            addresses=tuple(
                AddressMapping(
                    address=str(a["address"]), person_id=a["person_id"], device=a["device"]
                )
                for a in data["addresses"]
            ),
            segments=tuple(
                Segment(
                    name=str(s["name"]),
                    cidrs=_strs(s["cidrs"]),
                    kind=cast(SegmentKind, s["kind"]),
                    expected_groups=_strs(s["expected_groups"]),
                )
                for s in data["segments"]
            ),
            calendar=calendar,
            services=tuple(services),
            rules=tuple(
                Rule(
                    id=str(r["id"]),
                    clause=str(r["clause"]),
                    reason=str(r["reason"]),
                    action=cast(Action, r["action"]),
                    when=cast(When, r["when"]),
                    groups=_strs(r["groups"]),
                    person_ids=_strs(r["person_ids"]),
                    segments=_strs(r["segments"]),
                    services=_strs(r["services"]),
                    categories=_strs(r["categories"]),
                )
                for r in data["rules"]
            ),
            sanctions=tuple(
                Sanction(
                    id=str(s["id"]),
                    person_id=str(s["person_id"]),
                    start=_aware(s["start"]),
                    end=None if s["end"] is None else _aware(s["end"]),
                    reason=str(s["reason"]),
                    clause=str(s["clause"]),
                )
                for s in data["sanctions"]
            ),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(f"snapshot content is malformed: {type(exc).__name__}: {exc}") from exc


# --- validation -----------------------------------------------------------------------------


_ASCII_DOMAIN = re.compile(r"[a-z0-9._:-]+")


def _valid_domain(domain: str) -> bool:
    if not domain or domain.endswith(".") or len(domain) > 253 or ".." in domain:
        return False
    if domain.isascii():  # the usual case, in one match (a compile checks a million of them)
        return _ASCII_DOMAIN.fullmatch(domain) is not None
    return domain == domain.lower() and all(ch.isalnum() or ch in "-._:" for ch in domain)


def _duplicates(ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dup: list[str] = []
    for item in ids:
        if item in seen:
            dup.append(item)
        seen.add(item)
    return dup


def snapshot_problems(snapshot: Snapshot, *, check_domains: bool = True) -> list[str]:
    """Everything inconsistent in a snapshot, as sentences; an empty list means it is usable.

    `check_domains` looks at every domain, which is the slow part for a million of them; the
    writer does it once and the loader skips it because the checksum vouches for the content.
    """
    problems: list[str] = []
    if not snapshot.school:
        problems.append("school slug is empty")
    if snapshot.created_at.tzinfo is None:
        problems.append("created_at has no timezone")
    if snapshot.default_action not in ACTIONS:
        problems.append(f"default action {snapshot.default_action!r} is not allow or deny")
    for label, ids in (
        ("group", [g.id for g in snapshot.groups]),
        ("person", [p.id for p in snapshot.people]),
        ("segment", [s.name for s in snapshot.segments]),
        ("service", [s.id for s in snapshot.services]),
        ("rule", [r.id for r in snapshot.rules]),
        ("sanction", [s.id for s in snapshot.sanctions]),
        ("username", [p.username.lower() for p in snapshot.people]),
        ("address", [a.address for a in snapshot.addresses]),
    ):
        for dup in _duplicates(ids):
            problems.append(f"{label} {dup!r} appears more than once")
    group_ids = {g.id for g in snapshot.groups}
    person_ids = {p.id for p in snapshot.people}
    segment_names = {s.name for s in snapshot.segments}
    service_ids = {s.id for s in snapshot.services}
    categories = {s.category for s in snapshot.services}
    for person in snapshot.people:
        if not person.username or any(ch.isspace() for ch in person.username):
            problems.append(f"person {person.id!r} has an empty or spaced username")
        for g in set(person.groups) - group_ids:
            problems.append(f"person {person.id!r} is in unknown group {g!r}")
    for mapping in snapshot.addresses:
        try:
            ipaddress.ip_network(mapping.address, strict=True)
        except ValueError:
            problems.append(f"address {mapping.address!r} is not an IP address or CIDR")
        if (mapping.person_id is None) == (mapping.device is None):
            problems.append(f"address {mapping.address!r} must name a person or a device")
        if mapping.person_id is not None and mapping.person_id not in person_ids:
            problems.append(f"address {mapping.address!r} names unknown person")
    for segment in snapshot.segments:
        if segment.kind not in SEGMENT_KINDS:
            problems.append(f"segment {segment.name!r} has unknown kind {segment.kind!r}")
        for cidr in segment.cidrs:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                problems.append(f"segment {segment.name!r} has invalid CIDR {cidr!r}")
        for g in set(segment.expected_groups) - group_ids:
            problems.append(f"segment {segment.name!r} expects unknown group {g!r}")
    cal = snapshot.calendar
    try:
        ZoneInfo(cal.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"calendar timezone {cal.timezone!r} is unknown")
    for session in cal.sessions:
        if not 0 <= session.weekday <= 6:
            problems.append(f"session weekday {session.weekday} is not 0 (Monday) to 6")
        if session.start >= session.end:
            problems.append(f"session on weekday {session.weekday} ends before it starts")
    for term in cal.terms:
        if term.start > term.end:
            problems.append(f"term {term.name!r} ends before it starts")
    for service in snapshot.services:
        if check_domains:
            bad = [d for d in service.domains if not _valid_domain(d)]
            if bad:
                problems.append(
                    f"service {service.id!r} has {len(bad)} invalid domain(s), e.g. {bad[0]!r}"
                    " (lower case, no trailing dot, no port)"
                )
    for rule in snapshot.rules:
        where = f"rule {rule.id!r}"
        if rule.action not in ACTIONS:
            problems.append(f"{where} has action {rule.action!r}, not allow or deny")
        if rule.when not in WHENS:
            problems.append(f"{where} has when {rule.when!r}, not one of {', '.join(WHENS)}")
        if not rule.clause:
            problems.append(f"{where} names no policy clause")
        for label, refs, known in (
            ("group", rule.groups, group_ids),
            ("person", rule.person_ids, person_ids),
            ("segment", rule.segments, segment_names),
            ("service", rule.services, service_ids),
            ("category", rule.categories, categories),
        ):
            for ref in set(refs) - known:
                problems.append(f"{where} names unknown {label} {ref!r}")
    for sanction in snapshot.sanctions:
        if sanction.person_id not in person_ids:
            problems.append(f"sanction {sanction.id!r} names an unknown person")
        if sanction.start.tzinfo is None or (sanction.end and sanction.end.tzinfo is None):
            problems.append(f"sanction {sanction.id!r} has a time without timezone")
        elif sanction.end is not None and sanction.end <= sanction.start:
            problems.append(f"sanction {sanction.id!r} ends before it starts")
    return problems


# --- file I/O -------------------------------------------------------------------------------


def _header(body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return b"%s %d sha256:%s %d\n" % (MAGIC, FORMAT_VERSION, digest.encode(), len(body))


def write_snapshot(snapshot: Snapshot, path: str | os.PathLike[str]) -> str:
    """Validate and write `snapshot` to `path` atomically; returns the SHA-256 of the body.

    The file is written to a temporary name in the same directory, fsynced, then renamed over
    `path`, so a reader sees either the old complete file or the new complete file.
    """
    problems = snapshot_problems(snapshot)
    if problems:
        raise SnapshotError("snapshot not written: " + "; ".join(problems[:20]))
    body = canonical_bytes(snapshot)
    header = _header(body)
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(header)
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_name, 0o444)  # read-only: a snapshot is replaced, never edited
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    # Make the rename itself durable.
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return header.split()[2].decode()[len("sha256:") :]


def read_snapshot_body(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    """Read and verify a snapshot file; returns (canonical JSON body, hex digest)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise SnapshotError(f"snapshot file {os.fspath(path)!r} does not exist") from None
    except OSError as exc:
        raise SnapshotError(f"snapshot file {os.fspath(path)!r} cannot be read: {exc}") from None
    newline = raw.find(b"\n", 0, _MAX_HEADER)
    if newline < 0:
        raise SnapshotError(
            "snapshot file has no valid header (empty, truncated or not a snapshot)"
        )
    parts = raw[:newline].split(b" ")
    if len(parts) != 4 or parts[0] != MAGIC or not parts[2].startswith(b"sha256:"):
        raise SnapshotError("snapshot file has no valid header (not a safesocial snapshot)")
    try:
        version = int(parts[1])
        length = int(parts[3])
    except ValueError:
        raise SnapshotError("snapshot header is corrupt") from None
    if version != FORMAT_VERSION:
        raise SnapshotError(
            f"snapshot format version {version} is not supported (this reader knows version "
            f"{FORMAT_VERSION}); compile the snapshot again with the matching safesocial"
        )
    body = raw[newline + 1 :]
    if len(body) < length:
        raise SnapshotError(f"snapshot file is truncated ({len(body)} of {length} bytes)")
    if len(body) > length:
        raise SnapshotError("snapshot file has unexpected bytes after its body")
    expected = parts[2][len(b"sha256:") :].decode("ascii", "replace")
    digest = hashlib.sha256(body).hexdigest()
    if digest != expected:
        raise SnapshotError("snapshot checksum does not match: the file is corrupt or was edited")
    return body, digest


def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Read, verify (header, length, checksum, version) and decode a snapshot file."""
    return load_snapshot_and_digest(path)[0]


def load_snapshot_and_digest(path: str | os.PathLike[str]) -> tuple[Snapshot, str]:
    """As `load_snapshot`, also returning the body's SHA-256 (to name the snapshot in logs)."""
    body, digest = read_snapshot_body(path)
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise SnapshotError(f"snapshot body is not valid JSON: {exc}") from None
    del body  # free the raw bytes before building objects: keeps peak memory down
    if not isinstance(data, dict):
        raise SnapshotError("snapshot body is not a JSON object")
    snapshot = snapshot_from_dict(data)
    problems = snapshot_problems(snapshot, check_domains=False)
    if problems:
        raise SnapshotError("snapshot is inconsistent: " + "; ".join(problems[:20]))
    return snapshot, digest
