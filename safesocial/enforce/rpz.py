"""RPZ zone files and an Unbound configuration snippet from a policy snapshot.

DNS cannot see who asks, only the client address, so the DNS view of a segment is cautious:
a service is blocked for a segment only when the rules deny it to everyone who may be on that
segment (its `expected_groups`; none listed means anyone). An allow rule that could apply to
someone there (a channel manager's exception on the staff network, say) keeps the service
resolvable on that segment; the Squid helper, which knows the person, still decides for the
web. Sanctions are per person and so are not in DNS.

Per group of segments that block the same things, up to three zones are written:
`always` (blocked in and out of school hours), `school-hours` (blocked only in school hours)
and `outside-hours` (blocked only outside). Unbound 1.17 (Debian 12) switches a zone on or
off at run time with `unbound-control rpz_enable|rpz_disable <zone>`; `switch_commands()`
returns those for a given moment. A reload re-enables every zone, so run the switch after
each reload as well as at each session boundary (every minute from cron is fine: idempotent).
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from safesocial.enforce.engine import PolicyEngine
from safesocial.enforce.snapshot import Rule, Segment, Snapshot

ZoneState = Literal["always", "school-hours", "outside-hours"]
CONFIG_NAME = "unbound-safesocial.conf"
ZONE_TTL = 60


@dataclass(frozen=True, slots=True)
class RpzZone:
    name: str  # the zone's DNS name, used by unbound-control
    state: ZoneState
    tag: str  # Unbound tag given to the group's addresses
    segments: tuple[str, ...]
    cidrs: tuple[str, ...]
    domains: tuple[str, ...]  # blocked names (each also blocks its subdomains)
    addresses: tuple[str, ...]  # blocked IP literals (as response-IP triggers)
    filename: str


@dataclass(frozen=True, slots=True)
class RpzExport:
    config_path: Path
    zones: tuple[RpzZone, ...]


def _label(text: str) -> str:
    """A DNS-label-safe form of a name: lower case letters, digits and hyphens."""
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return label[:63] or "x"


def _who_could_match(rule: Rule, segment: Segment, groups_of: dict[str, tuple[str, ...]]) -> bool:
    """Whether an allow rule could apply to someone on the segment."""
    if (not rule.groups and not rule.person_ids) or not segment.expected_groups:
        return True  # everyone, or a segment where anyone may turn up
    expected = set(segment.expected_groups)
    if not expected.isdisjoint(rule.groups):
        return True
    return any(not expected.isdisjoint(groups_of.get(p, ())) for p in rule.person_ids)


def _who_covers_all(rule: Rule, segment: Segment) -> bool:
    """Whether a deny rule applies to everyone who may be on the segment."""
    if not rule.groups and not rule.person_ids:
        return True
    return bool(segment.expected_groups) and set(segment.expected_groups) <= set(rule.groups)


def dns_blocked_services(snapshot: Snapshot, segment: Segment, *, school_hours: bool) -> set[str]:
    """Ids of the catalogue services that DNS should block for `segment` at that time."""
    category_of = {s.id: s.category for s in snapshot.services}
    groups_of = {p.id: p.groups for p in snapshot.people}
    blocked: set[str] = set()
    active = [
        r
        for r in snapshot.rules
        if (not r.segments or segment.name in r.segments)
        and (r.when == "always" or (r.when == "school_hours") == school_hours)
    ]
    for service in snapshot.services:
        verdict = snapshot.default_action == "deny"
        for rule in active:
            covers = (
                (not rule.services and not rule.categories)
                or service.id in rule.services
                or category_of[service.id] in rule.categories
            )
            if not covers:
                continue
            if rule.action == "allow" and _who_could_match(rule, segment, groups_of):
                verdict = False
                break
            if rule.action == "deny" and _who_covers_all(rule, segment):
                verdict = True
                break
            # A deny for only some of the people here: the others go on to later rules.
        if verdict:
            blocked.add(service.id)
    return blocked


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def plan_zones(snapshot: Snapshot) -> tuple[RpzZone, ...]:
    """The zones a snapshot needs, without writing anything (names are stable per snapshot)."""
    services = {s.id: s for s in snapshot.services}
    groups: dict[tuple[frozenset[str], frozenset[str], frozenset[str]], list[Segment]] = {}
    for segment in snapshot.segments:
        if not segment.cidrs:
            continue
        in_hours = dns_blocked_services(snapshot, segment, school_hours=True)
        out_hours = dns_blocked_services(snapshot, segment, school_hours=False)
        key = (
            frozenset(in_hours & out_hours),
            frozenset(in_hours - out_hours),
            frozenset(out_hours - in_hours),
        )
        if any(key):
            groups.setdefault(key, []).append(segment)
    school = _label(snapshot.school)
    zones: list[RpzZone] = []
    for (always, school_only, outside_only), members in groups.items():
        group = _label(members[0].name)
        tag = "ss_" + group.replace("-", "_")
        cidrs = tuple(c for s in members for c in s.cidrs)
        for state, ids in (
            ("always", always),
            ("school-hours", school_only),
            ("outside-hours", outside_only),
        ):
            if not ids:
                continue
            names = {d for i in ids for d in services[i].domains}
            zone_name = f"{state}.{group}.{school}.rpz.safesocial"
            zones.append(
                RpzZone(
                    name=zone_name,
                    state=state,  # type: ignore[arg-type]
                    tag=tag,
                    segments=tuple(s.name for s in members),
                    cidrs=cidrs,
                    domains=tuple(sorted(n for n in names if not _is_ip(n))),
                    addresses=tuple(sorted(n for n in names if _is_ip(n))),
                    filename=f"{zone_name}.zone",
                )
            )
    return tuple(zones)


def _ip_trigger(address: str) -> str:
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return "32." + ".".join(reversed(str(ip).split("."))) + ".rpz-ip"
    groups = ip.exploded.split(":")
    return "128." + ".".join(g.lstrip("0") or "0" for g in reversed(groups)) + ".rpz-ip"


def zone_text(zone: RpzZone, serial: int) -> str:
    """The RPZ zone file: each blocked name and its subdomains answer NXDOMAIN (CNAME .)."""
    lines = [
        f"; safesocial RPZ for segments {', '.join(zone.segments)} ({zone.state})",
        f"$ORIGIN {zone.name}.",
        f"$TTL {ZONE_TTL}",
        f"@ SOA localhost. hostmaster.localhost. {serial % 2**32} 3600 600 86400 {ZONE_TTL}",
        "@ NS localhost.",
    ]
    for domain in zone.domains:
        lines.append(f"{domain} CNAME .")
        lines.append(f"*.{domain} CNAME .")
    for address in zone.addresses:
        lines.append(f"{_ip_trigger(address)} CNAME .")
    return "\n".join(lines) + "\n"


def unbound_config_text(zones: Sequence[RpzZone], zone_dir: str | os.PathLike[str]) -> str:
    """An Unbound snippet (for `include:`) tagging each segment and loading its zones."""
    tags = list(dict.fromkeys(z.tag for z in zones))
    lines = [
        "# Written by safesocial: do not edit, it is replaced on every compile.",
        "server:",
        "    # RPZ needs the respip module; keep it first if you set module-config elsewhere.",
        '    module-config: "respip validator iterator"',
    ]
    if tags:
        lines.append(f'    define-tag: "{" ".join(tags)}"')
    seen: set[str] = set()
    for zone in zones:
        for cidr in zone.cidrs:
            if cidr not in seen:
                seen.add(cidr)
                lines.append(f'    access-control-tag: {cidr} "{zone.tag}"')
    for zone in zones:
        lines += [
            "",
            "rpz:",
            f"    name: {zone.name}",
            f"    zonefile: {Path(zone_dir) / zone.filename}",
            "    rpz-log: yes",
            f"    rpz-log-name: {zone.name}",
            f'    tags: "{zone.tag}"',
        ]
    return "\n".join(lines) + "\n"


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_rpz(
    snapshot: Snapshot,
    output_dir: str | os.PathLike[str],
    *,
    zone_dir: str | os.PathLike[str] | None = None,
) -> RpzExport:
    """Write the zone files and `unbound-safesocial.conf` into `output_dir`.

    `zone_dir` is where Unbound will find the zone files, if not `output_dir` (for example
    when the files are built elsewhere and copied into place).
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    zones = plan_zones(snapshot)
    for zone in zones:
        _write_atomically(out / zone.filename, zone_text(zone, snapshot.version))
    config_path = out / CONFIG_NAME
    _write_atomically(config_path, unbound_config_text(zones, zone_dir or out.resolve()))
    return RpzExport(config_path=config_path, zones=zones)


def switch_commands(
    zones: Sequence[RpzZone],
    *,
    school_hours: bool,
    control: Sequence[str] = ("unbound-control",),
) -> list[list[str]]:
    """`unbound-control` command lines that put every zone in the state for that moment."""
    commands: list[list[str]] = []
    for zone in zones:
        wanted = (
            zone.state == "always"
            or (zone.state == "school-hours" and school_hours)
            or (zone.state == "outside-hours" and not school_hours)
        )
        commands.append([*control, "rpz_enable" if wanted else "rpz_disable", zone.name])
    return commands


def switch_commands_at(
    snapshot: Snapshot,
    at: datetime,
    *,
    control: Sequence[str] = ("unbound-control",),
) -> list[list[str]]:
    """As `switch_commands`, deciding school hours from the snapshot's calendar at `at`."""
    school_hours = PolicyEngine(snapshot).is_school_hours(at)
    return switch_commands(plan_zones(snapshot), school_hours=school_hours, control=control)
