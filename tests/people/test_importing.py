from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safesocial.audit.models import AuditEntry
from safesocial.people.importing import ImportError_, people_import, plan_import
from safesocial.people.models import ParentLink, Person, School

STAFF = """mis_id,first_name,last_name,staff_type,email,network_username,start_date,leaving_date
S1,Ada,Kestrel,teaching,ada@school.example,akestrel,2019-09-01,
S2,Bo,Lindqvist,support,,blind,01/09/2020,
S3,Cy,Moray,volunteer,,,,
"""
LEARNERS = """mis_id,first_name,last_name,date_of_birth,year_group,network_username
L1,Dee,Norland,2013-04-02,8,dnorland
L2,Eli,Ostrow,2012-11-30,9,
"""
CONTACTS = """mis_id,first_name,last_name,email,learner_mis_id,relationship,parental_responsibility
C1,Fay,Norland,fay@home.example,L1,Mother,yes
C1,Fay,Norland,fay@home.example,L2,Aunt,no
C2,Gus,Ostrow,,L2,Father,Y
"""


def run(school: School, text: str, **kwargs: object) -> object:
    plan = plan_import(school=school, data=text.encode(), **kwargs)  # type: ignore[arg-type]
    assert plan.ok, plan.problems
    return people_import(school=school, plan=plan)


def test_import_all_three_kinds_links_contacts(school: School) -> None:
    run(school, STAFF)
    run(school, LEARNERS)
    run(school, CONTACTS)
    assert Person.objects.for_school(school).count() == 7
    ada = Person.objects.get(school=school, mis_id="S1")
    assert ada.kind == Person.Kind.TEACHING_STAFF and ada.network_username == "akestrel"
    assert Person.objects.get(school=school, mis_id="S2").start_date == dt.date(2020, 9, 1)
    fay = Person.objects.get(school=school, mis_id="C1")
    links = {
        (link.learner.mis_id, link.parental_responsibility) for link in fay.children_links.all()
    }
    assert links == {("L1", True), ("L2", False)}
    assert AuditEntry.objects.filter(action="people.person_created").count() == 7


def test_reimport_updates_and_never_duplicates(school: School) -> None:
    run(school, STAFF)
    plan = plan_import(school=school, data=STAFF.replace("Kestrel", "Kestrel-Hart").encode())
    assert plan.updated == ["S1"] and plan.created == [] and sorted(plan.unchanged) == ["S2", "S3"]
    people_import(school=school, plan=plan)
    assert Person.objects.for_school(school).count() == 3
    assert Person.objects.get(school=school, mis_id="S1").last_name == "Kestrel-Hart"
    entry = AuditEntry.objects.get(action="people.person_updated")
    assert entry.fields == ["last_name"]  # the field's name, never its value


def test_people_missing_from_full_export_are_marked_left_not_deleted(school: School) -> None:
    run(school, STAFF)
    without_s3 = "\n".join(line for line in STAFF.splitlines() if not line.startswith("S3"))
    run(school, without_s3)
    s3 = Person.objects.get(school=school, mis_id="S3")
    assert s3.leaving_date is not None
    run(school, without_s3)  # already left: not marked again
    assert AuditEntry.objects.filter(action="people.person_left").count() == 1


def test_partial_import_leaves_missing_people_alone(school: School) -> None:
    run(school, STAFF)
    run(school, STAFF.splitlines()[0] + "\n" + STAFF.splitlines()[1] + "\n", full=False)
    assert not Person.objects.filter(school=school, leaving_date__isnull=False).exists()


