"""Ending a channel manager's access to the platform of their channel (clause 5): audited,
recompiled after commit, and enforced by the snapshot the enforcement points read."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import time_machine
from django.core.management import call_command

from safesocial.audit.models import AuditEntry
from safesocial.enforce.engine import PolicyEngine
from safesocial.enforce.snapshot import load_snapshot
from safesocial.netpolicy.models import ChannelPlatformAccess, CompiledSnapshot
from safesocial.netpolicy.services import channel_access_end

from .conftest import IN_HOURS, Network

LABEL = "the school's Facebook page"


def _explain(user: str) -> str:
    out = StringIO()
    call_command(
        "netpolicy_explain", "--school", "test", "--user", user, "--host", "www.facebook.com",
        stdout=out, stderr=StringIO(),
    )  # fmt: skip
    return out.getvalue()


def test_ending_blocks_the_platform_from_the_recompile(
    network: Network, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(IN_HOURS, tick=False):
        assert "Decision: ALLOW" in _explain("c.jones")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            ended = channel_access_end(
                school=network.school,
                person=network.channel_manager,
                service_id="facebook",
                channel=LABEL,
                on=IN_HOURS.date(),
            )
        assert len(callbacks) == 1
        text = _explain("c.jones")
        assert "Decision: BLOCK" in text and "Policy clause: 4" in text
        # The written snapshot, what Squid's helper reads, says the same.
        record = CompiledSnapshot.objects.get(school=network.school)
        engine = PolicyEngine(load_snapshot(record.path))
        assert not engine.decide("c.jones", None, "www.facebook.com", IN_HOURS).allowed
    assert [a.ends_on for a in ended] == [IN_HOURS.date() - dt.timedelta(days=1)]
    entry = AuditEntry.objects.get(action="netpolicy.channel_access_ended")
    assert entry.fields == ["ends_on"]


def test_ending_another_channel_or_nothing_changes_nothing(
    network: Network, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert (
            channel_access_end(
                school=network.school,
                person=network.channel_manager,
                service_id="facebook",
                channel="another page",
                on=IN_HOURS.date(),
            )
            == []
        )
        assert (
            channel_access_end(
                school=network.school,
                person=network.teacher,
                service_id="facebook",
                channel=LABEL,
                on=IN_HOURS.date(),
            )
            == []
        )
    assert callbacks == []  # nothing changed, nothing to recompile
    assert not AuditEntry.objects.filter(action="netpolicy.channel_access_ended").exists()
    assert ChannelPlatformAccess.objects.get().ends_on is None
    with time_machine.travel(IN_HOURS, tick=False):
        assert "Decision: ALLOW" in _explain("c.jones")


def test_a_grant_already_ended_is_left_alone(network: Network) -> None:
    ChannelPlatformAccess.objects.update(ends_on=dt.date(2025, 2, 1))
    ended = channel_access_end(
        school=network.school,
        person=network.channel_manager,
        service_id="facebook",
        channel=LABEL,
        on=IN_HOURS.date(),
    )
    assert ended == []
    assert ChannelPlatformAccess.objects.get().ends_on == dt.date(2025, 2, 1)
