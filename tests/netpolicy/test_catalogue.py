"""The catalogue data file, the school's own entries, and domain-list imports."""

from __future__ import annotations

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safesocial.netpolicy.catalogue import (
    DATA_FILE,
    catalogue_problems,
    parse_domain_list,
    project_catalogue,
    valid_domain,
)
from safesocial.netpolicy.models import CustomService
from safesocial.netpolicy.selectors import school_catalogue, service_minimum_age
from safesocial.people.models import School

REQUIRED = {
    "facebook", "messenger", "instagram", "threads", "tiktok", "snapchat", "x", "reddit",
    "discord", "pinterest", "tumblr", "twitch", "whatsapp", "telegram", "linkedin", "bluesky",
    "mastodon", "bereal", "youtube",
}  # fmt: skip


def _data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def test_the_data_file_is_valid_and_complete() -> None:
    data = _data()
    assert catalogue_problems(data) == []
    ids = [s["id"] for s in data["services"]]
    assert set(ids) >= REQUIRED
    assert ids == sorted(ids), "keep entries sorted by id"
    by_id = {e.id: e for e in project_catalogue()}
    assert by_id["youtube"].category == "video"  # its own entry, not under Google
    assert "fbcdn.net" in by_id["facebook"].domains  # CDN domains are included
    assert all(e.terms_url.startswith("https://") and e.checked_on for e in by_id.values())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s.pop("checked_on"), "has no checked_on"),
        (lambda s: s.update(minimum_age="13"), "minimum_age must be"),
        (lambda s: s.update(terms_url="http://example.com"), "https address"),
        (lambda s: s.update(domains=["Facebook.com"]), "not a lower-case domain"),
        (lambda s: s.update(domains=["instagram.com"]), "in both"),
        (lambda s: s.update(checked_on="last week"), "checked_on must be a date"),
        (lambda s: s.update(colour="blue"), "unknown field colour"),
    ],
)
def test_a_broken_entry_is_named(change: object, expected: str) -> None:
    data = copy.deepcopy(_data())
    change(data["services"][0])  # type: ignore[operator]
    problems = catalogue_problems(data)
    assert any(expected in p for p in problems), problems


def test_service_minimum_age() -> None:
    assert service_minimum_age("instagram") == 13
    assert service_minimum_age("telegram") == 16
    assert service_minimum_age("no-such-service") is None


def test_a_school_entry_joins_the_catalogue(school: School) -> None:
    CustomService.objects.create(
        school=school,
        service_id="yubo",
        name="Yubo",
        category="social",
        domains="yubo.live",
        minimum_age=13,
    )
    ids = {e.id for e in school_catalogue(school)}
    assert "yubo" in ids and "facebook" in ids
    assert service_minimum_age("yubo", school=school) == 13
    assert service_minimum_age("yubo") is None  # without the school, only the project's


def test_parse_domain_list_handles_ut1_style() -> None:
    parsed = parse_domain_list(
        "# gambling list\n\nbet.example\nCASINO.example.\n*.poker.example\n"
        "192.0.2.7\nbet.example  # again\n"
    )
    assert parsed.ok
    assert parsed.domains == ("bet.example", "casino.example", "poker.example", "192.0.2.7")
    assert parsed.skipped_addresses == 1


def test_parse_domain_list_tells_addresses_from_names() -> None:
    parsed = parse_domain_list(
        "[2001:db8::5]\n2001:DB8::6\nnumbers.123\n10.0.0.300\nsite.example\n"
    )
    assert parsed.ok
    # 10.0.0.300 is no address but is a well-formed name (all-digit labels are allowed).
    assert parsed.domains == (
        "2001:db8::5", "2001:db8::6", "numbers.123", "10.0.0.300", "site.example"
    )  # fmt: skip
    assert parsed.skipped_addresses == 2


def test_valid_domain_takes_whole_names_only() -> None:
    assert valid_domain("a.b") and valid_domain("x_y.example") and valid_domain(("a" * 63) + ".b")
    for bad in ("example", "a..b", ".a.b", "a.b.", "-a.b", "a-.b", "a.b\n", "A.b", "a b.c"):
        assert not valid_domain(bad), bad
    assert not valid_domain(("a" * 64) + ".b") and not valid_domain("ab." * 84 + "ab")


def test_parse_domain_list_names_bad_lines() -> None:
    parsed = parse_domain_list("good.example\nhttp://bad.example/path\ntwo words\n-x-.example\n")
    assert [p.line for p in parsed.problems] == [2, 3, 4]


def _import(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("netpolicy_import_list", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_list_command(school: School, tmp_path: Path) -> None:
    good = tmp_path / "domains"
    good.write_text("# UT1 gambling\nbet.example\ncasino.example\n198.51.100.9\n")
    out, _ = _import("--school", "test", "--category", "gambling", str(good))
    assert "Imported 3 entries" in out
    entry = CustomService.objects.get(school=school, category="gambling")
    assert entry.domain_list() == ["bet.example", "casino.example", "198.51.100.9"]


def test_import_list_with_bad_lines_writes_nothing(school: School, tmp_path: Path) -> None:
    bad = tmp_path / "domains"
    bad.write_text("bet.example\nnot a domain\ncasino.example\nhttps://x.example/\n")
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(
            "netpolicy_import_list", "--school", "test", "--category", "gambling", str(bad),
            stderr=err,
        )  # fmt: skip
    assert raised.value.returncode == 2
    assert "line 2:" in err.getvalue() and "line 4:" in err.getvalue()
    assert "nothing was imported" in str(raised.value)
    assert not CustomService.objects.exists()


def test_import_list_refuses_unknown_school_and_missing_file(
    school: School, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="no school with the slug 'nope'") as raised:
        _import("--school", "nope", "--category", "x", str(tmp_path / "f"))
    assert raised.value.returncode == 2
    with pytest.raises(CommandError, match="cannot read"):
        _import("--school", "test", "--category", "x", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="--category"):
        _import("--school", "test", "--category", "Bad Name", str(tmp_path / "missing"))
