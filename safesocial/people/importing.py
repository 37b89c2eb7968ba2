"""MIS import: staff, learners and contacts from CSV exports (SIMS, Arbor and the like).

The whole file is checked before anything is written; one bad row and nothing is imported,
with every problem listed by line. Importing is idempotent by MIS id: a second run updates,
never duplicates, and people missing from a full export are marked as left, never deleted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from safesocial.audit.services import audit_record
from safesocial.people.models import ParentLink, Person, School

STAFF, LEARNERS, CONTACTS = "staff", "learners", "contacts"
KINDS = (STAFF, LEARNERS, CONTACTS)

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    STAFF: ("mis_id", "first_name", "last_name", "staff_type"),
    LEARNERS: ("mis_id", "first_name", "last_name", "date_of_birth", "year_group"),
    CONTACTS: ("mis_id", "first_name", "last_name", "learner_mis_id", "parental_responsibility"),
}
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    STAFF: ("email", "network_username", "start_date", "leaving_date"),
    LEARNERS: ("network_username", "start_date", "leaving_date"),
    CONTACTS: ("email", "relationship"),
}
STAFF_TYPES = {
    "teaching": Person.Kind.TEACHING_STAFF,
    "support": Person.Kind.SUPPORT_STAFF,
    "volunteer": Person.Kind.VOLUNTEER,
    "trustee": Person.Kind.TRUSTEE,
}
PERSON_KINDS_OF: dict[str, tuple[str, ...]] = {
    STAFF: tuple(STAFF_TYPES.values()),
    LEARNERS: (Person.Kind.LEARNER,),
    CONTACTS: (Person.Kind.PARENT,),
}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._@\\-]{1,150}$")
PERSON_FIELDS = (
    "kind",
    "first_name",
    "last_name",
    "email",
    "network_username",
    "date_of_birth",
    "year_group",
    "start_date",
    "leaving_date",
)


class ImportError_(Exception):
    """The file cannot be read at all (not a row problem)."""


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class PersonRow:
    line: int
    mis_id: str
    values: dict[str, Any]
    learner_mis_id: str = ""
    relationship: str = ""
    parental_responsibility: bool = False


@dataclass
class ImportPlan:
    kind: str
    rows: list[PersonRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    leaving: list[str] = field(default_factory=list)
    links: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (
            f"{len(self.created)} to add, {len(self.updated)} to update, "
            f"{len(self.unchanged)} unchanged, {len(self.leaving)} to mark as left"
        )


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark); anything else is named with its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportError_(
            f"line {line}: the file is not UTF-8 text (save it from the MIS as 'CSV UTF-8')"
        ) from None


def detect_kind(header: Iterable[str]) -> str | None:
    columns = set(header)
    if "learner_mis_id" in columns:
        return CONTACTS
    if "date_of_birth" in columns or "year_group" in columns:
        return LEARNERS
    if "staff_type" in columns:
        return STAFF
    return None


def parse_date(text: str) -> dt.date:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def _optional_date(raw: dict[str, str], name: str, problems: list[str]) -> dt.date | None:
    text = raw.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError as error:
        problems.append(f"{name}: {error}")
        return None


def _parse_row(kind: str, line: int, raw: dict[str, str]) -> tuple[PersonRow | None, list[str]]:
    problems: list[str] = []
    for column in REQUIRED_COLUMNS[kind]:
        if column != "parental_responsibility" and not raw.get(column, "").strip():
            problems.append(f"{column} is empty")
    values: dict[str, Any] = {
        "first_name": raw.get("first_name", "").strip()[:100],
        "last_name": raw.get("last_name", "").strip()[:100],
        "email": raw.get("email", "").strip(),
        "network_username": raw.get("network_username", "").strip(),
        "date_of_birth": None,
        "year_group": None,
        "start_date": _optional_date(raw, "start_date", problems),
        "leaving_date": _optional_date(raw, "leaving_date", problems),
    }
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            problems.append(f"email: {values['email']!r} is not an email address")
    if values["network_username"] and not USERNAME_PATTERN.match(values["network_username"]):
        problems.append("network_username: use letters, digits and . _ @ \\ - only")
    row = PersonRow(line=line, mis_id=raw.get("mis_id", "").strip(), values=values)
    if kind == STAFF:
        staff_type = raw.get("staff_type", "").strip().lower()
        if staff_type and staff_type not in STAFF_TYPES:
            problems.append(f"staff_type: {staff_type!r} is not one of {', '.join(STAFF_TYPES)}")
        values["kind"] = STAFF_TYPES.get(staff_type, Person.Kind.TEACHING_STAFF)
    elif kind == LEARNERS:
        values["kind"] = Person.Kind.LEARNER
        if raw.get("date_of_birth", "").strip():
            values["date_of_birth"] = _optional_date(raw, "date_of_birth", problems)
        year = raw.get("year_group", "").strip()
        if year:
            if not year.isdigit() or not 0 <= int(year) <= 14:
                problems.append(f"year_group: {year!r} is not a year from 0 (reception) to 14")
            else:
                values["year_group"] = int(year)
    else:
        values["kind"] = Person.Kind.PARENT
        row.learner_mis_id = raw.get("learner_mis_id", "").strip()
        row.relationship = raw.get("relationship", "").strip()[:50]
        answer = raw.get("parental_responsibility", "").strip().lower()
        if answer in YES:
            row.parental_responsibility = True
        elif answer not in NO:
            problems.append(f"parental_responsibility: {answer!r} is not yes or no")
    if (
        values["start_date"]
        and values["leaving_date"]
        and values["leaving_date"] < values["start_date"]
    ):
        problems.append("leaving_date is before start_date")
    return (None if problems else row), problems


def plan_import(
    *, school: School, data: bytes, kind: str | None = None, full: bool = True
) -> ImportPlan:
    """Read and check the whole file, then work out what would change. Writes nothing."""
    text = decode_csv(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise ImportError_("line 1: the file is empty; the first line must name the columns")
    reader.fieldnames = header
    detected = kind or detect_kind(header)
    if detected not in KINDS:
        raise ImportError_(
            "line 1: cannot tell whether this is a staff, learners or contacts file; "
            "pass --kind or check the column names"
        )
    plan = ImportPlan(kind=detected)
    known = set(REQUIRED_COLUMNS[detected]) | set(OPTIONAL_COLUMNS[detected])
    missing = [c for c in REQUIRED_COLUMNS[detected] if c not in header]
    unknown = [c for c in header if c not in known]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if missing:
        plan.problems.append(RowProblem(1, f"missing column(s): {', '.join(missing)}"))
    if unknown:
        plan.problems.append(RowProblem(1, f"unknown column(s): {', '.join(unknown)}"))
    if duplicated:
        plan.problems.append(RowProblem(1, f"column(s) named twice: {', '.join(duplicated)}"))
    if plan.problems:
        return plan

    seen_keys: dict[tuple[str, str], int] = {}
    seen_usernames: dict[str, str] = {}
    try:
        for raw in reader:
            line = reader.line_num
            if None in raw:
                plan.problems.append(RowProblem(line, "more values than columns"))
                continue
            if any(value is None for value in raw.values()):
                plan.problems.append(RowProblem(line, "fewer values than columns"))
                continue
            if not any(value.strip() for value in raw.values()):
                continue  # blank line
            row, problems = _parse_row(detected, line, raw)
            plan.problems.extend(RowProblem(line, message) for message in problems)
            if row is None:
                continue
            key = (row.mis_id, row.learner_mis_id)
            if key in seen_keys:
                plan.problems.append(
                    RowProblem(line, f"mis_id {row.mis_id!r} already on line {seen_keys[key]}")
                )
                continue
            seen_keys[key] = line
            username = row.values["network_username"].lower()
            if username:
                if username in seen_usernames and seen_usernames[username] != row.mis_id:
                    plan.problems.append(
                        RowProblem(line, "network_username is used by another person in the file")
                    )
                seen_usernames.setdefault(username, row.mis_id)
            plan.rows.append(row)
    except csv.Error as error:
        plan.problems.append(RowProblem(reader.line_num, f"not valid CSV: {error}"))
    if plan.problems:
        return plan
    _check_against_database(plan, school)
    if plan.problems:
        return plan
    _work_out_changes(plan, school, full)
    return plan


def _check_against_database(plan: ImportPlan, school: School) -> None:
    if plan.kind == CONTACTS:
        learner_ids = set(
            Person.objects.for_school(school)
            .filter(kind=Person.Kind.LEARNER)
            .values_list("mis_id", flat=True)
        )
        for row in plan.rows:
            if row.learner_mis_id not in learner_ids:
                plan.problems.append(
                    RowProblem(
                        row.line, f"learner_mis_id {row.learner_mis_id!r} is not a known learner"
                    )
                )
    existing = {
        mis_id: kind
        for mis_id, kind in Person.objects.for_school(school)
        .exclude(mis_id="")
        .values_list("mis_id", "kind")
    }
    allowed_kinds = PERSON_KINDS_OF[plan.kind]
    usernames = {
        name.lower(): mis_id
        for name, mis_id in Person.objects.for_school(school)
        .exclude(network_username="")
        .values_list("network_username", "mis_id")
    }
    for row in plan.rows:
        if row.mis_id in existing and existing[row.mis_id] not in allowed_kinds:
            plan.problems.append(
                RowProblem(row.line, f"mis_id {row.mis_id!r} belongs to a person of another kind")
            )
        username = row.values["network_username"].lower()
        if username and usernames.get(username, row.mis_id) != row.mis_id:
            plan.problems.append(
                RowProblem(row.line, "network_username is already used by another person")
            )


def _work_out_changes(plan: ImportPlan, school: School, full: bool) -> None:
    current = {
        person.mis_id: person
        for person in Person.objects.for_school(school).filter(kind__in=PERSON_KINDS_OF[plan.kind])
        if person.mis_id
    }
    seen: set[str] = set()
    for row in plan.rows:
        if row.mis_id in seen:
            continue  # a contact with several learners: one person, several links
        seen.add(row.mis_id)
        person = current.get(row.mis_id)
        if person is None:
            plan.created.append(row.mis_id)
        elif _changed_fields(person, row.values):
            plan.updated.append(row.mis_id)
        else:
            plan.unchanged.append(row.mis_id)
    if full:
        today = timezone.localdate()
        plan.leaving = sorted(
            mis_id
            for mis_id, person in current.items()
            if mis_id not in seen and (person.leaving_date is None or person.leaving_date > today)
        )
    plan.links = sum(1 for row in plan.rows if row.learner_mis_id)


def _changed_fields(person: Person, values: dict[str, Any]) -> list[str]:
    return [name for name in PERSON_FIELDS if getattr(person, name) != values[name]]


@transaction.atomic
def people_import(*, school: School, plan: ImportPlan, actor: Any = None) -> ImportPlan:
    """Apply a checked plan in one transaction, with an audit entry for every change."""
    if not plan.ok:
        raise ValueError("a plan with problems cannot be applied")
    current = {
        person.mis_id: person
        for person in Person.objects.for_school(school).filter(kind__in=PERSON_KINDS_OF[plan.kind])
        if person.mis_id
    }
    done: set[str] = set()
    learners = {
        p.mis_id: p for p in Person.objects.for_school(school).filter(kind=Person.Kind.LEARNER)
    }
    for row in plan.rows:
        person = current.get(row.mis_id)
        if row.mis_id not in done:
            done.add(row.mis_id)
            if person is None:
                person = Person(school=school, mis_id=row.mis_id, **row.values)
                person.full_clean()
                person.save()
                current[row.mis_id] = person
                audit_record(action="people.person_created", actor=actor, school=school, obj=person)
            else:
                changed = _changed_fields(person, row.values)
                if changed:
                    for name in changed:
                        setattr(person, name, row.values[name])
                    person.full_clean()
                    person.save(update_fields=changed)
                    audit_record(
                        action="people.person_updated",
                        actor=actor,
                        school=school,
                        obj=person,
                        fields=changed,
                    )
        if row.learner_mis_id:
            link, created = ParentLink.objects.get_or_create(
                school=school,
                parent=current[row.mis_id],
                learner=learners[row.learner_mis_id],
                defaults={
                    "relationship": row.relationship,
                    "parental_responsibility": row.parental_responsibility,
                },
            )
            if not created and (
                link.relationship != row.relationship
                or link.parental_responsibility != row.parental_responsibility
            ):
                link.relationship = row.relationship
                link.parental_responsibility = row.parental_responsibility
                link.save(update_fields=["relationship", "parental_responsibility"])
                audit_record(
                    action="people.parent_link_updated",
                    actor=actor,
                    school=school,
                    obj=link,
                    fields=["relationship", "parental_responsibility"],
                )
    today = timezone.localdate()
    for mis_id in plan.leaving:
        person = current[mis_id]
        person.leaving_date = today
        person.save(update_fields=["leaving_date"])
        audit_record(
            action="people.person_left",
            actor=actor,
            school=school,
            obj=person,
            fields=["leaving_date"],
        )
    audit_record(action=f"people.import_{plan.kind}", actor=actor, school=school)
    return plan
