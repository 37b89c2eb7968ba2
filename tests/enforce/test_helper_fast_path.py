"""The helper's batch fast path (and its compiled copy, when built) against the general path.

The fast path caches by request fields and by context; these tests pin down that it answers
exactly as the general per-line path does, and that no answer outlives a decision boundary
(the start or end of school hours or of a sanction applies to the very next request).
"""

from __future__ import annotations

import dataclasses
import random
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from safesocial.enforce import squid_helper
from safesocial.enforce.engine import PolicyEngine
from safesocial.enforce.snapshot import Service, write_snapshot

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


def _modules() -> list[types.ModuleType]:
    native = squid_helper.native_module()
    return [squid_helper] if native is None else [squid_helper, native]


MODULES = pytest.mark.parametrize(
    "module", _modules(), ids=lambda m: "compiled" if m.NATIVE_BUILD else "pure"
)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def make_helper(
    module: types.ModuleType, path: Path, clock: Callable[[], datetime], concurrency: bool
) -> squid_helper.Helper:
    helper: squid_helper.Helper = module.Helper(
        str(path),
        fail_open=False,
        request_format=module.RequestFormat("%un %>a %>rd"),
        clock=clock,
        concurrency=concurrency,
        log=lambda message: None,
    )
    return helper


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


@MODULES
@pytest.mark.parametrize("concurrent", [True, False])
@pytest.mark.parametrize(
    "at", [london(2025, 3, 4, 10, 15), london(2025, 3, 4, 18, 0), SANCTION_START]
)
def test_fast_path_answers_as_the_general_path(
    module: types.ModuleType, snapshot_path: Path, concurrent: bool, at: datetime
) -> None:
    lines = random_lines(random.Random(11), 3000, concurrent)
    fast = make_helper(module, snapshot_path, Clock(at), concurrent)
    general = make_helper(squid_helper, snapshot_path, Clock(at), concurrent)
    replies = b"".join(fast.answer_block(lines[i : i + 700]) for i in range(0, len(lines), 700))
    expected = [general.answer(line, at) for line in lines]
    assert replies.split(b"\n")[:-1] == expected
    assert {reply.split(b" ")[1 if concurrent else 0] for reply in expected} == {
        b"OK",
        b"ERR",
        b"BH",
    }


@MODULES
def test_start_and_end_of_school_hours_apply_to_the_next_request(
    module: types.ModuleType, snapshot_path: Path
) -> None:
    clock = Clock(london(2025, 3, 4, 8, 30) - timedelta(seconds=1))
    helper = make_helper(module, snapshot_path, clock, True)
    line = f"0 {LEARNER} 10.20.3.4 www.facebook.com -".encode()
    assert helper.answer_block([line] * 3).startswith(b"0 OK ")
    clock.at = london(2025, 3, 4, 8, 30)
    assert helper.answer_block([line]).startswith(b"0 ERR ")
    clock.at = london(2025, 3, 4, 15, 30) - timedelta(microseconds=1)
    assert helper.answer_block([line]).startswith(b"0 ERR ")
    clock.at = london(2025, 3, 4, 15, 30)
    assert helper.answer_block([line]).startswith(b"0 OK ")


@MODULES
def test_start_and_end_of_a_sanction_apply_to_the_next_request(
    module: types.ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "net.snap"
    snapshot = school_snapshot(sanction_start=SANCTION_START)
    sanction = dataclasses.replace(snapshot.sanctions[0], end=SANCTION_START + timedelta(seconds=7))
    write_snapshot(dataclasses.replace(snapshot, sanctions=(sanction,)), path)
    clock = Clock(SANCTION_START - timedelta(microseconds=1))
    helper = make_helper(module, path, clock, True)
    by_login = f"1 {SANCTIONED} 10.20.3.9 www.bbc.co.uk -".encode()
    by_address = f"2 - {SANCTIONED_ADDRESS} www.bbc.co.uk -".encode()
    assert helper.answer_block([by_login, by_address]).count(b" OK ") == 2
    clock.at = SANCTION_START
    replies = helper.answer_block([by_login, by_address])
    assert replies.count(b" ERR ") == 2 and b"log=sanction%3As-1" in replies
    clock.at = SANCTION_START + timedelta(seconds=7)
    assert helper.answer_block([by_login, by_address]).count(b" OK ") == 2


@MODULES
def test_a_replaced_snapshot_drops_every_cached_answer(
    module: types.ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "net.snap"
    write_snapshot(dataclasses.replace(school_snapshot(), rules=()), path)
    at = london(2025, 3, 4, 10, 15)
    helper = make_helper(module, path, Clock(at), True)
    line = f"0 {LEARNER} 10.20.3.4 www.facebook.com -".encode()
    assert helper.answer_block([line]).startswith(b"0 OK ")
    write_snapshot(school_snapshot(version=2), path)
    helper.reload_if_changed(force=True)
    assert helper.answer_block([line]).startswith(b"0 ERR ")


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
