"""`safesocial-squid-helper`: a Squid external ACL helper that applies the policy snapshot.

squid.conf::

    external_acl_type safesocial ttl=0 negative_ttl=0 children-max=2 concurrency=100 \\
        %un %>a %>rd /usr/local/bin/safesocial-squid-helper --snapshot /var/lib/safesocial/net.snap
    acl safesocial_allows external safesocial
    deny_info ERR_SAFESOCIAL_BLOCKED safesocial_allows
    http_access deny !safesocial_allows

Each request line is `[channel-id] user client-address host` (URL-encoded by Squid, `-` for
an empty field). Each reply is `[channel-id] OK|ERR message=<reason> log=<rule id>`; a line
that cannot be understood gets `BH message=<why>` and the helper carries on.

The helper reads standard input in large blocks and answers every complete line of a block
with a single write, so with `concurrency=` Squid can pipeline many lookups per system call.
It never writes user names, addresses or hosts to standard error (Squid's cache.log).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import time
import types
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from safesocial.enforce.engine import Context, Decision, HostError, PolicyEngine
from safesocial.enforce.snapshot import Person, SnapshotError, load_snapshot_and_digest

PROG = "safesocial-squid-helper"
DEFAULT_FORMAT = "%un %>a %>rd"
RELOAD_CHECK_SECONDS = 1.0
READ_BLOCK = 1 << 17
CACHE_LIMIT = 200_000  # entries kept in one cache before it is cleared wholesale
LOCAL_TZ = ZoneInfo("Europe/London")

# Squid format codes this helper understands, by what they carry. Any other code is accepted
# in the format and its field ignored (so a format can carry extras for other purposes).
_FIELD_ROLES = {
    "%un": "user",
    "%ul": "user",
    "%ue": "user",
    "%ui": "user",
    "%us": "user",
    "%LOGIN": "user",
    "%EXT_USER": "user",
    "%>a": "client",
    "%SRC": "client",
    "%>rd": "host",
    "%DST": "host",
    "%>ru": "url",
    "%URI": "url",
}

# None in this source; the digest of the sources in a compiled copy (see build_native.py).
NATIVE_BUILD: str | None = None
NATIVE_MODULE = "safesocial.enforce._native.squid_helper"
# The per-line loop in C (hotpath.c), used by the compiled copy only; built alongside it.
HOTPATH_MODULE = "safesocial.enforce._native.hotpath"

UNAVAILABLE_LOG = "snapshot-unavailable"
UNAVAILABLE_REASON = (
    "Web filtering is unavailable (the policy snapshot is missing or damaged), "
    "so access is paused. Please tell the network manager."
)


class UsageError(Exception):
    """A problem with how the helper was started; reported in one line, exit status 2."""


class RequestFormat:
    """Where the user, client address and host are in a request line."""

    def __init__(self, spec: str) -> None:
        codes = spec.split()
        if not codes:
            raise UsageError("the request format is empty")
        roles = [_FIELD_ROLES.get(code) for code in codes]
        self.width = len(codes)
        self.user = roles.index("user") if "user" in roles else -1
        self.client = roles.index("client") if "client" in roles else -1
        self.host = roles.index("host") if "host" in roles else -1
        self.url = roles.index("url") if "url" in roles else -1
        if self.host < 0 and self.url < 0:
            raise UsageError(f"the request format {spec!r} has no host (%>rd) or URL (%>ru)")


def _field(raw: bytes) -> str | None:
    text = raw.decode("utf-8", "surrogateescape")
    if text == "-" or not text:
        return None
    return unquote(text) if "%" in text else text


def _looks_like_address(field: bytes) -> bool:
    if field == b"-":
        return True
    if b":" in field:
        return True  # IPv6 (possibly URL-encoded); names never contain a colon here
    parts = field.split(b".")
    return len(parts) == 4 and all(p.isdigit() for p in parts)


def _host_from_url(url: str) -> str:
    scheme_end = url.find("://")
    if scheme_end < 0:
        return url  # CONNECT requests carry host:port
    rest = url[scheme_end + 3 :]
    for stop in "/?#":
        cut = rest.find(stop)
        if cut >= 0:
            rest = rest[:cut]
    return rest.rsplit("@", 1)[-1]


def _value(text: str) -> bytes:
    return quote(text, safe="").encode("ascii")


def fixed_clock_from_env(value: str | None) -> Callable[[], datetime] | None:
    """A clock stopped at SAFESOCIAL_FAKE_NOW (ISO 8601; no offset means Europe/London)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"SAFESOCIAL_FAKE_NOW={value!r} is not an ISO 8601 time (e.g. 2025-03-03T10:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return lambda: moment


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _hotpath(build: str | None) -> Any:
    """The C hot path module built with `build` (the sources' digest), or None."""
    if build is None:
        return None
    try:
        module = importlib.import_module(HOTPATH_MODULE)
    except ImportError:
        return None
    return module if getattr(module, "BUILD", None) == build else None


