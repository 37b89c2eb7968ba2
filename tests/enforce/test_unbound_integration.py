"""Real Unbound loading the exported RPZ, answering two tagged client addresses differently."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator

import pytest

from safesocial.enforce.rpz import RpzExport, switch_commands, write_rpz

from .school import school_snapshot
from .servers import UnboundServer, find_binary, shared_tempdir, start_unbound

pytestmark = pytest.mark.integration

LEARNER_DEVICE = "127.0.0.2"
STAFF_DEVICE = "127.0.0.3"
UNTAGGED = "127.0.0.4"
NXDOMAIN, NOERROR = 3, 0


@pytest.fixture(scope="module")
def export() -> Iterator[RpzExport]:
    find_binary("unbound", "unbound")
    base = school_snapshot()
    segments = []
    for segment in base.segments:
        extra = {"learner-devices": LEARNER_DEVICE, "staff-devices": STAFF_DEVICE}.get(segment.name)
        if extra:
            segment = dataclasses.replace(segment, cidrs=(*segment.cidrs, f"{extra}/32"))
        segments.append(segment)
    directory = shared_tempdir("safesocial-rpz-")
    yield write_rpz(dataclasses.replace(base, segments=tuple(segments)), directory)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def unbound(export: RpzExport) -> Iterator[UnboundServer]:
    server = start_unbound(
        include=export.config_path,
        local_zones={
            "facebook.com": "192.0.2.10",
            "instagram.com": "192.0.2.11",
            "bbc.co.uk": "192.0.2.12",
        },
    )
    yield server
    server.stop()


def test_tagged_clients_get_their_own_answers_in_school_hours(unbound: UnboundServer) -> None:
    assert unbound.query("www.facebook.com", source=LEARNER_DEVICE) == (NXDOMAIN, 0)
    # The channel manager works on the staff network, so Facebook stays resolvable there.
    assert unbound.query("www.facebook.com", source=STAFF_DEVICE) == (NOERROR, 1)
    assert unbound.query("www.instagram.com", source=STAFF_DEVICE) == (NXDOMAIN, 0)
    assert unbound.query("www.bbc.co.uk", source=LEARNER_DEVICE) == (NOERROR, 1)
    assert unbound.query("www.facebook.com", source=UNTAGGED) == (NOERROR, 1)
    log = unbound.log.read_text()
    assert "rpz: applied" in log and "school-hours.learner-devices" in log


def test_switching_school_hours_zones_off_and_on(unbound: UnboundServer, export: RpzExport) -> None:
    for command in switch_commands(export.zones, school_hours=False, control=()):
        unbound.run_control(command)
    assert unbound.query("www.facebook.com", source=LEARNER_DEVICE) == (NOERROR, 1)
    assert unbound.query("www.instagram.com", source=STAFF_DEVICE) == (NOERROR, 1)
    for command in switch_commands(export.zones, school_hours=True, control=()):
        unbound.run_control(command)
    assert unbound.query("www.facebook.com", source=LEARNER_DEVICE) == (NXDOMAIN, 0)
    assert unbound.query("www.instagram.com", source=STAFF_DEVICE) == (NXDOMAIN, 0)
