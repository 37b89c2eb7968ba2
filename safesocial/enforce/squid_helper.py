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
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import FrameType
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from safesocial.enforce.engine import Decision, HostError, PolicyEngine
from safesocial.enforce.snapshot import SnapshotError, load_snapshot_and_digest

PROG = "safesocial-squid-helper"
DEFAULT_FORMAT = "%un %>a %>rd"
RELOAD_CHECK_SECONDS = 1.0
READ_BLOCK = 1 << 17
LINE_CACHE_LIMIT = 200_000
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
        self._line_cache: dict[bytes, bytes] = {}
        self._cache_engine: PolicyEngine | None = None
        self._cache_valid_until = 0.0
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
        except (SnapshotError, ValueError, OSError) as exc:
            state = "keeping the loaded one" if self.engine else self._fail_words()
            self.log(f"snapshot not loaded: {exc}; {state}")
            return
        self.engine = engine
        self._replies.clear()
        self.log(
            f"loaded snapshot of school {snapshot.school!r} version {snapshot.version} "
            f"(sha256 {digest[:12]}, {len(snapshot.rules)} rules, "
            f"{sum(len(s.domains) for s in snapshot.services)} domains)"
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
        """The reply line (without newline) for one request line."""
        concurrent = self.concurrency
        if concurrent is None:
            concurrent = self.concurrency = self._detect_concurrency(line.split())
        channel = b""
        payload = line.strip()
        if concurrent:
            head, _, rest = payload.partition(b" ")
            if head.isdigit():
                channel, payload = head + b" ", rest
        # Same request text, same answer until the engine says something may change.
        cached = self._line_cache.get(payload)
        if cached is not None:
            return channel + cached
        reply, cacheable = self._answer_payload(payload, now, bool(concurrent))
        if cacheable:
            if len(self._line_cache) >= LINE_CACHE_LIMIT:
                self._line_cache.clear()
            self._line_cache[payload] = reply
        return channel + reply

    def _answer_payload(
        self, payload: bytes, now: datetime, concurrent: bool
    ) -> tuple[bytes, bool]:
        fields = payload.split()
        width = self.format.width
        # Fields beyond the format are ACL arguments (%DATA), which this helper does not use.
        if len(fields) < width:
            return self._bad(
                f"expected {width} fields after the channel id, got {len(fields)}"
                if concurrent
                else f"expected {width} fields, got {len(fields)}"
            ), False
        engine = self.engine
        if engine is None:
            return self._unavailable_reply, False
        fmt = self.format
        user = _field(fields[fmt.user]) if fmt.user >= 0 else None
        client = _field(fields[fmt.client]) if fmt.client >= 0 else None
        if fmt.host >= 0:
            host = _field(fields[fmt.host])
        else:
            url = _field(fields[fmt.url])
            host = _host_from_url(url) if url else None
        if host is None:
            return self._bad("the request has no host"), False
        try:
            decision = engine.decide(user, client, host, now)
        except HostError as exc:
            return self._bad(f"the host cannot be understood: {exc}"), False
        return self._reply_for(decision), True

    def answer_block(self, lines: Sequence[bytes]) -> bytes:
        """Replies for every complete line of one read, joined for a single write."""
        self.reload_if_changed()
        now = self.clock()
        engine = self.engine
        if engine is not self._cache_engine or now.timestamp() >= self._cache_valid_until:
            self._line_cache.clear()
            self._cache_engine = engine
            self._cache_valid_until = engine.stable_until(now) if engine else 0.0
        answer = self.answer
        return b"".join([answer(line, now) + b"\n" for line in lines])


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
        *lines, pending = pending.split(b"\n")
        # Everything readable now is answered before the next (possibly blocking) read.
        _write_all(out_fd, helper.answer_block([ln for ln in lines if ln.strip()]))
    if pending.strip():
        _write_all(out_fd, helper.answer_block([pending]))


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


def main(argv: Sequence[str] | None = None) -> int:
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
