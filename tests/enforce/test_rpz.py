from __future__ import annotations

import dataclasses
from pathlib import Path

from safesocial.enforce.rpz import (
    dns_blocked_services,
    plan_zones,
    switch_commands,
    switch_commands_at,
    write_rpz,
    zone_text,
)
from safesocial.enforce.snapshot import Rule, Segment

from .school import london, school_snapshot


def _segment(name: str) -> Segment:
    return next(s for s in school_snapshot().segments if s.name == name)


def test_learner_segment_blocks_social_media_only_in_school_hours() -> None:
    snapshot = school_snapshot()
    in_hours = dns_blocked_services(snapshot, _segment("learner-devices"), school_hours=True)
    after = dns_blocked_services(snapshot, _segment("learner-devices"), school_hours=False)
    assert in_hours == {"facebook", "instagram", "tiktok", "chatlit", "adult"}
    assert after == {"adult"}


def test_person_exception_keeps_service_resolvable_where_that_person_works() -> None:
    snapshot = school_snapshot()
    staff = dns_blocked_services(snapshot, _segment("staff-devices"), school_hours=True)
    assert "facebook" not in staff  # the channel manager (staff) may use it
    assert "instagram" in staff


def test_group_deny_does_not_reach_a_segment_open_to_anyone() -> None:
    snapshot = school_snapshot()
    open_segment = Segment("library", ("10.50.0.0/16",), "school-owned", ())
    blocked = dns_blocked_services(snapshot, open_segment, school_hours=True)
    assert blocked == {"adult"}  # only the rule for everyone applies


def test_default_deny_blocks_everything_not_allowed() -> None:
    snapshot = dataclasses.replace(
        school_snapshot(),
        default_action="deny",
        rules=(Rule("edu", "3", "education allowed", "allow", categories=("education",)),),
    )
    blocked = dns_blocked_services(snapshot, _segment("guest-wifi"), school_hours=False)
    assert "bitesize" not in blocked
    assert {"facebook", "adult"} <= blocked


def test_zone_file_blocks_names_and_subdomains(tmp_path: Path) -> None:
    export = write_rpz(school_snapshot(version=42), tmp_path)
    zone = next(z for z in export.zones if z.name.startswith("school-hours.learner-devices."))
    text = (tmp_path / zone.filename).read_text()
    assert f"$ORIGIN {zone.name}." in text
    assert " 42 3600 " in text  # SOA serial follows the snapshot version
    assert "\nfacebook.com CNAME .\n" in text
    assert "\n*.fbcdn.net CNAME .\n" in text
    assert "\n32.7.100.51.198.rpz-ip CNAME .\n" in text
    assert "bbc.co.uk" not in text


def test_unbound_snippet_tags_segments_and_loads_zones(tmp_path: Path) -> None:
    export = write_rpz(school_snapshot(), tmp_path)
    config = export.config_path.read_text()
    assert 'define-tag: "ss_learner_devices ss_staff_devices ss_guest_wifi"' in config
    assert 'access-control-tag: 2001:db8:99::/48 "ss_guest_wifi"' in config
    assert 'module-config: "respip validator iterator"' in config
    for zone in export.zones:
        block = config.split(f"name: {zone.name}\n", 1)[1].split("\n\n", 1)[0]
        assert f"zonefile: {tmp_path.resolve() / zone.filename}" in block
        assert "rpz-log: yes" in block
        assert f'tags: "{zone.tag}"' in block
    assert config.count("rpz:\n") == len(export.zones) == 5


def test_switch_commands_follow_school_hours() -> None:
    zones = plan_zones(school_snapshot())
    on = switch_commands(zones, school_hours=True)
    off = switch_commands(zones, school_hours=False)
    by_zone_on = {c[2]: c[1] for c in on}
    by_zone_off = {c[2]: c[1] for c in off}
    for zone in zones:
        if zone.state == "always":
            assert by_zone_on[zone.name] == by_zone_off[zone.name] == "rpz_enable"
        else:
            assert by_zone_on[zone.name] == "rpz_enable"
            assert by_zone_off[zone.name] == "rpz_disable"
    assert all(c[0] == "unbound-control" for c in on)


def test_switch_at_a_moment_uses_the_calendar() -> None:
    snapshot = school_snapshot()
    inset = switch_commands_at(snapshot, london(2025, 1, 6, 10, 0), control=("uc", "-c", "x"))
    term = switch_commands_at(snapshot, london(2025, 1, 7, 10, 0), control=("uc", "-c", "x"))
    school_zone = next(z.name for z in plan_zones(snapshot) if z.state == "school-hours")
    assert ["uc", "-c", "x", "rpz_disable", school_zone] in inset
    assert ["uc", "-c", "x", "rpz_enable", school_zone] in term


def test_zone_text_is_deterministic() -> None:
    zones = plan_zones(school_snapshot())
    assert [zone_text(z, 1) for z in zones] == [
        zone_text(z, 1) for z in plan_zones(school_snapshot())
    ]
