"""Real Squid 5 with the helper as external_acl_type, in front of a local origin server."""

from __future__ import annotations

import dataclasses
import html
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from safesocial.enforce.snapshot import AddressMapping, write_snapshot

from .helper_process import native_for
from .school import CHANNEL_MANAGER, LEARNER, SANCTIONED, TEACHER, school_snapshot
from .servers import (
    REPO,
    SquidServer,
    find_binary,
    helper_python,
    origin_server,
    shared_tempdir,
    start_squid,
)

pytestmark = pytest.mark.integration

SANCTIONED_SOURCE = "127.0.0.5"  # the sanctioned learner's machine, known without a login
HOSTS = ("www.facebook.com", "static.xx.fbcdn.net", "www.instagram.com", "www.bbc.co.uk")


@pytest.fixture(scope="module")
def origin_port() -> Iterator[int]:
    with origin_server() as port:
        yield port


@pytest.fixture(scope="module")
def snapshot_file() -> Iterator[Path]:
    find_binary("squid", "squid")
    base = school_snapshot()
    snapshot = dataclasses.replace(
        base, addresses=(*base.addresses, AddressMapping(SANCTIONED_SOURCE, person_id="p-bob"))
    )
    directory = shared_tempdir("safesocial-snap-")
    path = directory / "net.snap"
    write_snapshot(snapshot, path)
    yield path
    shutil.rmtree(directory, ignore_errors=True)


def _squid(snapshot_file: Path, fake_now: str) -> SquidServer:
    return start_squid(
        hosts=dict.fromkeys(HOSTS, "127.0.0.1"),
        helper_args=[
            helper_python(),
            "-m",
            "safesocial.enforce.squid_helper",
            "--snapshot",
            str(snapshot_file),
        ],
        env={"PYTHONPATH": str(REPO), "SAFESOCIAL_FAKE_NOW": fake_now},
        login_exempt=(SANCTIONED_SOURCE,),
    )


@pytest.fixture(scope="module")
def squid_in_hours(snapshot_file: Path) -> Iterator[SquidServer]:
    server = _squid(snapshot_file, "2025-03-04T10:15:00+00:00")  # a Tuesday in term
    yield server
    server.stop()


@pytest.fixture(scope="module")
def squid_after_hours(snapshot_file: Path) -> Iterator[SquidServer]:
    server = _squid(snapshot_file, "2025-03-04T18:30:00+00:00")
    yield server
    server.stop()


def test_helper_started_by_squid_says_which_path_answers(
    squid_in_hours: SquidServer, origin_port: int
) -> None:
    """Squid starts the helper with the system Python; its start-up line in cache.log says
    whether the compiled fast path (used whenever it was built for that Python from these
    sources) or pure Python answers."""
    _allowed(squid_in_hours, f"http://www.bbc.co.uk:{origin_port}/path", "default", user=TEACHER)
    log = squid_in_hours.cache_log.read_text(errors="replace")
    expected = "the compiled fast path" if native_for(helper_python()) else "pure Python"
    assert f"answering with {expected}" in log


def _blocked(server: SquidServer, url: str, reason: str, rule: str, **who: str) -> None:
    status, body = server.get(url, **who)
    assert status == 403, body[:500]
    assert reason in html.unescape(body)
    assert "This site is blocked" in body
    server.wait_for_log(f"TCP_DENIED/403 GET {url} rule={rule}")


def _allowed(server: SquidServer, url: str, rule: str, **who: str) -> None:
    status, body = server.get(url, **who)
    assert status == 200, body[:500]
    assert body.startswith("origin page for")
    server.wait_for_log(f"TCP_MISS/200 GET {url} rule={rule}")


def test_learner_blocked_from_facebook_in_school_hours(
    squid_in_hours: SquidServer, origin_port: int
) -> None:
    url = f"http://www.facebook.com:{origin_port}/learner"
    reason = "Learners do not use personal social media in school hours (policy clause 6)"
    _blocked(squid_in_hours, url, reason, "learners-social-school-hours", user=LEARNER)
    _allowed(squid_in_hours, f"http://www.bbc.co.uk:{origin_port}/learner", "default", user=LEARNER)


def test_teacher_blocked_from_personal_social_media_in_school_hours(
    squid_in_hours: SquidServer, origin_port: int
) -> None:
    url = f"http://www.instagram.com:{origin_port}/teacher"
    reason = "Staff do not use personal social media in school hours (policy clause 4)"
    _blocked(squid_in_hours, url, reason, "staff-social-school-hours", user=TEACHER)


def test_channel_manager_reaches_their_platform_in_school_hours(
    squid_in_hours: SquidServer, origin_port: int
) -> None:
    for host in ("www.facebook.com", "static.xx.fbcdn.net"):
        url = f"http://{host}:{origin_port}/channel"
        _allowed(squid_in_hours, url, "channel-facebook", user=CHANNEL_MANAGER)


def test_sanctioned_learner_blocked_by_login_and_by_address(
    squid_in_hours: SquidServer, squid_after_hours: SquidServer, origin_port: int
) -> None:
    reason = "removal of internet access"
    for server in (squid_in_hours, squid_after_hours):
        by_login = f"http://www.bbc.co.uk:{origin_port}/sanctioned-login-{server.port}"
        _blocked(server, by_login, reason, "sanction:s-1", user=SANCTIONED)
        by_address = f"http://www.bbc.co.uk:{origin_port}/sanctioned-address-{server.port}"
        _blocked(server, by_address, reason, "sanction:s-1", source=SANCTIONED_SOURCE)


def test_outside_school_hours_learner_and_teacher_are_allowed(
    squid_after_hours: SquidServer, origin_port: int
) -> None:
    _allowed(
        squid_after_hours, f"http://www.facebook.com:{origin_port}/evening", "default", user=LEARNER
    )
    _allowed(
        squid_after_hours,
        f"http://www.instagram.com:{origin_port}/evening",
        "default",
        user=TEACHER,
    )
