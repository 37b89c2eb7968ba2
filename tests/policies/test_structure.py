from __future__ import annotations

from safesocial.policies.demo import model_policy_text
from safesocial.policies.structure import parse_policy, plain_text, render_markdown
from tests.policies.factories import BODY

POLICY_MAP_IDS = ["F1", "F2", "F3", "F4", "1", "2", "3", "4", "4.1", "4.2", "5", "6", "7", "8"]


def test_sections_and_clauses_are_read_with_their_numbers() -> None:
    parsed = parse_policy(BODY)
    assert parsed.ok and parsed.title == "Test policy"
    assert parsed.section_refs == ["1", "2"]
    first = parsed.sections[0].clauses[1]
    assert first.ref == "1(2)" and "- in person" in first.text
    assert "<li>in person</li>" in first.html


def test_model_policy_covers_every_clause_of_the_policy_map() -> None:
    parsed = parse_policy(model_policy_text())
    assert parsed.ok, parsed.problems
    assert parsed.section_refs == POLICY_MAP_IDS


def test_text_without_numbered_structure_is_one_clear_problem() -> None:
    parsed = parse_policy("Our policy\n\nWe are nice online.\n\n## Aims\nBe kind.\n")
    messages = [str(p) for p in parsed.problems]
    assert messages[0].startswith("line 1: no numbered sections")
    assert messages[1].startswith("line 5: heading 'Aims' has no section number")
    assert len(messages) == 2  # not one line per stray paragraph


def test_duplicate_numbers_empty_sections_and_strays_name_their_lines() -> None:
    body = (
        "## 1 Aims\n"
        "1(1) One.\n"
        "1(1) Again.\n"
        "## 2 Empty\n"
        "## 1 Aims again\n"
        "1(2) Fine.\n"
        "## 3 Third\n"
        "Loose text.\n"
        "2(1) Wrong section.\n"
        "### 9.1 Orphan\n"
        "9.1(1) x\n"
    )
    messages = [str(p) for p in parse_policy(body).problems]
    assert "line 3: clause 1(1) is numbered twice (first on line 2)" in messages
    assert "line 4: section 2 has no clauses" in messages
    assert "line 5: section 1 is numbered twice (first on line 1)" in messages
    assert any(m.startswith("line 8: text under section 3 before its first") for m in messages)
    assert "line 9: clause 2(1) is under section 3, not 2" in messages
    assert "line 10: subsection 9.1 comes before its section 9" in messages


def test_markdown_is_escaped_never_raw_html() -> None:
    html = render_markdown("<script>alert(1)</script> [x](javascript:alert(1)) **bold**")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and "<strong>bold</strong>" in html


def test_plain_text_keeps_numbers() -> None:
    text = plain_text(parse_policy(BODY))
    assert "1 Aims" in text and "1(2) Everyone knows how to report." in text
