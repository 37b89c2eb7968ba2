"""The automated checks alone (no database): names, personal data, language."""

from __future__ import annotations

from safesocial.channels.checks import BLOCK, WARN, Roster, check_text

ROSTER = Roster([("Amelia", "Hartley"), ("Will", "Jones"), ("Ava", "Singh"), ("Jo", "Li")])


def codes(text: str, **kwargs: object) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in check_text(text, roster=ROSTER, **kwargs)]  # type: ignore[arg-type]


def test_a_clean_post_passes() -> None:
    assert codes("Year 6 visited the science museum today. What a brilliant trip!") == []


def test_a_full_name_blocks_and_says_what_to_change() -> None:
    findings = check_text("Well done to amelia  hartley for her medal.", roster=ROSTER)
    assert [(f.code, f.severity) for f in findings] == [("learner_full_name", BLOCK)]
    assert "Amelia Hartley" in findings[0].message and "instead" in findings[0].message


def test_a_first_name_alone_warns_only_when_written_as_a_name() -> None:
    assert codes("Ava scored the winning goal.") == [("learner_first_name", WARN)]
    # Ordinary words that are also first names, and names inside longer words, pass.
    assert codes("We will look at lava flows and avalanches.") == []
    # Names shorter than three letters are too common to flag alone.
    assert codes("Jo said hello.") == []


def test_personal_data_blocks_each_kind() -> None:
    text = (
        "Call 07700 900123 or +44 20 7946 0958. Email jo.bloggs@gmail.com. "
        "Visit 12 Acacia Avenue, ME1 1AA. Born on 3 May 2015."
    )
    found = codes(text)
    for code in ("phone", "email", "postcode", "address", "date_of_birth"):
        assert (code, BLOCK) in found, code


def test_dates_of_birth_in_other_spellings() -> None:
    assert ("date_of_birth", BLOCK) in codes("DOB: 03/05/2015")
    assert ("date_of_birth", BLOCK) in codes("Her birthday is on the 4th of June")
    assert codes("Sports day is on 4 June.") == []


def test_the_schools_own_email_is_allowed() -> None:
    assert (
        codes("Questions to office@school.example", allowed_email_domains=["school.example"]) == []
    )
    assert ("email", BLOCK) in codes("Questions to office@school.example")


def test_offensive_language_blocks_with_the_sentence() -> None:
    findings = check_text("Great match today. You are a stupid idiot.", roster=ROSTER)
    assert [(f.code, f.severity) for f in findings] == [("offensive_language", BLOCK)]
    assert "You are a stupid idiot." in findings[0].message


def test_empty_text_blocks() -> None:
    assert codes("   ") == [("empty", BLOCK)]


def test_an_empty_roster_finds_no_names() -> None:
    assert check_text("Amelia Hartley won.", roster=Roster([])) == []
