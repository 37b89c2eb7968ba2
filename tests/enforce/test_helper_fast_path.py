"""The helper's batch fast path (and its compiled copy, when built) against the general path.

The fast path caches by request fields and by context; these tests pin down that it answers
exactly as the general per-line path does, and that no answer outlives a decision boundary
(the start or end of school hours or of a sanction applies to the very next request).

Three paths are compared when the compiled fast path is built: "pure" (the Python source),
"compiled" (its mypyc copy with the Python loop) and "compiled+C" (the mypyc copy with the C
loop of hotpath.c, which is what the helper runs). Without a build only "pure" runs, and
test_the_compiled_path_is_in_use_when_built says why.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import random
import shutil
import subprocess
import sysconfig
import tracemalloc
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from safesocial.enforce import build_native, squid_helper
from safesocial.enforce.engine import PolicyEngine
from safesocial.enforce.snapshot import Rule, Service, Snapshot, write_snapshot

from .helper_process import helper_command, helper_env
from .school import (
    CHANNEL_MANAGER,
    LEARNER,
    SANCTIONED,
    SANCTIONED_ADDRESS,
    TEACHER,
    VOLUNTEER,
    london,
    school_snapshot,
)

SANCTION_START = datetime(2025, 3, 4, 10, 20, 30, tzinfo=UTC)


class AnswerPath(NamedTuple):
    """One way of answering: a module (pure or compiled) and whether the C loop may run."""

    name: str
    module: types.ModuleType
    c_loop: bool


def _paths() -> list[AnswerPath]:
    native = squid_helper.native_module()
    paths = [AnswerPath("pure", squid_helper, False)]
    if native is not None:
        paths += [AnswerPath("compiled", native, False), AnswerPath("compiled+C", native, True)]
    return paths


PURE = AnswerPath("pure", squid_helper, False)
PATHS = pytest.mark.parametrize("path", _paths(), ids=lambda p: p.name)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def make_helper(
    path: AnswerPath, snapshot: Path, clock: Callable[[], datetime], concurrency: bool | None
) -> squid_helper.Helper:
    helper: squid_helper.Helper = path.module.Helper(
        str(snapshot),
        fail_open=False,
        request_format=path.module.RequestFormat("%un %>a %>rd"),
        clock=clock,
        concurrency=concurrency,
        log=lambda message: None,
    )
    if not path.c_loop:  # the compiled copy without its C loop: the mypyc Python loop
        helper._hot_module = None
        helper._host_table = None
    return helper


def assert_path_in_use(helper: squid_helper.Helper, path: AnswerPath) -> None:
    """Guard against a vacuous pass: the path under test really answered."""
    assert helper.uses_c_loop is path.c_loop
    assert (type(helper).__module__ == squid_helper.NATIVE_MODULE) is (path.name != "pure")


@pytest.fixture
def snapshot_path(tmp_path: Path) -> Path:
    path = tmp_path / "net.snap"
    write_snapshot(school_snapshot(sanction_start=SANCTION_START), path)
    return path


def random_lines(rng: random.Random, count: int, concurrent: bool) -> list[bytes]:
    users = [LEARNER, SANCTIONED, TEACHER, CHANNEL_MANAGER, VOLUNTEER, "stranger", "-"]
    users += [LEARNER.upper(), TEACHER.replace(".", "%2E"), "12345"]
    addresses = [SANCTIONED_ADDRESS, "10.20.3.4", "10.30.1.2", "10.20.5.5", "10.99.1.1"]
    addresses += ["2001:db8:20::1", "2001:db8:99:1::25", "::ffff:10.99.1.1", "192.0.2.1", "-"]
    hosts = ["www.facebook.com", "WWW.FaceBook.com.", "static.xx.fbcdn.net", "www.bbc.co.uk"]
    hosts += ["bbc.co.uk:443", "www.instagram.com", "video.adult.example", "example.org"]
    hosts += ["198.51.100.7", "[2001:db8::1]:443", "notfacebook.com", "www.tiktok.com", "a%2Eb"]
    hosts += ["-", "[::1", "a:b:c"]
    lines = []
    for i in range(count):
        fields = [rng.choice(users), rng.choice(addresses), rng.choice(hosts)]
        if rng.random() < 0.5:
            fields.append("-")  # Squid's %DATA placeholder
        if rng.random() < 0.02:
            fields = fields[:2]  # malformed
        text = " ".join(fields)
        lines.append(f"{i % 50} {text}".encode() if concurrent else text.encode())
    return lines


@PATHS
@pytest.mark.parametrize("concurrent", [True, False])
@pytest.mark.parametrize(
    "at", [london(2025, 3, 4, 10, 15), london(2025, 3, 4, 18, 0), SANCTION_START]
)
def test_fast_path_answers_as_the_general_path(
    path: AnswerPath, snapshot_path: Path, concurrent: bool, at: datetime
) -> None:
    lines = random_lines(random.Random(11), 3000, concurrent)
    fast = make_helper(path, snapshot_path, Clock(at), concurrent)
    general = make_helper(PURE, snapshot_path, Clock(at), concurrent)
    replies = b"".join(fast.answer_block(lines[i : i + 700]) for i in range(0, len(lines), 700))
    assert_path_in_use(fast, path)
    expected = [general.answer(line, at) for line in lines]
    assert replies.split(b"\n")[:-1] == expected
    assert {reply.split(b" ")[1 if concurrent else 0] for reply in expected} == {
        b"OK",
        b"ERR",
        b"BH",
    }


@PATHS
def test_start_and_end_of_school_hours_apply_to_the_next_request(
    path: AnswerPath, snapshot_path: Path
) -> None:
    clock = Clock(london(2025, 3, 4, 8, 30) - timedelta(seconds=1))
    helper = make_helper(path, snapshot_path, clock, True)
    line = f"0 {LEARNER} 10.20.3.4 www.facebook.com -".encode()
    assert helper.answer_block([line] * 3).startswith(b"0 OK ")
    assert_path_in_use(helper, path)
    clock.at = london(2025, 3, 4, 8, 30)
    assert helper.answer_block([line]).startswith(b"0 ERR ")
    clock.at = london(2025, 3, 4, 15, 30) - timedelta(microseconds=1)
    assert helper.answer_block([line]).startswith(b"0 ERR ")
    clock.at = london(2025, 3, 4, 15, 30)
    assert helper.answer_block([line]).startswith(b"0 OK ")


@PATHS
def test_start_and_end_of_a_sanction_apply_to_the_next_request(
    path: AnswerPath, tmp_path: Path
) -> None:
    snapshot_file = tmp_path / "net.snap"
    snapshot = school_snapshot(sanction_start=SANCTION_START)
    sanction = dataclasses.replace(snapshot.sanctions[0], end=SANCTION_START + timedelta(seconds=7))
    write_snapshot(dataclasses.replace(snapshot, sanctions=(sanction,)), snapshot_file)
    clock = Clock(SANCTION_START - timedelta(microseconds=1))
    helper = make_helper(path, snapshot_file, clock, True)
    by_login = f"1 {SANCTIONED} 10.20.3.9 www.bbc.co.uk -".encode()
    by_address = f"2 - {SANCTIONED_ADDRESS} www.bbc.co.uk -".encode()
    assert helper.answer_block([by_login, by_address]).count(b" OK ") == 2
    assert_path_in_use(helper, path)
    clock.at = SANCTION_START
    replies = helper.answer_block([by_login, by_address])
    assert replies.count(b" ERR ") == 2 and b"log=sanction%3As-1" in replies
    clock.at = SANCTION_START + timedelta(seconds=7)
    assert helper.answer_block([by_login, by_address]).count(b" OK ") == 2


@PATHS
def test_a_replaced_snapshot_drops_every_cached_answer(path: AnswerPath, tmp_path: Path) -> None:
    snapshot_file = tmp_path / "net.snap"
    write_snapshot(dataclasses.replace(school_snapshot(), rules=()), snapshot_file)
    at = london(2025, 3, 4, 10, 15)
    helper = make_helper(path, snapshot_file, Clock(at), True)
    line = f"0 {LEARNER} 10.20.3.4 www.facebook.com -".encode()
    assert helper.answer_block([line]).startswith(b"0 OK ")
    write_snapshot(school_snapshot(version=2), snapshot_file)
    helper.reload_if_changed(force=True)
    assert helper.answer_block([line]).startswith(b"0 ERR ")
    assert_path_in_use(helper, path)


def test_a_domain_in_two_services_belongs_to_both() -> None:
    base = school_snapshot()
    extra = Service("fb-cdn", "Facebook CDN", "cdn", ("fbcdn.net", "cdn.example"))
    engine = PolicyEngine(dataclasses.replace(base, services=(*base.services, extra)))
    both = engine.services_for("static.fbcdn.net")
    assert both == ("facebook", "fb-cdn")
    assert engine.services_for("x.cdn.example") == ("fb-cdn",)
    index = engine.service_set_index
    assert index[None] == 0 and index[both] == len(base.services) + 2
    assert len(set(index.values())) == len(index)


def test_pure_python_is_used_when_asked_or_when_the_build_is_stale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAFESOCIAL_PURE_PYTHON", "1")
    assert squid_helper.native_module() is None
    monkeypatch.delenv("SAFESOCIAL_PURE_PYTHON")
    if squid_helper.native_module() is None:
        pytest.skip("no compiled fast path built (python -m safesocial.enforce.build_native)")
    from safesocial.enforce import build_native

    messages: list[str] = []
    monkeypatch.setattr(build_native, "source_digest", lambda: "0" * 64)
    assert squid_helper.native_module(log=messages.append) is None
    assert "older than the sources" in messages[0]


# --- the C loop: differential tests against the pure-Python helper -------------------------

# Domains chosen to exercise the C host table: a service set of two services, a domain longer
# than a table slot holds, a deep one, a non-ASCII one (never matched by a plain host) and IP
# literals (always left to Python).
EXTRA_SERVICES = (
    Service("fb-cdn", "Facebook CDN", "cdn", ("fbcdn.net", "cdn.example")),
    Service(
        "long",
        "Long names",
        "test",
        ("a-domain-name-longer-than-a-table-slot-holds.example", "x.y.z.deep.example"),
    ),
    Service("idn", "Unicode name", "test", ("bücher.example",)),
    Service("v6", "An IPv6 literal", "test", ("2001:db8::1",)),
)
DOMAINS = [d for s in school_snapshot().services + EXTRA_SERVICES for d in s.domains]


def rich_snapshot(version: int = 1, sanction_start: datetime = SANCTION_START) -> Snapshot:
    base = school_snapshot(version=version, sanction_start=sanction_start)
    deny_test = Rule("deny-test", "3", "Test category", "deny", categories=("test",))
    return dataclasses.replace(
        base, services=base.services + EXTRA_SERVICES, rules=(deny_test, *base.rules)
    )


def _mutate_host(rng: random.Random, host: str) -> bytes:
    if rng.random() < 0.3:
        host = rng.choice(("www.", "static.xx.", "a.", "..", "-.", "_x.")) + host
    if rng.random() < 0.3:
        host = "".join(c.upper() if rng.random() < 0.5 else c for c in host)
    if rng.random() < 0.2:
        host += "." * rng.randint(1, 3)
    if rng.random() < 0.3:
        host += rng.choice((":443", ":", ":80x", ":%34", ":é", ":1:2", ":\x1c"))
    raw = host.encode("utf-8", "surrogateescape")
    if rng.random() < 0.05 and raw:
        at = rng.randrange(len(raw))
        raw = raw[:at] + b"%%%02X" % raw[at] + raw[at + 1 :]  # a %-escaped character
    return raw


def random_host(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.5:
        return _mutate_host(rng, rng.choice(DOMAINS))
    if kind < 0.7:
        return _mutate_host(rng, rng.choice(("example.org", "notfacebook.com", "com", "uk")))
    if kind < 0.8:
        literal = ("198.51.100.7", "10.0.0.1", "[2001:db8::1]:443", "2001:db8::1", "[::1")
        return _mutate_host(rng, rng.choice(literal))
    if kind < 0.9:
        return rng.choice((b"-", b".", b"..", b":80", b"a" * 300 + b".com", b"x\xff.com"))
    return bytes(rng.choice(b"abcXYZ09.-_:%[]\x80\xc3\xa9") for _ in range(rng.randint(1, 12)))


USERS = [LEARNER, SANCTIONED, TEACHER, CHANNEL_MANAGER, VOLUNTEER, "stranger", "-", "12345"]
USERS += [
    LEARNER.upper(),
    TEACHER.replace(".", "%2E"),
    "%ZZ",
    "a.login.longer.than.a.slot@st-aidans",
]
ADDRESSES = [SANCTIONED_ADDRESS, "10.20.3.4", "10.30.1.2", "10.20.5.5", "10.99.1.1", "192.0.2.1"]
ADDRESSES += ["2001:db8:20::1", "2001:db8:99:1::25", "::ffff:10.99.1.1", "-", "fe80::1%25eth0"]
ADDRESSES += ["10.20.300.1", "2001:0db8:0020:0000:0000:0000:0000:0001", "garbage"]


def random_field(rng: random.Random, choices: list[str]) -> bytes:
    if rng.random() < 0.05:
        return bytes(rng.choice(b"ab1.:%-\xff") for _ in range(rng.randint(1, 6)))
    if rng.random() < 0.2:
        return f"10.20.{rng.randrange(256)}.{rng.randrange(256)}".encode()
    return rng.choice(choices).encode("utf-8", "surrogateescape")


def rich_lines(rng: random.Random, count: int, concurrent: bool) -> list[bytes]:
    lines = []
    for i in range(count):
        fields = [random_field(rng, USERS), random_field(rng, ADDRESSES), random_host(rng)]
        if rng.random() < 0.5:
            fields.append(b"-")  # Squid's %DATA placeholder
        if rng.random() < 0.1:
            fields.append(b"extra")
        if rng.random() < 0.03:
            fields = fields[: rng.randint(0, 2)]  # malformed: too few fields
        if concurrent:
            channel = str(i % 100).encode()
            if rng.random() < 0.02:
                channel = rng.choice((b"x1", b"-1", b"\xff", b"1.5"))
            fields.insert(0, channel)
        separator = rng.choice((b" ", b" ", b" ", b"  ", b"\t", b" \x0b "))
        line = separator.join(fields)
        if rng.random() < 0.05:
            line = rng.choice((b" ", b"\t")) + line + rng.choice((b"\r", b" ", b"\x0c"))
        if rng.random() < 0.01:
            line = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))).replace(b"\n", b"")
        lines.append(line)
    return lines


# Instants around every kind of boundary: in school hours, a microsecond before and at the
# start of a sanction, a microsecond before and at the end of the school day, evening.
INSTANTS = [
    london(2025, 3, 4, 10, 15),
    SANCTION_START - timedelta(microseconds=1),
    SANCTION_START,
    SANCTION_START + timedelta(seconds=1),
    london(2025, 3, 4, 15, 30) - timedelta(microseconds=1),
    london(2025, 3, 4, 15, 30),
    london(2025, 3, 4, 18, 0),
]


@PATHS
@pytest.mark.parametrize("concurrent", [True, False])
def test_random_lines_across_time_boundaries_answer_as_pure_python(
    path: AnswerPath, tmp_path: Path, concurrent: bool
) -> None:
    snapshot_file = tmp_path / "net.snap"
    # The sanction of bob starts mid-morning; the day's boundaries come from the calendar.
    write_snapshot(rich_snapshot(sanction_start=SANCTION_START), snapshot_file)
    rng = random.Random(2024 + concurrent)
    clock = Clock(INSTANTS[0])
    fast = make_helper(path, snapshot_file, clock, concurrent)
    general = make_helper(PURE, snapshot_file, clock, concurrent)
    heads: set[bytes] = set()
    for at in INSTANTS:
        clock.at = at
        lines = rich_lines(rng, 1500, concurrent)
        replies = fast.answer_block(lines)
        expected = [general.answer(line, at) for line in lines]
        assert replies.split(b"\n") == [*expected, b""], at
        heads |= {line.split(b" ")[1 if concurrent else 0] for line in expected}
    assert_path_in_use(fast, path)
    assert {b"OK", b"ERR", b"BH"} <= heads


@PATHS
@pytest.mark.parametrize("concurrency", [True, False, None])
def test_whole_reads_with_blank_lines_answer_as_pure_python(
    path: AnswerPath, tmp_path: Path, concurrency: bool | None
) -> None:
    """answer_data (what serve() calls with each read) skips blank lines, detects the line
    form from the first real line and takes a last line without a newline."""
    snapshot_file = tmp_path / "net.snap"
    write_snapshot(rich_snapshot(), snapshot_file)
    rng = random.Random(99)
    lines = rich_lines(rng, 3000, concurrency is not False)
    for i in sorted(rng.sample(range(len(lines)), 60), reverse=True):
        lines.insert(i, rng.choice((b"", b" ", b"\t\r", b"\x0b")))
    data = b"\n".join(lines)  # no final newline: the last line is taken as it is
    at = london(2025, 3, 4, 10, 15)
    fast = make_helper(path, snapshot_file, Clock(at), concurrency)
    pure = make_helper(PURE, snapshot_file, Clock(at), concurrency)
    cut = data.index(b"\n", len(data) // 2) + 1
    replies = fast.answer_data(data[:cut]) + fast.answer_data(data[cut:])
    assert replies == pure.answer_data(data[:cut]) + pure.answer_data(data[cut:])
    assert replies.count(b"\n") == sum(1 for line in lines if line.strip())
    assert_path_in_use(fast, path)


@PATHS
def test_random_bytes_never_crash_and_answer_as_pure_python(
    path: AnswerPath, snapshot_path: Path
) -> None:
    rng = random.Random(5)
    at = london(2025, 3, 4, 10, 15)
    fast = make_helper(path, snapshot_path, Clock(at), True)
    pure = make_helper(PURE, snapshot_path, Clock(at), True)
    assert fast.answer_data(b"0 alice.l 10.20.3.4 www.facebook.com\n").startswith(b"0 ERR ")
    alphabet = bytes(range(256)) + b" " * 40 + b"\n" * 8 + b"0123456789.:%-" * 4
    for _ in range(300):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        assert fast.answer_data(data) == pure.answer_data(data)
    assert_path_in_use(fast, path)


def test_the_helper_process_answers_as_pure_python(tmp_path: Path) -> None:
    """The whole helper, as Squid runs it, with and without its compiled fast path."""
    snapshot_file = tmp_path / "net.snap"
    write_snapshot(rich_snapshot(), snapshot_file)
    rng = random.Random(8)
    data = b"".join(line + b"\n" for line in rich_lines(rng, 20_000, True))
    outputs = {}
    for pure in ("1", "0"):
        env = helper_env(SAFESOCIAL_FAKE_NOW="2025-03-04T10:15:00", SAFESOCIAL_PURE_PYTHON=pure)
        result = subprocess.run(
            helper_command("--snapshot", str(snapshot_file)),
            input=data,
            capture_output=True,
            env=env,
            check=True,
            timeout=120,
        )
        outputs[pure] = result.stdout
    assert outputs["0"] == outputs["1"]
    assert outputs["0"].count(b"\n") == sum(1 for line in data.split(b"\n") if line.strip())


def _hotpath() -> types.ModuleType:
    native = squid_helper.native_module()
    if native is None:
        pytest.skip("no compiled fast path built (python -m safesocial.enforce.build_native)")
    return importlib.import_module(squid_helper.HOTPATH_MODULE)


def test_c_host_table_agrees_with_the_engine() -> None:
    hotpath = _hotpath()
    engine = PolicyEngine(rich_snapshot())
    table = hotpath.HostTable(engine.domain_table(), engine.service_set_index, 12345)
    assert len(table) == sum(1 for d in engine.domain_table() if d.isascii())
    rng = random.Random(3)
    asked_python = 0
    for _ in range(5000):
        raw = random_host(rng)
        found = table.lookup(raw)
        if found == hotpath.ASK_PYTHON:
            asked_python += 1
            continue
        services = engine.lookup_services(raw.decode())  # plain hosts are ASCII
        assert found == engine.service_set_index[services], raw
    assert 1000 < asked_python < 4000  # both branches well exercised
    assert table.lookup(b"WWW.X.Y.Z.Deep.Example.:8080") == engine.service_set_index[("long",)]
    assert table.lookup(b"fbcdn.net") == engine.service_set_index[("facebook", "fb-cdn")]
    for unusual in (b"b%C3%BCcher.example", b"[::1]", b"10.0.0.1", b"-", b".", b"a:b:c"):
        assert table.lookup(unusual) == hotpath.ASK_PYTHON


def test_c_loop_reports_callback_mistakes_as_exceptions() -> None:
    hotpath = _hotpath()
    engine = PolicyEngine(school_snapshot())
    table = hotpath.HostTable(engine.domain_table(), engine.service_set_index, 1)
    settings: dict[str, object] = {
        "hosts": table,
        "concurrent": True,
        "user": 1,
        "client": 2,
        "host": 3,
        "least": 4,
        "limit": 10,
        "seed": 7,
        "on_login": lambda user: 0,
        "on_address": lambda client: (0, 0),
        "on_context": lambda person, segment: [b" OK\n"] * 10,
        "on_host": lambda host: 0,
        "on_reply": lambda replies, index: b" OK\n",
        "on_line": lambda line: b"BH\n",
    }

    def loop(**changes: object) -> Any:
        return hotpath.LineAnswerer(**{**settings, **changes})

    assert loop().answer(b"5 a 10.0.0.1 www.bbc.co.uk\n") == b"5 OK\n"
    for bad in (
        {"on_login": lambda user: "x"},
        {"on_login": lambda user: -1},
        {"on_address": lambda client: 0},
        {"on_context": lambda person, segment: (b"x",)},
        {"on_context": lambda person, segment: [1] * 10},
        {"on_line": lambda line: None},
        {"on_login": lambda user: 1 / 0},
    ):
        with pytest.raises((TypeError, ValueError, ZeroDivisionError)):
            line = b"5 a 10.0.0.1 www.bbc.co.uk\n" if "on_line" not in bad else b"x\n"
            loop(**bad).answer(line)
    with pytest.raises(ValueError):
        loop(user=9)


def test_c_tables_are_bounded_and_reloads_leak_nothing(tmp_path: Path) -> None:
    hotpath = _hotpath()
    assert build_native.source_digest() == hotpath.BUILD
    snapshot_file = tmp_path / "net.snap"
    native = squid_helper.native_module()
    assert native is not None
    compiled = AnswerPath("compiled+C", native, True)
    helper = make_helper(compiled, snapshot_file, Clock(london(2025, 3, 4, 10, 15)), True)
    lines = [f"{i} user{i} 10.20.{i // 250}.{i % 250} h{i}.example -".encode() for i in range(3000)]

    def reload(version: int) -> None:
        write_snapshot(rich_snapshot(version=version), snapshot_file)
        helper.reload_if_changed(force=True)
        assert helper.answer_data(b"\n".join(lines) + b"\n").count(b"\n") == len(lines)

    reload(1)
    assert_path_in_use(helper, compiled)
    assert helper._hot.sizes()[:2] == (3000, 3000)
    tracemalloc.start()
    try:
        for version in range(2, 6):  # warm up: every cache at its usual size
            reload(version)
        before = tracemalloc.get_traced_memory()[0]
        for version in range(6, 46):
            reload(version)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 200_000, f"{grown:,} bytes more after 40 reloads"


def _toolchain() -> bool:
    """A C compiler and this Python's headers: what `make setup` needs to build the fast path."""
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return headers.exists() and any(shutil.which(cc) for cc in ("cc", "gcc"))


