"""The channel register: risk assessment, headteacher approval and yearly re-approval,
managers (with platform access) and the custody log of login details (clause 5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from safesocial.audit.models import AuditEntry
from safesocial.channels import services
from safesocial.channels.models import Channel, CustodyEvent
from safesocial.channels.selectors import due_for_reapproval, login_holders, public_channels
from safesocial.netpolicy.models import ChannelPlatformAccess
from tests.channels.factories import accept_aup, make_channel, person
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_platform_must_come_from_the_catalogue(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        services.channel_create(
            school=cast.school,
            actor=person(cast, "headteacher"),
            service_id="not-a-service",
            account_name="X",
            address="https://example.org/x",
            purpose="p",
            objectives="o",
            intended_outcomes="i",
        )
    assert "service_id" in error.value.message_dict


def test_only_the_headteacher_approves_and_only_with_a_risk_assessment(cast: Cast) -> None:
    channel = make_channel(cast, approve=False)
    with pytest.raises(services.NotAllowed, match="Only the headteacher"):
        services.channel_approve(
            channel=channel, approver=person(cast, "leadership"), on=timezone.localdate()
        )
    channel.risks.all().delete()
    with pytest.raises(ValidationError, match="risk assessment"):
        services.channel_approve(
            channel=channel, approver=person(cast, "headteacher"), on=timezone.localdate()
        )
    assert channel.status == Channel.Status.AWAITING_APPROVAL
    assert public_channels(cast.school) == []


def test_approval_lasts_a_year_and_can_be_renewed(cast: Cast) -> None:
    channel = make_channel(cast, approve=False)
    head = person(cast, "headteacher")
    approved_on = dt.date(2026, 1, 10)
    services.channel_approve(channel=channel, approver=head, on=approved_on)
    assert channel.is_active(dt.date(2026, 12, 31))
    assert not channel.is_active(dt.date(2027, 1, 11))
    assert due_for_reapproval(cast.school, on=dt.date(2026, 12, 20)) == [channel]
    services.channel_approve(channel=channel, approver=head, on=dt.date(2027, 1, 5))
    assert channel.is_active(dt.date(2027, 6, 1))
    assert AuditEntry.objects.filter(action="channels.channel_approved").count() == 2


def test_lapsed_approval_stops_drafting_with_the_reason(cast: Cast) -> None:
    channel = make_channel(cast, approve=False)
    services.channel_approve(
        channel=channel,
        approver=person(cast, "headteacher"),
        on=timezone.localdate() - dt.timedelta(days=400),
    )
    author = person(cast, "channel_manager")
    services.manager_add(
        channel=channel, person=author, starts_on=dt.date(2020, 1, 1), actor=author
    )
    accept_aup(cast.school, author)
    reason = services.draft_refusal(person=author, channel=channel, on=timezone.localdate())
    assert "yearly approval has lapsed" in reason


def test_a_new_risk_or_purpose_sends_an_active_channel_back_for_approval(cast: Cast) -> None:
    channel = make_channel(cast)
    head = person(cast, "headteacher")
    services.risk_add(
        channel=channel, actor=head, risk="Trolls", likelihood=1, impact=1, mitigations="Block"
    )
    assert channel.status == Channel.Status.AWAITING_APPROVAL
    services.channel_approve(channel=channel, approver=head, on=timezone.localdate())
    services.channel_update(channel=channel, actor=head, purpose="Something else")
    assert channel.status == Channel.Status.AWAITING_APPROVAL


def test_a_risk_needs_likelihood_impact_and_mitigations(cast: Cast) -> None:
    channel = make_channel(cast)
    with pytest.raises(ValidationError) as error:
        services.risk_add(
            channel=channel,
            actor=person(cast, "headteacher"),
            risk="r",
            likelihood=7,
            impact=2,
            mitigations="",
        )
    assert {"likelihood", "mitigations"} <= set(error.value.message_dict)


def test_managers_hold_a_role_and_get_platform_access(cast: Cast) -> None:
    channel = make_channel(cast)
    head = person(cast, "headteacher")
    with pytest.raises(ValidationError, match="holds no channel manager or leadership role"):
        services.manager_add(
            channel=channel,
            person=person(cast, "teacher"),
            starts_on=dt.date(2024, 1, 1),
            actor=head,
        )
    with pytest.raises(ValidationError, match="current member of staff"):
        services.manager_add(
            channel=channel,
            person=person(cast, "parent"),
            starts_on=dt.date(2024, 1, 1),
            actor=head,
        )
    manager = services.manager_add(
        channel=channel,
        person=person(cast, "channel_manager"),
        starts_on=dt.date(2024, 1, 1),
        actor=head,
    )
    access = ChannelPlatformAccess.objects.get(person=manager.person)
    assert access.service_id == "facebook"
    with pytest.raises(ValidationError, match="already manages"):
        services.manager_add(
            channel=channel, person=manager.person, starts_on=dt.date(2024, 1, 1), actor=head
        )
    services.manager_end(manager=manager, on=dt.date(2024, 2, 1), actor=head)
    assert manager.ends_on == dt.date(2024, 1, 31)  # 1 February is the first day without
    access.refresh_from_db()
    assert access.ends_on == dt.date(2024, 1, 31)
    with pytest.raises(ValidationError, match="already stopped"):
        services.manager_end(manager=manager, on=dt.date(2024, 2, 1), actor=head)


def test_custody_log_leadership_only_handover_and_rotation(cast: Cast) -> None:
    channel = make_channel(cast)
    head = person(cast, "headteacher")
    lead = person(cast, "leadership")
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="not on the leadership team"):
        services.custody_record(
            channel=channel,
            kind=CustodyEvent.Kind.ISSUED,
            holder=person(cast, "teacher"),
            on=today,
            actor=head,
        )
    with pytest.raises(ValidationError, match="password"):
        services.custody_record(
            channel=channel,
            kind=CustodyEvent.Kind.ISSUED,
            holder=lead,
            on=today,
            actor=head,
            note="password: hunter2",
        )
    services.custody_record(
        channel=channel, kind=CustodyEvent.Kind.ISSUED, holder=lead, on=today, actor=head
    )
    assert login_holders(channel) == [lead]
    with pytest.raises(ValidationError) as error:
        services.custody_record(
            channel=channel,
            kind=CustodyEvent.Kind.HANDOVER,
            holder=head,
            from_person=person(cast, "dsl"),
            on=today,
            actor=head,
        )
    assert "from_person" in error.value.message_dict
    services.custody_record(
        channel=channel,
        kind=CustodyEvent.Kind.HANDOVER,
        holder=head,
        from_person=lead,
        on=today,
        actor=head,
    )
    assert login_holders(channel) == [head]
    services.custody_record(
        channel=channel, kind=CustodyEvent.Kind.ROTATED, holder=head, on=today, actor=head
    )
    with pytest.raises(ValidationError, match="does not hold"):
        services.custody_record(
            channel=channel, kind=CustodyEvent.Kind.ROTATED, holder=lead, on=today, actor=head
        )
    assert AuditEntry.objects.filter(action="channels.custody_recorded").count() == 3
