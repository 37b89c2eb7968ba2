"""Demo network policy for the demo school: segments, the default rules, a channel manager's
access, a remote-learning approval, a sanction for `learner-sanctioned`, and a compiled
snapshot. Idempotent. The address ranges are private (RFC 1918) configuration strings only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from safesocial.netpolicy.models import (
    ChannelPlatformAccess,
    Group,
    RemoteLearningApproval,
    Sanction,
    Segment,
)
from safesocial.netpolicy.services import default_rules_install, snapshot_compile
from safesocial.people.models import Person, School

SEGMENTS = (
    ("learner-devices", "Learner devices", "10.20.0.0/16", "school-owned", [Group.LEARNERS]),
    ("staff-devices", "Staff devices", "10.30.0.0/16", "school-owned", [Group.STAFF]),
    (
        "personal-devices",
        "Staff personal devices (BYOD)",
        "10.40.0.0/16",
        "personal",
        [Group.STAFF, Group.VOLUNTEERS],
    ),
    ("guest-wifi", "Guest Wi-Fi", "192.168.100.0/24", "guest", [Group.GUESTS]),
)


def _login(school: School, username: str) -> Person | None:
    return Person.objects.for_school(school).filter(network_username=username).first()


def load_demo_data(*, school: School, today: dt.date) -> None:
    for name, label, cidr, kind, groups in SEGMENTS:
        Segment.objects.get_or_create(
            school=school,
            name=name,
            defaults={"label": label, "cidrs": cidr, "kind": kind, "expected_groups": groups},
        )
    default_rules_install(school=school, actor_label="load-demo")

    tz = ZoneInfo(settings.TIME_ZONE)
    channel_manager = _login(school, "channel-manager")
    if channel_manager and not ChannelPlatformAccess.objects.for_school(school).exists():
        ChannelPlatformAccess.objects.create(
            school=school,
            person=channel_manager,
            service_id="facebook",
            channel="the school's Facebook page",
            starts_on=today - dt.timedelta(days=30),
        )
    sanctioned = _login(school, "learner-sanctioned")
    if sanctioned and not Sanction.objects.for_school(school).filter(person=sanctioned).exists():
        Sanction.objects.create(
            school=school,
            person=sanctioned,
            starts_at=dt.datetime.combine(today - dt.timedelta(days=1), dt.time(8, 0), tz),
            ends_at=dt.datetime.combine(today + dt.timedelta(days=13), dt.time(16, 0), tz),
            reason="Repeated use of a VPN to reach social media in lessons (demo)",
            source=Sanction.Source.DIRECT,
        )
    dsl, head, network_manager = (
        _login(school, "dsl"),
        _login(school, "headteacher"),
        _login(school, "network-manager"),
    )
    have_approvals = RemoteLearningApproval.objects.for_school(school).exists()
    if dsl and head and network_manager and not have_approvals:
        now = timezone.now()
        RemoteLearningApproval.objects.create(
            school=school,
            service_id="pinterest",
            groups=[Group.LEARNERS],
            purpose="Mood boards for art and design coursework",
            risk_assessment=(
                "Boards are made in lessons on school devices, kept secret (not public), "
                "with no comments or messages. Staff check boards weekly."
            ),
            proposed_by=network_manager,
            proposed_at=now,
            dsl_signed_by=dsl,
            dsl_signed_at=now,
            head_signed_by=head,
            head_signed_at=now,
        )
        RemoteLearningApproval.objects.create(
            school=school,
            service_id="threads",
            groups=[Group.STAFF],
            purpose="Following subject associations' updates in department time",
            risk_assessment="Read only; staff do not post from school accounts.",
            proposed_by=network_manager,
            proposed_at=now,
            dsl_signed_by=dsl,
            dsl_signed_at=now,
        )
    snapshot_compile(school=school, actor_label="load-demo")
