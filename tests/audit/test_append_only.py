"""On PostgreSQL the database itself refuses to change or remove an audit entry (migration 0002)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from safesocial.audit.models import AuditEntry
from safesocial.audit.services import audit_record, audit_verify

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

REFUSED = [
    "UPDATE audit_auditentry SET action = 'auth.sign_out'",
    "UPDATE audit_auditentry SET fields = '[]'::jsonb WHERE sequence = 1",
    "DELETE FROM audit_auditentry WHERE sequence = 2",
    "DELETE FROM audit_auditentry",
    "TRUNCATE audit_auditentry",
]


@pytest.fixture
def on_postgresql() -> None:
    if connection.vendor != "postgresql":
        # Not a missing tool: SQLite has no such trigger here, the hash chain is what guards it
        # there. The PostgreSQL run (scripts/with_postgres.py) runs this test.
        pytest.skip(f"the append-only trigger exists on PostgreSQL only, not {connection.vendor}")
    # The shared test database turns the trigger off for Django's flush (tests/conftest.py);
    # turn it back on inside this test's transaction, which rolls the change back after.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


@pytest.mark.parametrize("statement", REFUSED)
def test_raw_update_and_delete_are_refused(on_postgresql: None, statement: str) -> None:
    for n in range(3):
        audit_record(action="auth.sign_in", actor_label=f"user{n}")
    before = list(AuditEntry.objects.values_list("sequence", "action", "entry_hash"))

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert list(AuditEntry.objects.values_list("sequence", "action", "entry_hash")) == before
    # Appending is what the table is for: it still works, and the chain is whole.
    audit_record(action="auth.sign_out")
    result = audit_verify()
    assert (result.ok, result.entries) == (True, 4)


def test_the_orm_cannot_change_entries_either(on_postgresql: None) -> None:
    entry = audit_record(action="auth.sign_in")
    entry.action = "auth.sign_out"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "auth.sign_in"
