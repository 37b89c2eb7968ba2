"""Automated checks on a draft post (clauses 4.1 and 5). No Django here: fast and testable alone.

Each finding says what to change. Severity "block" stops review and approval; "warn" asks the
author and the reviewer to look again.

- Learners' names from the school roster: one Aho-Corasick automaton (pyahocorasick) finds
  every first name and full name in one pass over the text. A full name blocks; a first name
  alone, written with a capital letter, warns (many first names are also ordinary words).
- Personal data: phone numbers, email addresses (except the school's own), UK postcodes,
  street addresses and dates of birth.
- Threatening, hurtful or offensive language: the linear model that alt-profanity-check ships
  inside its wheel (no download at run time), sentence by sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import ahocorasick

BLOCK = "block"
WARN = "warn"
OFFENSIVE_THRESHOLD = 0.75


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


# --- learners' names ----------------------------------------------------------------------

_WORD = re.compile(r"\w", re.UNICODE)


class Roster:
    """Learners' first and full names, compiled once into an automaton."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        automaton: Any = ahocorasick.Automaton()
        entries: dict[str, tuple[bool, str]] = {}
        for first, last in names:
            first = " ".join(first.split())
            last = " ".join(last.split())
            if not first:
                continue
            if last:
                entries[f"{first} {last}".lower()] = (True, f"{first} {last}")
            if len(first) >= 3:
                entries.setdefault(first.lower(), (False, first))
        for key, (full, shown) in entries.items():
            automaton.add_word(key, (len(key), full, shown))
        self.size = len(entries)
        if entries:
            automaton.make_automaton()
        self._automaton = automaton

    def find(self, text: str) -> list[Finding]:
        if not self.size:
            return []
        lowered = " ".join(text.split()).lower()
        original = " ".join(text.split())
        full_names: dict[str, None] = {}
        first_names: dict[str, None] = {}
        covered: list[tuple[int, int]] = []
        for end, (length, full, shown) in self._automaton.iter(lowered):
            start = end - length + 1
            before = lowered[start - 1] if start > 0 else " "
            after = lowered[end + 1] if end + 1 < len(lowered) else " "
            if _WORD.match(before) or _WORD.match(after):
                continue  # part of a longer word: "Ava" inside "lava"
            if full:
                full_names[shown] = None
                covered.append((start, end))
            elif original[start].isupper():
                first_names.setdefault(shown, None)
                covered.append((start, -end))
        findings = [
            Finding(
                "learner_full_name",
                BLOCK,
                f"Remove the name \u201c{name}\u201d: it is the full name of a learner at the "
                "school. Describe the group or the achievement instead of naming the learner.",
            )
            for name in full_names
        ]
        full_spans = [(s, e) for s, e in covered if e >= 0]
        for name in first_names:
            # A first name that is only the start of a full name already reported adds nothing.
            if any(name.lower() == lowered[s : s + len(name)] for s, _ in full_spans):
                continue
            findings.append(
                Finding(
                    "learner_first_name",
                    WARN,
                    f"\u201c{name}\u201d is the first name of a learner at the school. If the "
                    "post is about that learner, leave the name out.",
                )
            )
        return findings


# --- personal data ------------------------------------------------------------------------

_EMAIL = re.compile(r"\b[\w.+-]+@([\w-]+\.)+[a-z]{2,}\b", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|0)(?:\d[\s-]?){9,10}(?!\d)",
)
_POSTCODE = re.compile(
    r"\b(GIR ?0AA|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y])"
    r" ?\d[ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
_STREET = re.compile(
    r"\b\d{1,4}[a-z]?,?\s+(?:[A-Z][a-z]+\s+){1,3}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Crescent|Way|Gardens|Court|"
    r"Place|Grove|Terrace|Hill|Mews|Square|Walk|Row|Park)\b",
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?:\s+\d{4})?)"
)
_BIRTH = re.compile(
    r"\b(?:d\.?o\.?b\.?|date of birth|born(?:\s+on)?|birthday(?:\s+is)?(?:\s+on)?)"
    r"[\s:,-]*(?:the\s+)?" + _DATE,
    re.IGNORECASE,
)


def personal_data(text: str, *, allowed_email_domains: Sequence[str] = ()) -> list[Finding]:
    findings: list[Finding] = []
    allowed = {d.lower() for d in allowed_email_domains if d}
    for match in _EMAIL.finditer(text):
        domain = match.group(0).rsplit("@", 1)[-1].lower()
        if domain in allowed:
            continue
        findings.append(
            Finding(
                "email",
                BLOCK,
                f"Remove the email address \u201c{match.group(0)}\u201d. If people need to "
                "get in touch, point them to the school office.",
            )
        )
    for match in _PHONE.finditer(text):
        findings.append(
            Finding(
                "phone",
                BLOCK,
                f"Remove the phone number \u201c{match.group(0).strip()}\u201d. Give the school "
                "office's number on the website instead.",
            )
        )
    for match in _POSTCODE.finditer(text):
        findings.append(
            Finding(
                "postcode",
                BLOCK,
                f"Remove the postcode \u201c{match.group(0)}\u201d: a postcode can show where "
                "a learner or a family lives.",
            )
        )
    for match in _STREET.finditer(text):
        findings.append(
            Finding(
                "address",
                BLOCK,
                f"Remove the address \u201c{match.group(0)}\u201d: do not post where anyone "
                "lives. Name the town or the venue instead.",
            )
        )
    for match in _BIRTH.finditer(text):
        findings.append(
            Finding(
                "date_of_birth",
                BLOCK,
                f"Remove the date of birth in \u201c{match.group(0)}\u201d. You can say a "
                "learner had a birthday without giving the date.",
            )
        )
    return findings


# --- language -----------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@lru_cache(maxsize=1)
def _language_model() -> Any:
    from profanity_check import predict_prob  # the model ships in the wheel

    return predict_prob


def warm_up() -> None:
    """Load the language model now (it takes a second or two the first time)."""
    _language_model()(["hello"])


def offensive_language(text: str) -> list[Finding]:
    sentences = [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]
    if not sentences:
        return []
    scores = _language_model()(sentences)
    findings = []
    for sentence, score in zip(sentences, scores, strict=True):
        if float(score) >= OFFENSIVE_THRESHOLD:
            excerpt = sentence if len(sentence) <= 80 else sentence[:77] + "..."
            findings.append(
                Finding(
                    "offensive_language",
                    BLOCK,
                    f"Rewrite \u201c{excerpt}\u201d: it reads as threatening, hurtful or "
                    "offensive. Official posts must be positive and respectful.",
                )
            )
    return findings


# --- everything ---------------------------------------------------------------------------


def check_text(
    text: str, *, roster: Roster, allowed_email_domains: Sequence[str] = ()
) -> list[Finding]:
    findings: list[Finding] = []
    if not text.strip():
        findings.append(Finding("empty", BLOCK, "Write the text of the post."))
        return findings
    findings += roster.find(text)
    findings += personal_data(text, allowed_email_domains=allowed_email_domains)
    findings += offensive_language(text)
    return findings