def test_the_compiled_path_is_in_use_when_built(snapshot_path: Path) -> None:
    """Which path answers here, said out loud; a build from these sources must be used.

    Under CI=true with a compiler and the Python headers present, `make setup` builds the fast
    path, so its absence is a failure there rather than a silent pure-Python run.
    """
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    built = build_native.NATIVE_DIR / f"hotpath{suffix}"
    if not built.exists():
        if os.environ.get("CI") == "true" and _toolchain():
            pytest.fail("CI=true: make setup should have built the compiled fast path")
        pytest.skip("pure Python in use: no compiled fast path built (make native)")
    hotpath = importlib.import_module(squid_helper.HOTPATH_MODULE)
    if build_native.source_digest() != hotpath.BUILD:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: the compiled fast path is older than the sources")
        pytest.skip("pure Python in use: the compiled fast path is older than the sources")
    native = squid_helper.native_module()
    assert native is not None
    helper = make_helper(
        AnswerPath("compiled+C", native, True),
        snapshot_path,
        Clock(london(2025, 3, 4, 10, 15)),
        None,
    )
    assert helper.answer_data(f"0 {LEARNER} 10.20.3.4 www.facebook.com\n".encode()).startswith(
        b"0 ERR "
    )
    assert helper.uses_c_loop


@PATHS
def test_a_line_form_found_out_late_still_gets_the_fast_path(
    path: AnswerPath, snapshot_path: Path
) -> None:
    helper = make_helper(path, snapshot_path, Clock(london(2025, 3, 4, 10, 15)), None)
    assert helper.answer_data(b"\n \n") == b""
    assert helper.answer_data(b"two fields\n").startswith(b"BH ")  # form still unknown
    assert helper.answer_data(f"{LEARNER} 10.20.3.4 www.facebook.com\n".encode()).startswith(
        b"ERR "
    )
    assert helper.concurrency is False
    assert_path_in_use(helper, path)