def test_import_is_scoped_to_its_school(school: School, other_school: School) -> None:
    run(school, STAFF)
    run(other_school, STAFF)
    assert Person.objects.for_school(school).count() == 3
    assert Person.objects.for_school(other_school).count() == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mis_id,first_name\nS1,Ada\n", "line 1: cannot tell"),
        (
            "mis_id,first_name,last_name,staff_type,shoe_size\n",
            "line 1: unknown column(s): shoe_size",
        ),
        ("mis_id,first_name,staff_type\n", "line 1: missing column(s): last_name"),
        (STAFF + "S1,Dup,Licate,teaching,,,,\n", "line 5: mis_id 'S1' already on line 2"),
        (STAFF + "S9,No,Type,chef,,,,\n", "line 5: staff_type: 'chef' is not one of"),
        (
            STAFF + "S9,Bad,Date,teaching,,,2019-02-31,\n",
            "line 5: start_date: '2019-02-31' is not a date",
        ),
        (STAFF + "S9,,Nameless,teaching,,,,\n", "line 5: first_name is empty"),
        (STAFF + "S9,Too,Many,teaching,,,,,extra\n", "line 5: more values than columns"),
        (STAFF + "S9,Too,Few\n", "line 5: fewer values than columns"),
        (STAFF + "S9,Mail,Bad,teaching,not-an-email,,,\n", "line 5: email: 'not-an-email'"),
        (
            STAFF + "S9,Same,User,teaching,,akestrel,,\n",
            "line 5: network_username is used by another",
        ),
        (
            STAFF + "S9,Left,Early,teaching,,,2020-09-01,2019-01-01\n",
            "line 5: leaving_date is before start_date",
        ),
        (LEARNERS + "L3,Old,Year,2010-01-01,19,\n", "line 4: year_group: '19'"),
        (
            CONTACTS.replace("L2,Father", "L99,Father"),
            "line 4: learner_mis_id 'L99' is not a known learner",
        ),
        (CONTACTS.replace(",yes", ",perhaps"), "line 2: parental_responsibility: 'perhaps'"),
    ],
)
def test_bad_rows_import_nothing_and_name_their_line(
    school: School, text: str, expected: str
) -> None:
    run(school, LEARNERS)
    before = Person.objects.for_school(school).count()
    try:
        plan = plan_import(school=school, data=text.encode())
        messages = [str(problem) for problem in plan.problems]
    except ImportError_ as error:
        messages = [str(error)]
    assert any(message.startswith(expected) for message in messages), messages
    assert Person.objects.for_school(school).count() == before


def test_every_bad_row_is_listed_not_just_the_first(school: School) -> None:
    text = STAFF + "S8,,A,teaching,,,,\nS9,,B,teaching,,,,\n"
    plan = plan_import(school=school, data=text.encode())
    assert [p.line for p in plan.problems] == [5, 6]


def test_a_bad_plan_cannot_be_applied(school: School) -> None:
    plan = plan_import(school=school, data=(STAFF + "S9,,X,teaching,,,,\n").encode())
    with pytest.raises(ValueError, match="problems"):
        people_import(school=school, plan=plan)
    assert not Person.objects.exists()


def test_wrong_encoding_names_the_line(school: School) -> None:
    data = STAFF.encode() + "S9,Zoë,Latin1,teaching,,,,\n".encode("latin-1")
    with pytest.raises(ImportError_, match="line 5: the file is not UTF-8"):
        plan_import(school=school, data=data)


def test_byte_order_mark_is_accepted(school: School) -> None:
    plan = plan_import(school=school, data=b"\xef\xbb\xbf" + STAFF.encode())
    assert plan.ok and len(plan.created) == 3


def test_a_mis_id_of_another_kind_is_refused(school: School) -> None:
    run(school, LEARNERS)
    plan = plan_import(school=school, data=STAFF.replace("S1,", "L1,").encode())
    assert "belongs to a person of another kind" in str(plan.problems[0])


# --- the command ------------------------------------------------------------------------------


def write(tmp_path: Path, text: str | bytes, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_command_imports_and_dry_run_writes_nothing(
    school: School, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, STAFF)
    call_command("import_people", "--school", "test", "--dry-run", str(path))
    out = capsys.readouterr().out
    assert "3 to add" in out and "would add: S1" in out and "Nothing was written" in out
    assert not Person.objects.exists()
    call_command("import_people", "--school", "test", str(path))
    assert Person.objects.for_school(school).count() == 3


def test_command_bad_file_exits_2_listing_every_line(
    school: School, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, STAFF + "S8,,A,teaching,,,,\nS9,B,C,chef,,,,\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_people", "--school", "test", str(path))
    assert caught.value.returncode == 2
    assert "nothing was imported" in str(caught.value)
    err = capsys.readouterr().err
    assert "line 5: first_name is empty" in err and "line 6: staff_type" in err
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--school", "nowhere", "FILE"], "no school with the slug 'nowhere'"),
        (["--school", "test", "/nonexistent/people.csv"], "cannot read /nonexistent/people.csv"),
    ],
)
def test_command_unknown_school_or_unreadable_file(
    school: School, tmp_path: Path, args: list[str], message: str
) -> None:
    path = write(tmp_path, STAFF)
    with pytest.raises(CommandError, match=message) as caught:
        call_command("import_people", *[str(path) if a == "FILE" else a for a in args])
    assert caught.value.returncode == 2


def test_contacts_link_once_per_learner(school: School) -> None:
    run(school, LEARNERS)
    run(school, CONTACTS)
    run(school, CONTACTS)
    assert ParentLink.objects.for_school(school).count() == 3
