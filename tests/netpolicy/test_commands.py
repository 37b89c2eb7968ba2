"""`netpolicy-explain`, `netpolicy-export-rpz` and `netpolicy-rpz-switch`."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from safesocial.netpolicy.selectors import snapshot_path
from safesocial.netpolicy.services import snapshot_compile

from .conftest import Network, london


def _run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_explain_names_decision_rule_and_clause(network: Network) -> None:
    text = _run(
        "netpolicy_explain", "--school", "test", "--user", "alice.l", "--host",
        "www.instagram.com", "--at", "2025-03-04T10:15",
    )  # fmt: skip
    assert "Decision: BLOCK www.instagram.com" in text
    assert "alice.l (learners)" in text
    assert "(school hours)" in text
    assert "Rule: rule-" in text
    assert "Policy clause: 6: no personal social media for learners" in text


def test_explain_out_of_hours_and_by_address(network: Network) -> None:
    text = _run(
        "netpolicy_explain", "--school", "test", "--ip", "10.20.3.4", "--host",
        "www.instagram.com", "--at", "2025-03-04T18:00",
    )  # fmt: skip
    assert "Decision: ALLOW" in text and "segment: learner-devices" in text
    assert "Policy clause: none (default)" in text


def test_explain_sanction_and_channel_manager(network: Network) -> None:
    with time_machine.travel(london("2025-03-04T10:15"), tick=False):
        text = _run(
            "netpolicy_explain", "--school", "test", "--user", "bob.l", "--host", "bbc.co.uk"
        )
        assert "BLOCK" in text and "Policy clause: 3" in text
        text = _run(
            "netpolicy_explain", "--school", "test", "--user", "c.jones", "--host",
            "www.facebook.com",
        )  # fmt: skip
        assert "ALLOW" in text and "Policy clause: 5" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--school", "nope", "--host", "x.com"), "no school with the slug"),
        (("--school", "test", "--host", "x.com", "--at", "soon"), "not an ISO 8601 time"),
        (("--school", "test", "--host", "[::1"), "--host"),
    ],
)
def test_explain_refuses_bad_input(network: Network, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message) as raised:
        _run("netpolicy_explain", *args)
    assert raised.value.returncode == 2


def test_export_rpz_and_switch(network: Network, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="netpolicy-compile"):
        _run("netpolicy_export_rpz", "--school", "test", "--out", str(tmp_path / "rpz"))
    with time_machine.travel(london("2025-03-03T09:00"), tick=False):
        snapshot_compile(school=network.school, actor_label="test")
    assert snapshot_path(network.school).exists()
    text = _run("netpolicy_export_rpz", "--school", "test", "--out", str(tmp_path / "rpz"))
    assert "zone(s)" in text and (tmp_path / "rpz" / "unbound-safesocial.conf").exists()
    in_hours = _run(
        "netpolicy_rpz_switch", "--school", "test", "--at", "2025-03-04T10:15", "--dry-run"
    )
    after = _run(
        "netpolicy_rpz_switch", "--school", "test", "--at", "2025-03-04T18:00", "--dry-run"
    )
    zone = "school-hours.learner-devices.test.rpz.safesocial"
    assert f"unbound-control rpz_enable {zone}" in in_hours
    assert f"unbound-control rpz_disable {zone}" in after


def test_switch_runs_the_commands_and_reports_failures(network: Network, tmp_path: Path) -> None:
    with time_machine.travel(london("2025-03-03T09:00"), tick=False):
        snapshot_compile(school=network.school, actor_label="test")
    log = tmp_path / "calls"
    fake = tmp_path / "fake-control"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    fake.chmod(0o755)
    text = _run("netpolicy_rpz_switch", "--school", "test", "--control", str(fake))
    assert "switched" in text and "rpz_" in log.read_text()
    failing = tmp_path / "failing-control"
    failing.write_text("#!/bin/sh\necho refused >&2\nexit 1\n")
    failing.chmod(0o755)
    with pytest.raises(CommandError, match="failed"):
        _run("netpolicy_rpz_switch", "--school", "test", "--control", str(failing))
