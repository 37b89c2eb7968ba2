"""The service catalogue: the project's data file plus each school's own entries.

The data file (data/services.json) is maintained with the project and validated by a test;
`catalogue_problems` says what is wrong with it in sentences. Domain lists (UT1 style) are
parsed here too, with every bad line named by its number.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DATA_FILE = Path(__file__).parent / "data" / "services.json"
_LABEL_PATTERN = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
# Two labels or more, checked in one match: lists run to millions of lines.
_DOMAIN = re.compile(rf"(?:{_LABEL_PATTERN}\.)+{_LABEL_PATTERN}")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    id: str
    name: str
    category: str
    domains: tuple[str, ...]
    minimum_age: int | None
    terms_url: str = ""
    checked_on: dt.date | None = None
    note: str = ""
    school_entry: bool = False


def valid_domain(text: str) -> bool:
    """A lower-case DNS name with at least two labels (no scheme, port, path or trailing dot)."""
    return len(text) <= 253 and _DOMAIN.fullmatch(text) is not None


def _entry_problems(index: int, raw: Any) -> list[str]:
    where = f"entry {index + 1}"
    if not isinstance(raw, dict):
        return [f"{where} is not an object"]
    where = f"entry {index + 1} ({raw.get('id', '?')})"
    problems = []
    required = {"id", "name", "category", "domains", "minimum_age", "terms_url", "checked_on"}
    for key in sorted(required - raw.keys()):
        problems.append(f"{where} has no {key}")
    for key in sorted(raw.keys() - required - {"note"}):
        problems.append(f"{where} has an unknown field {key}")
    if problems:
        return problems
    if not isinstance(raw["id"], str) or not _ID.match(raw["id"]):
        problems.append(f"{where}: id must be lower-case letters, digits and dashes")
    if not isinstance(raw["category"], str) or not _ID.match(raw["category"]):
        problems.append(f"{where}: category must be lower-case letters, digits and dashes")
    if not isinstance(raw["name"], str) or not raw["name"].strip():
        problems.append(f"{where}: name is empty")
    age = raw["minimum_age"]
    if age is not None and (not isinstance(age, int) or not 0 < age <= 21):
        problems.append(f"{where}: minimum_age must be a whole number of years or null")
    url = urlsplit(str(raw["terms_url"]))
    if url.scheme != "https" or not url.netloc:
        problems.append(f"{where}: terms_url must be an https address")
    try:
        dt.date.fromisoformat(str(raw["checked_on"]))
    except ValueError:
        problems.append(f"{where}: checked_on must be a date (YYYY-MM-DD)")
    domains = raw["domains"]
    if not isinstance(domains, list) or not domains:
        problems.append(f"{where}: domains must be a non-empty list")
    else:
        for domain in domains:
            if not isinstance(domain, str) or not valid_domain(domain):
                problems.append(f"{where}: {domain!r} is not a lower-case domain name")
        if len(set(domains)) != len(domains):
            problems.append(f"{where}: a domain is listed twice")
    return problems


def catalogue_problems(data: Any) -> list[str]:
    """Everything wrong with a catalogue document, as sentences; empty means usable."""
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        return ["the catalogue must be an object with a list called services"]
    problems: list[str] = []
    seen_ids: set[str] = set()
    seen_domains: dict[str, str] = {}
    for index, raw in enumerate(data["services"]):
        entry_problems = _entry_problems(index, raw)
        problems.extend(entry_problems)
        if entry_problems:
            continue
        if raw["id"] in seen_ids:
            problems.append(f"id {raw['id']!r} appears more than once")
        seen_ids.add(raw["id"])
        for domain in raw["domains"]:
            if domain in seen_domains:
                problems.append(
                    f"domain {domain!r} is in both {seen_domains[domain]} and {raw['id']}"
                )
            seen_domains[domain] = raw["id"]
    return problems


def _entry(raw: dict[str, Any]) -> CatalogueEntry:
    return CatalogueEntry(
        id=raw["id"],
        name=raw["name"],
        category=raw["category"],
        domains=tuple(raw["domains"]),
        minimum_age=raw["minimum_age"],
        terms_url=raw["terms_url"],
        checked_on=dt.date.fromisoformat(raw["checked_on"]),
        note=raw.get("note", ""),
    )


@lru_cache(maxsize=1)
def project_catalogue() -> tuple[CatalogueEntry, ...]:
    """The project's catalogue; raises ValueError if the data file is broken."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    problems = catalogue_problems(data)
    if problems:
        raise ValueError(f"{DATA_FILE.name}: " + "; ".join(problems[:10]))
    return tuple(_entry(raw) for raw in data["services"])


# --- domain lists (UT1 blacklists and the like) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedList:
    domains: tuple[str, ...]
    problems: tuple[LineProblem, ...]
    skipped_addresses: int

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_domain_list(text: str) -> ParsedList:
    """One domain per line; '#' starts a comment; blank lines are ignored.

    IP literals (UT1 lists carry some) are kept as exact entries, which the engine matches
    only exactly. A line that is neither is a problem, named by its line number.
    """
    domains: dict[str, None] = {}
    problems: list[LineProblem] = []
    addresses = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if len(line.split(None, 1)) > 1:
            problems.append(LineProblem(number, f"{line!r} holds more than one word"))
            continue
        candidate = line.lower().rstrip(".")
        if candidate.startswith("*."):
            candidate = candidate[2:]  # a wildcard adds nothing: each domain covers subdomains
        # Only what could be an address is parsed as one (an IPv4 address ends with a digit,
        # an IPv6 one holds a colon): the exception is slow, and lists are mostly names.
        if candidate[-1:].isdigit() or ":" in candidate or candidate.startswith("["):
            try:
                address = ipaddress.ip_address(candidate.strip("[]"))
            except ValueError:
                pass
            else:
                domains[str(address)] = None
                addresses += 1
                continue
        if not valid_domain(candidate):
            problems.append(LineProblem(number, f"{line!r} is not a domain name"))
            continue
        domains[candidate] = None
    return ParsedList(tuple(domains), tuple(problems), addresses)
