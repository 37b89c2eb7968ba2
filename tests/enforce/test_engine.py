from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from safesocial.enforce.engine import HostError, PolicyEngine, normalise_host
from safesocial.enforce.snapshot import Rule

from .school import (
    AFTER_HOURS,
    CHANNEL_MANAGER,
    IN_HOURS,
    LEARNER,
    SANCTIONED,
    SANCTIONED_ADDRESS,
    TEACHER,
    VOLUNTEER,
    london,
    school_snapshot,
)


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine(school_snapshot())


def test_learner_denied_facebook_in_school_hours(engine: PolicyEngine) -> None:
    decision = engine.decide(LEARNER, "10.20.3.4", "www.facebook.com", IN_HOURS)
    assert not decision.allowed
    assert decision.rule_id == "learners-social-school-hours"
    assert decision.clause == "6"
    assert "Learners" in decision.reason


def test_learner_allowed_facebook_outside_school_hours(engine: PolicyEngine) -> None:
    decision = engine.decide(LEARNER, "10.20.3.4", "www.facebook.com", AFTER_HOURS)
    assert decision.allowed
    assert decision.rule_id == "default"


def test_cdn_domains_match_by_suffix(engine: PolicyEngine) -> None:
    for host in ("scontent-lhr8-1.xx.fbcdn.net", "FACEBOOK.com.", "m.facebook.com:443"):
        assert engine.decide(LEARNER, None, host, IN_HOURS).rule_id == (
            "learners-social-school-hours"
        ), host
    # A name that merely ends with the same letters is a different domain.
    assert engine.decide(LEARNER, None, "notfacebook.com", IN_HOURS).allowed
    assert engine.decide(LEARNER, None, "www.bbc.co.uk", IN_HOURS).allowed


def test_teacher_denied_personal_social_media_in_school_hours(engine: PolicyEngine) -> None:
    decision = engine.decide(TEACHER, "10.30.9.9", "www.instagram.com", IN_HOURS)
    assert (decision.allowed, decision.rule_id, decision.clause) == (
        False,
        "staff-social-school-hours",
        "4",
    )
    assert engine.decide(TEACHER, "10.30.9.9", "www.instagram.com", AFTER_HOURS).allowed


def test_channel_manager_allowed_their_channel_platform_only(engine: PolicyEngine) -> None:
    facebook = engine.decide(CHANNEL_MANAGER, "10.30.2.2", "www.facebook.com", IN_HOURS)
    assert (facebook.allowed, facebook.rule_id, facebook.clause) == (True, "channel-facebook", "5")
    tiktok = engine.decide(CHANNEL_MANAGER, "10.30.2.2", "www.tiktok.com", IN_HOURS)
    assert not tiktok.allowed and tiktok.rule_id == "staff-social-school-hours"


def test_sanctioned_learner_denied_everything(engine: PolicyEngine) -> None:
    for host in ("www.bbc.co.uk", "example.org", "www.facebook.com"):
        for at in (IN_HOURS, AFTER_HOURS):
            decision = engine.decide(SANCTIONED, None, host, at)
            assert not decision.allowed
            assert decision.clause == "3"
            assert decision.rule_id == "sanction:s-1"
            assert "removal of internet access" in decision.reason


def test_sanction_identified_by_fixed_address_without_login(engine: PolicyEngine) -> None:
    decision = engine.decide(None, SANCTIONED_ADDRESS, "www.bbc.co.uk", IN_HOURS)
    assert decision.rule_id == "sanction:s-1"
    # The neighbouring address is someone else.
    assert engine.decide(None, "10.20.0.16", "www.bbc.co.uk", IN_HOURS).allowed


def test_sanction_takes_effect_from_the_next_request() -> None:
    start = IN_HOURS.astimezone(UTC) + timedelta(seconds=20)
    engine = PolicyEngine(school_snapshot(sanction_start=start))
    assert engine.decide(SANCTIONED, None, "www.bbc.co.uk", start - timedelta(seconds=1)).allowed
    after = engine.decide(SANCTIONED, None, "www.bbc.co.uk", start)
    assert after.rule_id == "sanction:s-1"


def test_login_takes_precedence_over_address(engine: PolicyEngine) -> None:
    # Alice logs in on the sanctioned learner's usual machine: she is not sanctioned.
    decision = engine.decide(LEARNER, SANCTIONED_ADDRESS, "www.bbc.co.uk", IN_HOURS)
    assert decision.allowed


def test_address_range_maps_to_person(engine: PolicyEngine) -> None:
    decision = engine.decide(None, "10.30.1.2", "www.instagram.com", IN_HOURS)
    assert decision.rule_id == "staff-social-school-hours"
    assert engine.decide(None, "10.30.1.9", "www.instagram.com", IN_HOURS).allowed


def test_ipv6_client_mapped_to_segment(engine: PolicyEngine) -> None:
    guest = engine.decide(None, "2001:db8:99:1::25", "www.tiktok.com", AFTER_HOURS)
    assert (guest.allowed, guest.rule_id) == (False, "guest-wifi-social")
    elsewhere = engine.decide(None, "2001:db8:77::25", "www.tiktok.com", AFTER_HOURS)
    assert elsewhere.allowed
    assert engine.identify(None, "2001:db8:20::1").segment == "learner-devices"
    assert engine.identify(None, "::ffff:10.99.1.1").segment == "guest-wifi"