class Helper:
    """The request/reply logic, separate from the stdin/stdout loop so tests can drive it."""

    def __init__(
        self,
        snapshot_path: str,
        *,
        fail_open: bool,
        request_format: RequestFormat,
        clock: Callable[[], datetime] = _system_clock,
        concurrency: bool | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.snapshot_path = snapshot_path
        self.fail_open = fail_open
        self.format = request_format
        self.clock = clock
        self.concurrency = concurrency  # None: decided from the first well-formed line
        self.log = log or (lambda message: print(f"{PROG}: {message}", file=sys.stderr))
        self.engine: PolicyEngine | None = None
        self._file_id: tuple[int, int, int, int] | None = None
        self._next_check = 0.0
        self._replies: dict[int, tuple[Decision, bytes]] = {}
        self._cache_engine: PolicyEngine | None = None
        self._cache_concurrency: bool | None = None
        self._cache_valid_until = 0.0
        self._separator = b""
        # The C loop (compiled copy only): its host table per engine, its answerer per engine
        # and line form; the callbacks it makes read the instant of the read being answered.
        self._hot_module: Any = _hotpath(NATIVE_BUILD)
        self._hot: Any = None
        self._host_table: Any = None
        self._block_now = _system_clock()
        self._seed = int.from_bytes(os.urandom(8), "little")
        self._reset_caches()
        allowed = b"OK" if fail_open else b"ERR"
        self._unavailable_reply = (
            allowed
            + b" message="
            + _value(UNAVAILABLE_REASON)
            + b" log="
            + UNAVAILABLE_LOG.encode()
        )
        self.reload_if_changed(force=True)

    # --- snapshot -------------------------------------------------------------------------

    def reload_if_changed(self, *, force: bool = False) -> None:
        """Load the snapshot if its file was replaced; checked at most once a second."""
        now = time.monotonic()
        if not force and now < self._next_check:
            return
        self._next_check = now + RELOAD_CHECK_SECONDS
        try:
            info = os.stat(self.snapshot_path)
        except OSError:
            if self._file_id is not None or force:
                state = "keeping the loaded one" if self.engine else self._fail_words()
                self.log(f"snapshot file is missing; {state}")
            self._file_id = None
            return
        file_id = (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)
        if file_id == self._file_id:
            return
        self._file_id = file_id
        try:
            snapshot, digest = load_snapshot_and_digest(self.snapshot_path)
            engine = PolicyEngine(snapshot)
            host_table = None
            if self._hot_module is not None:
                host_table = self._hot_module.HostTable(
                    engine.domain_table(), engine.service_set_index, self._seed
                )
        except (SnapshotError, ValueError, OSError) as exc:
            state = "keeping the loaded one" if self.engine else self._fail_words()
            self.log(f"snapshot not loaded: {exc}; {state}")
            return
        self.engine = engine
        self._host_table = host_table
        self._replies.clear()
        self.log(
            f"loaded snapshot of school {snapshot.school!r} version {snapshot.version} "
            f"(sha256 {digest[:12]}, {len(snapshot.rules)} rules, "
            f"{sum(len(s.domains) for s in snapshot.services)} domains); answering with "
            + ("the compiled fast path" if self._hot_module is not None else "pure Python")
        )

    def _fail_words(self) -> str:
        return "failing open (allowing)" if self.fail_open else "failing closed (blocking)"

    # --- replies --------------------------------------------------------------------------

    def _reply_for(self, decision: Decision) -> bytes:
        cached = self._replies.get(id(decision))
        if cached is not None:
            return cached[1]
        message = decision.reason
        if decision.clause:
            message = f"{message} (policy clause {decision.clause})"
        reply = (
            (b"OK" if decision.allowed else b"ERR")
            + b" message="
            + _value(message)
            + b" log="
            + _value(decision.rule_id)
        )
        # Keep the decision itself so its id() cannot be reused while cached.
        self._replies[id(decision)] = (decision, reply)
        return reply

    @staticmethod
    def _bad(reason: str) -> bytes:
        return b"BH message=" + _value(reason)

    def _detect_concurrency(self, fields: list[bytes]) -> bool | None:
        """Whether lines carry a channel id, judged from one line; None if it cannot tell.

        Squid sends `[channel-id] FORMAT-values [ACL arguments]`, and appends `-` for the
        arguments when there are none, so the field count alone is ambiguous. The client
        address field settles it: only one reading puts an address (or `-`) there.
        """
        width, client = self.format.width, self.format.client
        with_channel = (
            len(fields) >= width + 1
            and fields[0].isdigit()
            and (client < 0 or _looks_like_address(fields[client + 1]))
        )
        without_channel = len(fields) >= width and (
            client < 0 or _looks_like_address(fields[client])
        )
        if with_channel and without_channel:
            return len(fields) >= width + 2
        if with_channel or without_channel:
            return with_channel
        return None

    def answer(self, line: bytes, now: datetime) -> bytes:
        """The reply line (without newline) for one request line: the general path."""
        concurrent = self.concurrency
        if concurrent is None:
            concurrent = self.concurrency = self._detect_concurrency(line.split())
        channel = b""
        payload = line.strip()
        if concurrent:
            # Any whitespace ends the channel id, as in the fast path's split().
            parts = payload.split(None, 1)
            if parts and parts[0].isdigit():
                channel, payload = parts[0] + b" ", parts[1] if len(parts) > 1 else b""
        return channel + self._answer_payload(payload, now, bool(concurrent))

    def _answer_payload(self, payload: bytes, now: datetime, concurrent: bool) -> bytes:
        fields = payload.split()
        width = self.format.width
        # Fields beyond the format are ACL arguments (%DATA), which this helper does not use.
        if len(fields) < width:
            return self._bad(
                f"expected {width} fields after the channel id, got {len(fields)}"
                if concurrent
                else f"expected {width} fields, got {len(fields)}"
            )
        engine = self.engine
        if engine is None:
            return self._unavailable_reply
        fmt = self.format
        user = _field(fields[fmt.user]) if fmt.user >= 0 else None
        client = _field(fields[fmt.client]) if fmt.client >= 0 else None
        if fmt.host >= 0:
            host = _field(fields[fmt.host])
        else:
            url = _field(fields[fmt.url])
            host = _host_from_url(url) if url else None
        if host is None:
            return self._bad("the request has no host")
        try:
            decision = engine.decide(user, client, host, now)
        except HostError as exc:
            return self._bad(f"the host cannot be understood: {exc}")
        return self._reply_for(decision)

    # --- the fast path ----------------------------------------------------------------------
    #
    # For the usual formats (user, client address and host fields), a line costs a split,
    # two dictionary look-ups and a list index:
    #   (user, address) as sent -> the reply list of the engine's shared Context for that
    #                              person and segment at this instant,
    #   host as sent            -> the index of its set of services (PolicyEngine
    #                              .service_set_index; the same for everyone, at any time),
    #   reply list[index]       -> the finished reply line.
    # The first table is cleared at every decision boundary (next minute, or the next start or
    # end of a sanction: PolicyEngine.stable_until), so a sanction or the start of school hours
    # applies to the very next request. Reply lists belong to contexts, which stand for a fixed
    # list of rules (or one sanction), so they never go stale with time. Every cache is
    # dropped when another snapshot is loaded.
    #
    # In the compiled copy, hotpath.c runs this same loop in C (LineAnswerer), with its own
    # tables for the first, second and host look-ups and the _now table; it calls the methods
    # below (_login_number, _address_numbers, _context_numbers, _host_index, _reply_miss,
    # _general_line) for anything it has not seen or does not handle, and _begin_block clears
    # its _now table at the same boundaries.

    def _reset_caches(self) -> None:
        # Per engine: login as sent -> person number (1-based; 0: nobody), address as sent ->
        # (person number, segment), and the reply list of each context.
        self._logins: dict[bytes, int] = {}
        self._addresses: dict[bytes, tuple[int, str | None]] = {}
        self._context_replies: dict[int, tuple[Context, list[bytes | None]]] = {}
        self._reply_contexts: dict[int, Context] = {}
        self._host_sets: dict[bytes, int] = {}
        self._line_replies: dict[int, bytes] = {}
        # Until the next decision boundary: (person number, segment) -> reply list.
        self._now: dict[tuple[int, str | None], list[bytes | None]] = {}
        self._service_sets: list[tuple[str, ...] | None] = []
        self._people: tuple[Person | None, ...] = (None,)
        if self.engine is not None:
            self._service_sets = list(self.engine.service_set_index)
            self._people = (None, *self.engine.snapshot.people)
        self._numbers = {id(person): number for number, person in enumerate(self._people)}
        # Segments by number, for the C loop's (person number, segment number) keys.
        self._segment_numbers: dict[str | None, int] = {None: 0}
        self._segment_names: list[str | None] = [None]
        self._hot = None
        fmt = self.format
        if (
            self._host_table is not None
            and self.engine is not None
            and self.concurrency is not None
            and min(fmt.user, fmt.client, fmt.host) >= 0
        ):
            offset = 1 if self.concurrency else 0
            self._hot = self._hot_module.LineAnswerer(
                hosts=self._host_table,
                concurrent=bool(self.concurrency),
                user=fmt.user + offset,
                client=fmt.client + offset,
                host=fmt.host + offset,
                least=fmt.width + offset,
                limit=CACHE_LIMIT,
                seed=self._seed,
                on_login=self._login_number,
                on_address=self._address_numbers,
                on_context=self._context_numbers,
                on_host=self._host_index,
                on_reply=self._reply_miss,
                on_line=self._general_line,
            )

    @property
    def uses_c_loop(self) -> bool:
        """Whether lines are being answered by the C loop (hotpath.c)."""
        return self._hot is not None

    def _login_number(self, user: bytes) -> int:
        engine = self.engine
        assert engine is not None
        return self._numbers[id(engine.person_for_login(_field(user)))]

    def _login_miss(self, user: bytes) -> int:
        number = self._login_number(user)
        if len(self._logins) >= CACHE_LIMIT:
            self._logins.clear()
        self._logins[user] = number
        return number

    def _address_miss(self, client: bytes, cache: bool = True) -> tuple[int, str | None]:
        engine = self.engine
        assert engine is not None
        person, _device, segment = engine.address_info(_field(client))
        info = (self._numbers[id(person)], segment)
        if not cache:
            return info
        if len(self._addresses) >= CACHE_LIMIT:
            self._addresses.clear()
        self._addresses[client] = info
        return info

    def _address_numbers(self, client: bytes) -> tuple[int, int]:
        """(person number, segment number) of an address as sent, for the C loop."""
        person, segment = self._address_miss(client, cache=False)
        number = self._segment_numbers.get(segment)
        if number is None:
            number = self._segment_numbers[segment] = len(self._segment_names)
            self._segment_names.append(segment)
        return person, number

    def _context_numbers(self, person: int, segment: int) -> list[bytes | None]:
        """The reply list of a (person number, segment number) now, for the C loop."""
        return self._context_replies_for((person, self._segment_names[segment]), self._block_now)

    def _host_index(self, raw_host: bytes) -> int:
        """`_host_miss` through its cache, for the hosts the C loop leaves to Python."""
        index = self._host_sets.get(raw_host)
        return self._host_miss(raw_host) if index is None else index

    def _general_line(self, line: bytes) -> bytes:
        return self.answer(line, self._block_now) + b"\n"

    def _context_miss(self, key: tuple[int, str | None], now: datetime) -> list[bytes | None]:
        replies = self._context_replies_for(key, now)
        if len(self._now) >= CACHE_LIMIT:
            self._now.clear()
        self._now[key] = replies
        return replies

    def _context_replies_for(
        self, key: tuple[int, str | None], now: datetime
    ) -> list[bytes | None]:
        engine = self.engine
        assert engine is not None
        context = engine.context(self._people[key[0]], key[1], now)
        entry = self._context_replies.get(id(context))
        if entry is None:
            replies: list[bytes | None] = [None] * len(self._service_sets)
            if context.fixed is not None:  # a sanction: one answer, whatever the host
                replies = [self._line_reply(context.fixed)] * len(replies)
            # The entry keeps the context alive, so its id() is not reused while cached.
            entry = self._context_replies[id(context)] = (context, replies)
            self._reply_contexts[id(replies)] = context
        return entry[1]

    def _host_miss(self, raw_host: bytes) -> int:
        """The service-set index of a host as sent, or -1 if it is unusable."""
        engine = self.engine
        assert engine is not None
        host = _field(raw_host)
        if host is None:
            return -1
        try:
            services = engine.lookup_services(host)
        except HostError:
            return -1
        index = engine.service_set_index[services]
        if len(self._host_sets) >= CACHE_LIMIT:
            self._host_sets.clear()
        self._host_sets[raw_host] = index
        return index

    def _reply_miss(self, replies: list[bytes | None], index: int) -> bytes:
        engine = self.engine
        assert engine is not None
        context = self._reply_contexts[id(replies)]
        decision = engine.decide_in(context, self._service_sets[index])
        reply = replies[index] = self._line_reply(decision)
        return reply

    def _line_reply(self, decision: Decision) -> bytes:
        reply = self._line_replies.get(id(decision))
        if reply is None:  # decisions live as long as the engine, as does this cache
            reply = self._separator + self._reply_for(decision) + b"\n"
            self._line_replies[id(decision)] = reply
        return reply

    def answer_block(self, lines: Sequence[bytes]) -> bytes:
        """Replies for every complete line of one read, joined for a single write."""
        now = self._begin_block(lines[0] if lines else None)
        if self._hot is not None:
            return self._hot.answer(b"\n".join(lines) + b"\n") if lines else b""
        return self._answer_lines(lines, now)

    def answer_data(self, data: bytes) -> bytes:
        """Replies for every line of `data` (what a read brought, cut after its last newline),
        joined for a single write; lines of only whitespace get no reply."""
        if self._hot_module is None:
            return self.answer_block([line for line in data.split(b"\n") if line.strip()])
        first = None
        if self.concurrency is None:
            first = next((line for line in data.split(b"\n") if line.strip()), None)
        now = self._begin_block(first)
        if self._hot is not None:
            return self._hot.answer(data, True)
        return self._answer_lines([line for line in data.split(b"\n") if line.strip()], now)

    def _begin_block(self, first: bytes | None) -> datetime:
        """What every reply of one read depends on: snapshot, instant, line form, caches."""
        self.reload_if_changed()
        now = self.clock()
        engine = self.engine
        if self.concurrency is None and first is not None:
            self.concurrency = self._detect_concurrency(first.split())
        separator = b" " if self.concurrency else b""
        self._block_now = now
        # A new snapshot, or the line form found out: caches (and the C loop) start afresh.
        if engine is not self._cache_engine or self.concurrency is not self._cache_concurrency:
            self._cache_engine = engine
            self._cache_concurrency = self.concurrency
            self._separator = separator
            self._reset_caches()
            self._cache_valid_until = 0.0
        if engine is not None and now.timestamp() >= self._cache_valid_until:
            self._now.clear()
            if self._hot is not None:
                self._hot.clear_now()
            self._cache_valid_until = engine.stable_until(now)
        return now

    def _answer_lines(self, lines: Sequence[bytes], now: datetime) -> bytes:
        fmt = self.format
        if (
            self.engine is None
            or self.concurrency is None
            or min(fmt.user, fmt.client, fmt.host) < 0
        ):
            answer = self.answer
            return b"".join([answer(line, now) + b"\n" for line in lines])
        return self._fast_block(lines, now)

    def _fast_block(self, lines: Sequence[bytes], now: datetime) -> bytes:
        concurrent = bool(self.concurrency)
        offset = 1 if concurrent else 0
        fmt = self.format
        i_user, i_client, i_host = fmt.user + offset, fmt.client + offset, fmt.host + offset
        least = fmt.width + offset
        logins = self._logins
        addresses = self._addresses
        contexts_now = self._now
        host_sets = self._host_sets
        out: list[bytes] = []
        for line in lines:
            fields = line.split()
            if len(fields) < least or (concurrent and not fields[0].isdigit()):
                out.append(self.answer(line, now) + b"\n")
                continue
            number = logins.get(fields[i_user])
            if number is None:
                number = self._login_miss(fields[i_user])
            info = addresses.get(fields[i_client])
            if info is None:
                info = self._address_miss(fields[i_client])
            key = (number or info[0], info[1])
            replies = contexts_now.get(key)
            if replies is None:
                replies = self._context_miss(key, now)
            host = fields[i_host]
            index = host_sets.get(host)
            if index is None:
                found = self._host_miss(host)
                if found < 0:  # no usable host: the general path says why (or sanctions)
                    out.append(self.answer(line, now) + b"\n")
                    continue
                index = found
            reply = replies[index]
            if reply is None:
                reply = self._reply_miss(replies, index)
            out.append(fields[0] + reply if concurrent else reply)
        return b"".join(out)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def serve(helper: Helper, in_fd: int, out_fd: int) -> None:
    """Answer requests until standard input closes."""
    pending = b""
    while True:
        chunk = os.read(in_fd, READ_BLOCK)
        if not chunk:
            break
        pending += chunk
        if b"\n" not in chunk:
            continue
        cut = pending.rfind(b"\n") + 1
        # Everything readable now is answered before the next (possibly blocking) read.
        _write_all(out_fd, helper.answer_data(pending[:cut]))
        pending = pending[cut:]
    if pending.strip():
        _write_all(out_fd, helper.answer_data(pending))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Squid external ACL helper applying the safesocial network policy snapshot.",
        epilog="Environment: SAFESOCIAL_SNAPSHOT (snapshot path), SAFESOCIAL_FAIL_MODE "
        "(open|closed), SAFESOCIAL_FAKE_NOW (ISO 8601 time that fixes the clock).",
    )
    parser.add_argument(
        "--snapshot",
        default=os.environ.get("SAFESOCIAL_SNAPSHOT"),
        help="path of the snapshot file written by netpolicy-compile",
    )
    parser.add_argument(
        "--fail",
        choices=("open", "closed"),
        default=os.environ.get("SAFESOCIAL_FAIL_MODE", "closed"),
        help="answer OK (open) or ERR (closed) while no valid snapshot is loaded "
        "(default: closed, or SAFESOCIAL_FAIL_MODE)",
    )
    parser.add_argument(
        "--format",
        "--default-format",
        dest="request_format",
        default=DEFAULT_FORMAT,
        help=f"the FORMAT codes given to external_acl_type, in order (default: {DEFAULT_FORMAT!r})",
    )
    parser.add_argument(
        "--concurrency",
        choices=("auto", "on", "off"),
        default="auto",
        help="whether lines start with a channel id (default: detect from the first line)",
    )
    args = parser.parse_args(argv)
    if not args.snapshot:
        parser.error("--snapshot FILE (or SAFESOCIAL_SNAPSHOT) is required")
    if args.fail not in ("open", "closed"):
        parser.error(f"SAFESOCIAL_FAIL_MODE must be open or closed, not {args.fail!r}")
    return args


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def native_module(log: Callable[[str], None] | None = None) -> types.ModuleType | None:
    """The compiled copy of this module, if one imports here and matches the sources.

    Anything else (not built, built for another Python, built from older sources, or
    SAFESOCIAL_PURE_PYTHON=1) means None: the pure-Python path, which answers the same.
    """
    if NATIVE_BUILD is not None or os.environ.get("SAFESOCIAL_PURE_PYTHON") == "1":
        return None
    try:
        native = importlib.import_module(NATIVE_MODULE)
    except ImportError:
        return None
    from safesocial.enforce.build_native import source_digest

    try:
        current = source_digest()
    except OSError:
        return None
    if getattr(native, "NATIVE_BUILD", None) != current or _hotpath(current) is None:
        if log is not None:
            log(
                "the compiled fast path is older than the sources; using pure Python "
                "(rebuild: python -m safesocial.enforce.build_native)"
            )
        return None
    return native


def main(argv: Sequence[str] | None = None) -> int:
    native = native_module(log=lambda message: print(f"{PROG}: {message}", file=sys.stderr))
    if native is not None:
        return int(native.main(argv))
    args = _parse_args(argv)
    try:
        request_format = RequestFormat(args.request_format)
        clock = fixed_clock_from_env(os.environ.get("SAFESOCIAL_FAKE_NOW")) or _system_clock
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    helper = Helper(
        args.snapshot,
        fail_open=args.fail == "open",
        request_format=request_format,
        clock=clock,
        concurrency={"auto": None, "on": True, "off": False}[args.concurrency],
    )
    # Squid going away (broken pipe) or an interrupt leaves nothing to answer.
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(helper, sys.stdin.fileno(), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
