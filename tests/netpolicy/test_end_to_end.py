"""Database rules -> `netpolicy-compile` -> the real Squid helper process answering.

The helper runs as Squid runs it (`python -m safesocial.enforce.squid_helper`), with the
clock fixed by SAFESOCIAL_FAKE_NOW, for a learner, a teacher, a channel manager and a
sanctioned learner: in and out of school hours, on an INSET day and on a bank holiday.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from safesocial.netpolicy.services import sanction_set
from tests.enforce.helper_process import HelperProcess, helper_env, parse_reply

from .conftest import Network, london

REQUESTS = (
    "alice.l 10.20.3.4 www.instagram.com",
    "t.smith 10.30.2.2 www.tiktok.com",
    "c.jones 10.30.2.3 www.facebook.com",
    "c.jones 10.30.2.3 www.instagram.com",
    "bob.l 10.20.3.5 www.bbc.co.uk",
    "alice.l 10.20.3.4 www.bbc.co.uk",
    "v.patel 10.30.9.9 web.whatsapp.com",
)

# when -> the expected (reply, log=rule prefix) for each request above
EXPECTED = {
    "2025-03-04T10:15": [
        ("ERR", "rule-"),  # learner: personal social media, school hours (clause 6)
        ("ERR", "rule-"),  # teacher: the same for staff (clause 4)
        ("OK", "channel-"),  # channel manager reaches the channel's platform (clause 5)
        ("ERR", "rule-"),  # ... but no other social media
        ("ERR", "sanction:"),  # sanctioned learner: no internet at all (clause 3)
        ("OK", "default"),
        ("ERR", "rule-"),  # volunteer: staff rule covers volunteers
    ],
    "2025-03-04T18:00": [
        ("OK", "default"),
        ("OK", "default"),
        ("OK", "channel-"),
        ("OK", "default"),
        ("ERR", "sanction:"),  # a sanction holds out of hours too
        ("OK", "default"),
        ("OK", "default"),
    ],
}
EXPECTED["2025-03-05T10:15"] = EXPECTED["2025-03-04T18:00"]  # INSET day
EXPECTED["2025-05-05T10:15"] = EXPECTED["2025-03-04T18:00"]  # Early May bank holiday


def _compile(target: Path) -> None:
    # Compiled the day before: sanctions and channel access are current then.
    with time_machine.travel(london("2025-03-03T09:00"), tick=False):
        call_command(
            "netpolicy_compile", "--school", "test", "--out", str(target), stdout=StringIO()
        )


def _ask(snapshot: Path, now: str, *lines: str) -> list[tuple[str, dict[str, str]]]:
    env = helper_env(SAFESOCIAL_FAKE_NOW=now)
    with HelperProcess("--snapshot", str(snapshot), env=env) as helper:
        return [parse_reply(reply) for reply in helper.ask(*lines)]


@pytest.fixture
def compiled(network: Network, tmp_path: Path) -> Path:
    target = tmp_path / "network.snap"
    _compile(target)
    return target


@pytest.mark.parametrize("now", sorted(EXPECTED))
def test_helper_answers_from_the_compiled_database(compiled: Path, now: str) -> None:
    answers = _ask(compiled, now, *REQUESTS)
    got = [(head, values["log"]) for head, values in answers]
    for (head, log), (want_head, want_log) in zip(got, EXPECTED[now], strict=True):
        assert head == want_head and log.startswith(want_log), (now, got)
    if now == "2025-03-04T10:15":
        assert "(policy clause 6)" in answers[0][1]["message"]
        assert "(policy clause 4)" in answers[1][1]["message"]
        assert "(policy clause 3)" in answers[4][1]["message"]


def test_a_new_sanction_applies_at_the_next_request(network: Network, tmp_path: Path) -> None:
    target = tmp_path / "network.snap"
    _compile(target)
    ask = "alice.l 10.20.3.4 www.bbc.co.uk"
    [(head, _)] = _ask(target, "2025-03-04T10:15", ask)
    assert head == "OK"
    sanction_set(
        school=network.school,
        person=network.learner,
        starts_at=london("2025-03-04T10:16"),
        ends_at=london("2025-03-04T15:15"),
        actor=None,
        source="concern",
        source_ref=42,
    )
    _compile(target)
    [(before, _)] = _ask(target, "2025-03-04T10:15", ask)
    [(during, values)] = _ask(target, "2025-03-04T10:16", ask)
    [(after, _)] = _ask(target, "2025-03-04T15:15", ask)
    assert (before, during, after) == ("OK", "ERR", "OK")
    assert values["log"].startswith("sanction:")
