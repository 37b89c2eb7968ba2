"""A policy's text: Markdown with numbered sections and clauses.

    # Social media policy            (optional title line)

    ## F1 Copies of this policy      (a section: F1..Fn for front matter, 1, 2, 4.1...)
    F1(1) The first clause of section F1; lines that follow belong to it,
    - including Markdown bullet lists.
    F1(2) The second clause.

    ### 4.1 Reputation               (a subsection: its parent section 4 comes first)
    4.1(1) ...

Section ids are the clause ids of POLICY-MAP.md; a clause is `<section id>(<n>)`. Parsing
lists every problem with its line, so an import can refuse the whole file at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from markdown_it import MarkdownIt

HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*#*\s*$")
SECTION_HEADING = re.compile(r"^(F\d+|\d+(?:\.\d+)?)\.?\s+(\S.*)$")
CLAUSE = re.compile(r"^(F\d+|\d+(?:\.\d+)?)\((\d+)\)\s*(.*)$")


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Clause:
    section: str
    number: int
    line: int
    lines: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.section}({self.number})"

    @property
    def anchor(self) -> str:
        return "c-" + self.ref.replace(".", "-").replace("(", "-").rstrip(")")

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()

    @property
    def html(self) -> str:
        return render_markdown(self.text)


@dataclass
class Section:
    ref: str
    title: str
    level: int
    line: int
    clauses: list[Clause] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "s-" + self.ref.replace(".", "-")

    @property
    def is_subsection(self) -> bool:
        return "." in self.ref


@dataclass
class ParsedPolicy:
    title: str = ""
    sections: list[Section] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def section_refs(self) -> list[str]:
        return [section.ref for section in self.sections]


@cache
def _markdown() -> MarkdownIt:
    # CommonMark with raw HTML off: whatever is typed is shown as text, never run as markup.
    return MarkdownIt("commonmark", {"html": False}).disable("image")


def render_markdown(text: str) -> str:
    return _markdown().render(text)


def parse_policy(body: str) -> ParsedPolicy:
    result = ParsedPolicy()
    sections: dict[str, Section] = {}
    clauses: dict[str, Clause] = {}
    section: Section | None = None
    clause: Clause | None = None
    problems = result.problems
    for number, raw in enumerate(body.splitlines(), start=1):
        line = raw.rstrip()
        heading = HEADING.match(line)
        if heading:
            level, text = len(heading.group(1)), heading.group(2)
            if level == 1 and section is None and not result.title:
                result.title = text
                continue
            match = SECTION_HEADING.match(text)
            if level not in (2, 3) or match is None:
                problems.append(
                    Problem(
                        number,
                        f"heading {text!r} has no section number "
                        "(write it as '## 3 Title' or '### 4.1 Title')",
                    )
                )
                section, clause = None, None
                continue
            ref, title = match.group(1), match.group(2)
            if ref in sections:
                problems.append(
                    Problem(
                        number,
                        f"section {ref} is numbered twice (first on line {sections[ref].line})",
                    )
                )
            elif "." in ref and ref.split(".")[0] not in sections:
                problems.append(
                    Problem(
                        number, f"subsection {ref} comes before its section {ref.split('.')[0]}"
                    )
                )
            section = Section(ref=ref, title=title, level=level, line=number)
            clause = None
            if ref not in sections:
                sections[ref] = section
                result.sections.append(section)
            continue
        found = CLAUSE.match(line)
        if found:
            ref, count, text = found.group(1), int(found.group(2)), found.group(3)
            key = f"{ref}({count})"
            if section is None:
                problems.append(Problem(number, f"clause {key} is not under a numbered section"))
                clause = None
                continue
            if ref != section.ref:
                problems.append(
                    Problem(number, f"clause {key} is under section {section.ref}, not {ref}")
                )
                clause = None
                continue
            if key in clauses:
                problems.append(
                    Problem(
                        number,
                        f"clause {key} is numbered twice (first on line {clauses[key].line})",
                    )
                )
                clause = None
                continue
            if not text:
                problems.append(Problem(number, f"clause {key} has no text"))
            clause = Clause(section=ref, number=count, line=number, lines=[text])
            clauses[key] = clause
            section.clauses.append(clause)
            continue
        if not line.strip():
            if clause is not None:
                clause.lines.append("")
            continue
        if clause is not None:
            clause.lines.append(raw)
        elif section is not None:
            problems.append(
                Problem(
                    number,
                    f"text under section {section.ref} before its first numbered clause "
                    f"(start it with {section.ref}(1))",
                )
            )
        elif not sections:
            problems.append(Problem(number, "text before the first numbered section"))
    if not result.sections:
        # One clear message rather than one per paragraph of an unstructured file.
        problems[:] = [p for p in problems if not p.message.startswith("text before")]
        problems.append(
            Problem(1, "no numbered sections: start each with a heading such as '## 1 Aims'")
        )
    for found_section in result.sections:
        if not found_section.clauses:
            problems.append(
                Problem(found_section.line, f"section {found_section.ref} has no clauses")
            )
    problems.sort(key=lambda problem: problem.line)
    return result


def plain_text(parsed: ParsedPolicy) -> str:
    """The policy as plain text, for the .txt copy and screen readers that prefer it."""
    lines: list[str] = []
    for section in parsed.sections:
        heading = f"{section.ref} {section.title}"
        lines += ["", heading, "-" * len(heading) if section.is_subsection else "=" * len(heading)]
        for clause in section.clauses:
            text = clause.text.replace("\n\n", "\n")
            lines += ["", f"{clause.ref} {text}"]
    return "\n".join(lines).strip() + "\n"