def test_ip_literal_host_matches_exact_entry(engine: PolicyEngine) -> None:
    assert engine.decide(LEARNER, None, "198.51.100.7", IN_HOURS).rule_id == (
        "learners-social-school-hours"
    )
    assert engine.decide(LEARNER, None, "198.51.100.7:8080", IN_HOURS).clause == "6"
    assert engine.decide(LEARNER, None, "51.100.7", IN_HOURS).allowed
    assert normalise_host("[2001:DB8::1]:443") == "2001:db8::1"


def test_adult_content_denied_to_everyone_including_anonymous(engine: PolicyEngine) -> None:
    for user in (LEARNER, TEACHER, VOLUNTEER, None, "unknown.user"):
        decision = engine.decide(user, "192.0.2.1", "video.adult.example", AFTER_HOURS)
        assert decision.rule_id == "adult-everyone", user


def test_unknown_user_falls_back_to_address() -> None:
    engine = PolicyEngine(school_snapshot())
    decision = engine.decide("stranger", SANCTIONED_ADDRESS, "www.bbc.co.uk", IN_HOURS)
    assert decision.rule_id == "sanction:s-1"


@pytest.mark.parametrize("host", ["", "   ", ".", "[::1", "a:b:c"])
def test_unusable_hosts_raise_host_error(engine: PolicyEngine, host: str) -> None:
    with pytest.raises(HostError):
        engine.decide(LEARNER, None, host, IN_HOURS)


def test_naive_time_is_refused(engine: PolicyEngine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.decide(LEARNER, None, "www.facebook.com", datetime(2025, 3, 4, 10, 0))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (london(2025, 3, 4, 8, 29), False),  # before the session
        (london(2025, 3, 4, 8, 30), True),
        (london(2025, 3, 4, 15, 29), True),
        (london(2025, 3, 4, 15, 30), False),  # end is exclusive
        (london(2025, 3, 7, 12, 59), True),  # Friday: short day
        (london(2025, 3, 7, 13, 0), False),
        (london(2025, 3, 8, 10, 0), False),  # Saturday
        (london(2025, 1, 6, 10, 0), False),  # INSET day (Monday, in term)
        (london(2025, 1, 7, 10, 0), True),
        (london(2025, 5, 5, 10, 0), False),  # early May bank holiday
        (london(2025, 5, 6, 10, 0), True),
        (london(2025, 4, 14, 10, 0), False),  # Easter holiday, between terms
        (london(2025, 7, 23, 10, 0), False),  # after the summer term
    ],
)
def test_school_hours_from_calendar(engine: PolicyEngine, at: datetime, expected: bool) -> None:
    assert engine.is_school_hours(at) is expected
    decision = engine.decide(LEARNER, None, "www.facebook.com", at)
    assert decision.allowed is not expected


def test_clock_change_week_uses_local_wall_clock(engine: PolicyEngine) -> None:
    # Friday 28 March 2025 is GMT; Monday 31 March is BST (UTC+1).
    friday_0845_gmt = datetime(2025, 3, 28, 8, 45, tzinfo=UTC)
    monday_0845_bst = datetime(2025, 3, 31, 7, 45, tzinfo=UTC)
    monday_1545_bst = datetime(2025, 3, 31, 14, 45, tzinfo=UTC)
    monday_0815_bst = datetime(2025, 3, 31, 7, 15, tzinfo=UTC)
    assert engine.is_school_hours(friday_0845_gmt)
    assert engine.is_school_hours(monday_0845_bst)  # 07:45 UTC is 08:45 in London
    assert not engine.is_school_hours(monday_1545_bst)  # 14:45 UTC is 15:45 in London
    assert not engine.is_school_hours(monday_0815_bst)


def test_first_matching_rule_wins_and_order_matters() -> None:
    base = school_snapshot()
    allow_all_learners = Rule(
        "learners-bitesize-and-facebook", "6", "trial", "allow", groups=("learners",)
    )
    reordered = dataclasses.replace(base, rules=(allow_all_learners, *base.rules))
    engine = PolicyEngine(reordered)
    assert engine.decide(LEARNER, None, "www.facebook.com", IN_HOURS).rule_id == (
        "learners-bitesize-and-facebook"
    )


def test_default_deny_when_configured() -> None:
    engine = PolicyEngine(dataclasses.replace(school_snapshot(), default_action="deny"))
    decision = engine.decide(LEARNER, None, "example.org", AFTER_HOURS)
    assert (decision.allowed, decision.rule_id) == (False, "default")


def test_most_specific_domain_decides() -> None:
    base = school_snapshot()
    services = list(base.services)
    services.append(dataclasses.replace(services[4], id="bitesize-video", domains=("bbc.com",)))
    services[4] = dataclasses.replace(services[4], domains=("bbc.co.uk", "video.facebook.com"))
    engine = PolicyEngine(dataclasses.replace(base, services=tuple(services)))
    assert engine.services_for("x.video.facebook.com") == ("bitesize",)
    assert engine.services_for("www.facebook.com") == ("facebook",)
    assert engine.decide(LEARNER, None, "x.video.facebook.com", IN_HOURS).allowed
