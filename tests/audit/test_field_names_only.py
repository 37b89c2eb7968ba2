"""An audit entry names the fields that changed and never holds their values."""

from __future__ import annotations

import pytest
from django.db import connection

from safesocial.audit.models import AuditEntry
from safesocial.audit.services import canonical_bytes
from safesocial.people.importing import people_import, plan_import
from safesocial.people.models import Person, School

pytestmark = pytest.mark.django_db

HEADER = "mis_id,first_name,last_name,date_of_birth,year_group,network_username\n"
BEFORE = HEADER + "L7,Perpetua,Quillfeather,2013-04-02,8,pquill\n"
AFTER = HEADER + "L7,Perpetua,Zanzibarova,2012-11-30,8,pquill\n"
VALUES = [
    "Perpetua",
    "Quillfeather",
    "Zanzibarova",
    "2013-04-02",
    "2012-11-30",
    "pquill",
    "L7",
]


def _import(school: School, text: str) -> None:
    plan = plan_import(school=school, data=text.encode())
    assert plan.ok, plan.problems
    people_import(school=school, plan=plan)


def _raw_rows() -> str:
    """Every column of every entry as the database holds it, below the ORM."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditentry")
        return repr(cursor.fetchall())


def test_a_people_import_update_records_field_names_only(school: School) -> None:
    _import(school, BEFORE)
    _import(school, AFTER)
    person = Person.objects.get(school=school, mis_id="L7")
    assert (person.last_name, str(person.date_of_birth)) == ("Zanzibarova", "2012-11-30")

    update = AuditEntry.objects.get(action="people.person_updated")
    assert update.fields == ["date_of_birth", "last_name"]
    assert (update.model, update.object_id) == ("people.person", str(person.pk))
    body = canonical_bytes(update).decode()
    # The names are there (so the search below can find things) and no value is.
    assert '"date_of_birth"' in body and '"last_name"' in body
    for value in VALUES:
        assert value not in body, value

    # Nor in any other entry of the two imports, nor anywhere in the table's rows.
    actions = sorted(AuditEntry.objects.values_list("action", flat=True))
    assert actions == [
        "people.import_learners",
        "people.import_learners",
        "people.person_created",
        "people.person_updated",
    ]
    everything = _raw_rows() + "".join(
        canonical_bytes(entry).decode() for entry in AuditEntry.objects.all()
    )
    for value in VALUES:
        assert value not in everything, value
    assert "date_of_birth" in everything  # the check is looking in the right place


def test_an_import_that_changes_nothing_records_no_update(school: School) -> None:
    _import(school, BEFORE)
    _import(school, BEFORE)
    assert not AuditEntry.objects.filter(action="people.person_updated").exists()
    assert AuditEntry.objects.filter(action="people.person_created").count() == 1
