"""The decision engine: who is asking, for which host, when -> allow or deny, and why.

Built once per snapshot (`PolicyEngine(snapshot)`), then `decide()` is called per request.
The hot path is dictionary look-ups only: a per-(user, address) identity cache, a per-minute
school-hours cache, a per-identity table of the rules that can apply, and a domain -> services
table walked by suffix. No regular expressions, no parsing of the snapshot per request.
"""

from __future__ import annotations

import bisect
import ipaddress
import socket
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from safesocial.enforce.snapshot import Person, Rule, Snapshot

_CACHE_LIMIT = 100_000  # identities / minutes kept before a cache is cleared wholesale


class HostError(ValueError):
    """The requested host cannot be understood (empty or malformed)."""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    rule_id: str
    clause: str
    reason: str


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the engine thinks is asking: a person (if known), a device label, a segment."""

    person: Person | None
    device: str | None
    segment: str | None
    groups: frozenset[str]
    # What the applicable rules depend on; strings hash once, so this is a cheap dict key.
    key: tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: Rule
    groups: frozenset[str]
    person_ids: frozenset[str]
    segments: frozenset[str]
    services: frozenset[str]
    categories: frozenset[str]
    every_host: bool
    decision: Decision

    def applies_to(self, identity: Identity, school_hours: bool) -> bool:
        when = self.rule.when
        if when == "school_hours" and not school_hours:
            return False
        if when == "outside_school_hours" and school_hours:
            return False
        if self.segments and identity.segment not in self.segments:
            return False
        if not self.groups and not self.person_ids:
            return True
        person = identity.person
        if person is not None and person.id in self.person_ids:
            return True
        return not self.groups.isdisjoint(identity.groups)

    def covers(self, services: tuple[str, ...] | None, category_of: dict[str, str]) -> bool:
        if self.every_host:
            return True
        if services is None:
            return False
        for service_id in services:
            if service_id in self.services or category_of[service_id] in self.categories:
                return True
        return False


@dataclass(slots=True, eq=False)
class Context:
    """Everything a decision depends on except the host, for one instant.

    Either `fixed` (a sanction: the same decision for every host) or the rules that can apply
    (already filtered by identity, segment and school hours), in order. Contexts are shared:
    everyone to whom the same rules apply gets the same object, so callers can memoise
    per-host answers on it (compared by identity). A context is only valid at the instant it
    was asked for, and until `PolicyEngine.stable_until` that instant.
    """

    rules: tuple[_CompiledRule, ...]
    fixed: Decision | None = None
    by_services: dict[tuple[str, ...] | None, Decision] = field(default_factory=dict)


class _PrefixTable:
    """Longest-prefix match of IP addresses against CIDRs, one dict per prefix length."""

    def __init__(self) -> None:
        self._v4: dict[int, dict[int, object]] = {}
        self._v6: dict[int, dict[int, object]] = {}
        self._v4_order: list[int] = []
        self._v6_order: list[int] = []

    def add(self, cidr: str, value: object) -> None:
        net = ipaddress.ip_network(cidr, strict=False)
        table = self._v4 if net.version == 4 else self._v6
        table.setdefault(net.prefixlen, {}).setdefault(int(net.network_address), value)
        self._v4_order = sorted(self._v4, reverse=True)
        self._v6_order = sorted(self._v6, reverse=True)

    def lookup(self, address: _Address) -> object | None:
        version, number = address
        if version == 4:
            tables, order, bits = self._v4, self._v4_order, 32
        else:
            tables, order, bits = self._v6, self._v6_order, 128
        for prefixlen in order:
            mask = ((1 << prefixlen) - 1) << (bits - prefixlen)
            found = tables[prefixlen].get(number & mask)
            if found is not None:
                return found
        return None


_Address = tuple[int, int]  # (IP version, address as an integer)


def _address_key(text: str) -> _Address | None:
    """Parse an IP address quickly (inet_pton is ~10x faster than the ipaddress module)."""
    # ValueError too: a NUL or an undecodable byte (kept as a surrogate) in what was sent.
    try:
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except (OSError, ValueError):
        pass
    try:
        number = int.from_bytes(socket.inet_pton(socket.AF_INET6, text.split("%", 1)[0]), "big")
    except (OSError, ValueError):
        return None
    if number >> 32 == 0xFFFF:
        return 4, number & 0xFFFFFFFF  # ::ffff:10.0.0.1 from a dual-stack listener
    return 6, number


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 from a dual-stack listener
    return address


def normalise_host(host: str) -> str:
    """Lower case, port and brackets stripped, trailing dot removed; IPs in canonical form."""
    text = host.strip().lower()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise HostError("unclosed bracket in IPv6 host")
        text = text[1:end]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.rstrip(".")
    if not text:
        raise HostError("empty host")
    if ":" in text or text[-1].isdigit():
        # Only names ending in a digit can be IP literals (no top-level domain is numeric).
        address = _parse_ip(text)
        if address is not None:
            return str(address)
        if ":" in text:
            raise HostError("host is neither a name nor an IP address")
    return text


class PolicyEngine:
    """Decisions for one snapshot. Not thread-safe by design: one engine per helper process."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._tz = ZoneInfo(snapshot.calendar.timezone)
        cal = snapshot.calendar
        self._terms = tuple(sorted((t.start, t.end) for t in cal.terms))
        self._closed: frozenset[date] = frozenset(c.day for c in cal.closed_days)
        sessions: dict[int, list[tuple[int, int]]] = {}
        for s in cal.sessions:
            sessions.setdefault(s.weekday, []).append(
                (s.start.hour * 60 + s.start.minute, s.end.hour * 60 + s.end.minute)
            )
        self._sessions = {day: tuple(sorted(spans)) for day, spans in sessions.items()}

        self._people_by_username = {p.username.lower(): p for p in snapshot.people}
        people_by_id = {p.id: p for p in snapshot.people}
        self._exact_addresses: dict[_Address, tuple[Person | None, str | None]] = {}
        self._address_ranges = _PrefixTable()
        for mapping in snapshot.addresses:
            target = (
                people_by_id.get(mapping.person_id) if mapping.person_id else None,
                mapping.device,
            )
            network = ipaddress.ip_network(mapping.address, strict=False)
            if network.num_addresses == 1:
                exact = (network.version, int(network.network_address))
                self._exact_addresses[exact] = target
            else:
                self._address_ranges.add(mapping.address, target)
        self._segments = _PrefixTable()
        for segment in snapshot.segments:
            for cidr in segment.cidrs:
                self._segments.add(cidr, segment.name)

        self._category_of = {s.id: s.category for s in snapshot.services}
        self._domains: dict[str, tuple[str, ...]] = {}
        # Every distinct value of the domain table, once: None (no service) first. Callers
        # that memoise per services can index lists by `service_set_index[services]`.
        service_sets: dict[tuple[str, ...] | None, int] = {None: 0}
        interned: dict[tuple[str, ...], tuple[str, ...]] = {}
        domains = self._domains
        for service in snapshot.services:
            own: tuple[str, ...] = (service.id,)  # one shared tuple per service: small table
            service_sets.setdefault(own, len(service_sets))
            # Whole-table operations (C loops) rather than a Python loop per domain: a million
            # domains load several times faster, interpreted or compiled.
            new: dict[str, tuple[str, ...]] = dict.fromkeys(service.domains, own)
            before = {domain: domains[domain] for domain in domains.keys() & new.keys()}
            if len(new) > len(domains):  # merge the smaller table into the larger one
                new.update(domains)
                domains = new
            else:
                domains.update(new)
            for domain, existing in before.items():
                combined = tuple(dict.fromkeys(existing + own))
                combined = interned.setdefault(combined, combined)  # shared, too
                service_sets.setdefault(combined, len(service_sets))
                domains[domain] = combined
        self._domains = domains
        self.service_set_index = service_sets

        self._rules = tuple(self._compile_rule(r) for r in snapshot.rules)
        allowed = snapshot.default_action == "allow"
        self.default_decision = Decision(
            allowed=allowed,
            rule_id="default",
            clause="",
            reason="No rule matched; the default is to " + ("allow." if allowed else "deny."),
        )
        self._sanctions: dict[str, list[tuple[datetime, datetime | None, Decision]]] = {}
        for sanction in snapshot.sanctions:
            decision = Decision(
                allowed=False,
                rule_id=f"sanction:{sanction.id}",
                clause=sanction.clause,
                reason=f"Internet access removed as a sanction ({sanction.reason}).",
            )
            self._sanctions.setdefault(sanction.person_id, []).append(
                (sanction.start, sanction.end, decision)
            )

        boundaries = {s.start for s in snapshot.sanctions} | {
            s.end for s in snapshot.sanctions if s.end is not None
        }
        self._sanction_boundaries = sorted(b.timestamp() for b in boundaries)
        self._identity_cache: dict[tuple[str | None, str | None], Identity] = {}
        self._address_cache: dict[str | None, tuple[Person | None, str | None, str | None]] = {}
        self._host_cache: dict[str, tuple[str, ...] | None] = {}
        self._minute_cache: dict[int, bool] = {}
        self._last_at: datetime | None = None
        self._last_school_hours = False
        self._contexts: dict[tuple[str | None, str | None, bool], Context] = {}
        self._shared_contexts: dict[tuple[int, ...], Context] = {}
        self._sanction_contexts: dict[int, Context] = {}

    @staticmethod
    def _compile_rule(rule: Rule) -> _CompiledRule:
        allowed = rule.action == "allow"
        return _CompiledRule(
            rule=rule,
            groups=frozenset(rule.groups),
            person_ids=frozenset(rule.person_ids),
            segments=frozenset(rule.segments),
            services=frozenset(rule.services),
            categories=frozenset(rule.categories),
            every_host=not rule.services and not rule.categories,
            decision=Decision(
                allowed=allowed, rule_id=rule.id, clause=rule.clause, reason=rule.reason
            ),
        )

    # --- identity -------------------------------------------------------------------------

    def _address_info(self, client_ip: str | None) -> tuple[Person | None, str | None, str | None]:
        """(person, device, segment) known from a client address; cached per address."""
        cached = self._address_cache.get(client_ip)
        if cached is not None:
            return cached
        person: Person | None = None
        device: str | None = None
        segment: str | None = None
        address = _address_key(client_ip) if client_ip and client_ip != "-" else None
        if address is not None:
            mapped = self._exact_addresses.get(address)
            if mapped is None:
                found = self._address_ranges.lookup(address)
                mapped = found if isinstance(found, tuple) else None
            if mapped is not None:
                person, device = mapped
            found_segment = self._segments.lookup(address)
            segment = found_segment if isinstance(found_segment, str) else None
        info = (person, device, segment)
        if len(self._address_cache) >= _CACHE_LIMIT:
            self._address_cache.clear()
        self._address_cache[client_ip] = info
        return info

    def identify(self, user: str | None, client_ip: str | None) -> Identity:
        """Proxy login first, then the client's exact address, then address ranges/segment."""
        key = (user, client_ip)
        cached = self._identity_cache.get(key)
        if cached is not None:
            return cached
        by_address, device, segment = self._address_info(client_ip)
        person = self._people_by_username.get(user.lower()) if user and user != "-" else None
        if person is None:
            person = by_address
        else:
            device = None
        identity = Identity(
            person=person,
            device=device,
            segment=segment,
            groups=frozenset(person.groups) if person else frozenset(),
            key=(person.id if person else None, segment),
        )
        if len(self._identity_cache) >= _CACHE_LIMIT:
            self._identity_cache.clear()
        self._identity_cache[key] = identity
        return identity

    # --- time -----------------------------------------------------------------------------

    def is_school_hours(self, at: datetime) -> bool:
        """True during a session on a term day that is not a closed day (local time)."""
        if at is self._last_at:
            return self._last_school_hours  # the helper passes one time object per batch
        result = self._school_hours_uncached(at)
        self._last_at, self._last_school_hours = at, result
        return result

    def stable_until(self, at: datetime) -> float:
        """A POSIX time before which every decision stays as at `at` (same snapshot).

        School hours change on the minute; sanctions start and end at any second.
        """
        now = at.timestamp()
        until = (now // 60 + 1) * 60
        index = bisect.bisect_right(self._sanction_boundaries, now)
        if index < len(self._sanction_boundaries):
            until = min(until, self._sanction_boundaries[index])
        return until

    def _school_hours_uncached(self, at: datetime) -> bool:
        if at.tzinfo is None:
            raise ValueError("time must be timezone-aware")
        minute = int(at.timestamp()) // 60
        cached = self._minute_cache.get(minute)
        if cached is not None:
            return cached
        local = at.astimezone(self._tz)
        today = local.date()
        result = False
        if today not in self._closed and any(s <= today <= e for s, e in self._terms):
            now = local.hour * 60 + local.minute
            result = any(s <= now < e for s, e in self._sessions.get(local.weekday(), ()))
        if len(self._minute_cache) >= _CACHE_LIMIT:
            self._minute_cache.clear()
        self._minute_cache[minute] = result
        return result

    # --- hosts ----------------------------------------------------------------------------

    def services_for(self, host: str) -> tuple[str, ...] | None:
        """Service ids of the most specific catalogue domain that `host` is, or is under."""
        cache = self._host_cache
        if host in cache:
            return cache[host]
        found = self.lookup_services(host)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[host] = found
        return found

    def domain_table(self) -> dict[str, tuple[str, ...]]:
        """Catalogue domain -> its services, as `lookup_services` walks it (do not modify)."""
        return self._domains

    def lookup_services(self, host: str) -> tuple[str, ...] | None:
        """`services_for` without its cache (for callers that keep their own)."""
        name = normalise_host(host)
        domains = self._domains
        found = domains.get(name)
        if found is not None:
            return found
        if name[-1].isdigit() or ":" in name:
            return None  # IP literals match exact entries only, never by suffix
        dot = name.find(".")
        while dot >= 0:
            found = domains.get(name[dot + 1 :])
            if found is not None:
                return found
            dot = name.find(".", dot + 1)
        return None

    # --- decisions ------------------------------------------------------------------------

    def person_for_login(self, user: str | None) -> Person | None:
        """The person with this proxy login (case-insensitive), if any."""
        if not user or user == "-":
            return None
        return self._people_by_username.get(user.lower())

    def address_info(self, client_ip: str | None) -> tuple[Person | None, str | None, str | None]:
        """(person, device, segment) known from a client address."""
        return self._address_info(client_ip)

    def context(self, person: Person | None, segment: str | None, at: datetime) -> Context:
        """The shared context of `person` (None: unknown) on `segment` at `at`."""
        if person is not None:
            sanctions = self._sanctions.get(person.id)
            if sanctions is not None:
                for start, end, sanction_decision in sanctions:
                    if start <= at and (end is None or at < end):
                        return self._sanction_context(sanction_decision)
        school_hours = self.is_school_hours(at)
        context_key = (person.id if person is not None else None, segment, school_hours)
        context = self._contexts.get(context_key)
        if context is None:
            groups = frozenset(person.groups) if person is not None else frozenset()
            identity = Identity(
                person=person, device=None, segment=segment, groups=groups, key=(None, None)
            )
            indexes = tuple(
                i for i, r in enumerate(self._rules) if r.applies_to(identity, school_hours)
            )
            context = self._shared_contexts.get(indexes)
            if context is None:
                context = Context(rules=tuple(self._rules[i] for i in indexes))
                self._shared_contexts[indexes] = context
            if len(self._contexts) >= _CACHE_LIMIT:
                self._contexts.clear()
            self._contexts[context_key] = context
        return context

    def _sanction_context(self, decision: Decision) -> Context:
        context = self._sanction_contexts.get(id(decision))
        if context is None:  # the decision lives as long as the engine, so id() is stable
            context = self._sanction_contexts[id(decision)] = Context(rules=(), fixed=decision)
        return context

    def context_for(self, user: str | None, client_ip: str | None, at: datetime) -> Context:
        """Proxy login first, then the client's exact address, then address ranges/segment."""
        person, _device, segment = self._address_info(client_ip)
        if user and user != "-":
            person = self._people_by_username.get(user.lower(), person)
        return self.context(person, segment, at)

    def decide_in(self, context: Context, services: tuple[str, ...] | None) -> Decision:
        """The decision in `context` for a host that belongs to `services` (see services_for)."""
        if context.fixed is not None:
            return context.fixed
        decision = context.by_services.get(services)
        if decision is None:
            decision = self.default_decision
            for rule in context.rules:
                if rule.covers(services, self._category_of):
                    decision = rule.decision
                    break
            context.by_services[services] = decision
        return decision

    def decide(self, user: str | None, client_ip: str | None, host: str, at: datetime) -> Decision:
        """The decision for one request. Raises HostError for an unusable host."""
        context = self.context_for(user, client_ip, at)
        if context.fixed is not None:
            return context.fixed  # a sanction denies every host, even one we cannot parse
        return self.decide_in(context, self.services_for(host))
