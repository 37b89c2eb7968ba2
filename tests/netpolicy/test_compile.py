"""From the database to the snapshot: calendar, people, rules, sanctions, versions."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from safesocial.audit.models import AuditEntry
from safesocial.enforce.engine import PolicyEngine
from safesocial.enforce.snapshot import load_snapshot
from safesocial.netpolicy.compile import build_snapshot
from safesocial.netpolicy.models import CompiledSnapshot, RemoteLearningApproval, Rule
from safesocial.netpolicy.selectors import snapshot_path
from safesocial.netpolicy.services import snapshot_compile
from safesocial.people.models import Person

from .conftest import AFTER_HOURS, BANK_HOLIDAY, IN_HOURS, INSET_DAY, Network, london


def test_calendar_holds_sessions_terms_inset_and_bank_holidays(network: Network) -> None:
    snapshot = build_snapshot(network.school, at=IN_HOURS).snapshot
    cal = snapshot.calendar
    assert cal.timezone == "Europe/London"
    assert {s.weekday for s in cal.sessions} == {0, 1, 2, 3, 4}
    closed = {c.day: c.reason for c in cal.closed_days}
    assert closed[dt.date(2025, 3, 5)] == "INSET day"
    assert closed[dt.date(2025, 5, 5)].startswith("Bank holiday")
    assert dt.date(2025, 12, 25) in closed
    assert dt.date(2025, 12, 27) not in closed  # a Saturday holiday needs no entry
    engine = PolicyEngine(snapshot)
    assert engine.is_school_hours(IN_HOURS)
    assert not engine.is_school_hours(AFTER_HOURS)
    assert not engine.is_school_hours(INSET_DAY)
    assert not engine.is_school_hours(BANK_HOLIDAY)


def test_people_groups_and_rule_order(network: Network) -> None:
    Person.objects.create(
        school=network.school, kind=Person.Kind.PARENT, first_name="P", last_name="Q",
        network_username="parent.q",
    )  # fmt: skip
    Person.objects.create(
        school=network.school, kind=Person.Kind.LEARNER, first_name="Left", last_name="Q",
        network_username="left.q", leaving_date=dt.date(2024, 7, 20),
    )  # fmt: skip
    snapshot = build_snapshot(network.school, at=IN_HOURS).snapshot
    users = {p.username: p.groups for p in snapshot.people}
    assert users == {
        "alice.l": ("learners",),
        "t.smith": ("staff",),
        "c.jones": ("staff",),
        "bob.l": ("learners",),
        "v.patel": ("volunteers",),
    }
    ids = [r.id for r in snapshot.rules]
    assert ids[0].startswith("channel-")
    assert [r.clause for r in snapshot.rules[1:]] == ["6", "4"]
    assert [s.person_id for s in snapshot.sanctions] == [f"p{network.sanctioned.pk}"]
    assert snapshot.sanctions[0].reason == "removal of internet access"  # never the details


def test_unsigned_approval_is_left_out_and_signed_one_comes_in(network: Network) -> None:
    approval = RemoteLearningApproval.objects.create(
        school=network.school, service_id="pinterest", groups=["learners"], purpose="Art",
        risk_assessment="Done", proposed_by=network.teacher, proposed_at=IN_HOURS,
        dsl_signed_by=network.teacher, dsl_signed_at=IN_HOURS,
    )  # fmt: skip
    ids = [r.id for r in build_snapshot(network.school, at=IN_HOURS).snapshot.rules]
    assert f"remote-learning-{approval.pk}" not in ids
    approval.head_signed_by, approval.head_signed_at = network.channel_manager, IN_HOURS
    approval.save()
    ids = [r.id for r in build_snapshot(network.school, at=IN_HOURS).snapshot.rules]
    assert f"remote-learning-{approval.pk}" in ids


def test_a_rule_whose_people_have_no_login_is_dropped_not_widened(network: Network) -> None:
    nologin = Person.objects.create(
        school=network.school, kind=Person.Kind.LEARNER, first_name="No", last_name="Login"
    )
    rule = Rule.objects.create(
        school=network.school, position=1, action="deny", when="always", clause="3",
        reason="Only for one person",
    )  # fmt: skip
    rule.people.set([nologin])
    result = build_snapshot(network.school, at=IN_HOURS)
    assert rule.snapshot_id not in [r.id for r in result.snapshot.rules]
    assert any(f"rule {rule.pk} left out" in w for w in result.warnings)


def test_compile_versions_rise_and_are_recorded(network: Network, tmp_path: Path) -> None:
    with time_machine.travel(IN_HOURS, tick=False):
        first = snapshot_compile(school=network.school, actor_label="test")
        second = snapshot_compile(school=network.school, actor_label="test")
    assert (first.version, second.version) == (1, 2)
    path = snapshot_path(network.school)
    assert second.path == str(path)
    loaded = load_snapshot(path)
    assert loaded.version == 2 and loaded.school == "test"
    assert CompiledSnapshot.objects.filter(school=network.school).count() == 2
    assert AuditEntry.objects.filter(action="netpolicy.compiled").count() == 2


def test_compile_command(network: Network, tmp_path: Path) -> None:
    out = StringIO()
    target = tmp_path / "net.snap"
    call_command("netpolicy_compile", "--school", "test", "--out", str(target), stdout=out)
    assert "snapshot version 1 written" in out.getvalue()
    record = CompiledSnapshot.objects.get()
    assert load_snapshot(target).version == 1 and len(record.sha256) == 64


def test_compile_command_refuses_bad_input(network: Network, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no school with the slug") as raised:
        call_command("netpolicy_compile", "--school", "nope")
    assert raised.value.returncode == 2
    with pytest.raises(CommandError, match="does not exist"):
        call_command("netpolicy_compile", "--school", "test", "--out", str(tmp_path / "a" / "b"))
    assert not CompiledSnapshot.objects.exists()


def test_sanction_window_is_in_the_snapshot(network: Network) -> None:
    snapshot = build_snapshot(network.school, at=IN_HOURS).snapshot
    engine = PolicyEngine(snapshot)
    decision = engine.decide("bob.l", "10.20.1.1", "www.bbc.co.uk", IN_HOURS)
    assert not decision.allowed and decision.clause == "3"
    assert engine.decide("bob.l", None, "www.bbc.co.uk", london("2026-01-05T10:00")).allowed
