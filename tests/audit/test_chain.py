"""The hash chain: tampering below the ORM is named by `audit-verify`, an untouched chain is OK.

Tampering is done with raw SQL, as someone with the database file or a database login would.
On PostgreSQL the append-only trigger is disabled for the test's transaction first (the table's
owner can do that too), so the chain is shown to stand on its own.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory

from safesocial.audit.models import AuditEntry, ChainHead
from safesocial.audit.services import (
    GENESIS_HASH,
    audit_record,
    audit_verify,
    canonical_bytes,
    compute_hash,
)
from safesocial.people.models import School

pytestmark = pytest.mark.django_db

ENTRIES = 6


def verify_command() -> tuple[int, str, str]:
    """Run `audit-verify` as the console would: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", stdout=out, stderr=err)
    except SystemExit as stop:
        return int(stop.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def sql(statement: str, params: tuple[Any, ...] = ()) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(statement, params)


def json_param() -> str:
    return "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"


@pytest.fixture
def chain(school: School) -> list[AuditEntry]:
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7")
    entries = [
        audit_record(action="people.person_created", school=school, obj=school, request=request),
        audit_record(action="people.person_updated", school=school, fields=["last_name"]),
        audit_record(action="concerns.viewed", school=school, request=request),
        audit_record(action="auth.sign_in", actor_label="someone"),
        audit_record(action="people.person_updated", fields=["email", "first_name"]),
        audit_record(action="audit.head_exported", school=school),
    ]
    assert len(entries) == ENTRIES
    return [AuditEntry.objects.get(pk=entry.pk) for entry in entries]


def test_untouched_chain_is_ok_with_its_count(chain: list[AuditEntry]) -> None:
    assert verify_command() == (0, f"OK {ENTRIES} entries\n", "")
    assert [entry.sequence for entry in chain] == list(range(1, ENTRIES + 1))
    assert chain[0].previous_hash == GENESIS_HASH
    for before, after in itertools.pairwise(chain):
        assert after.previous_hash == before.entry_hash
    # One more entry, one more in the count: the count is read, not fixed.
    audit_record(action="auth.sign_out")
    assert verify_command() == (0, f"OK {ENTRIES + 1} entries\n", "")


def test_empty_chain_is_ok() -> None:
    assert verify_command() == (0, "OK 0 entries\n", "")


Tamper = Callable[[AuditEntry], None]


def _set_action(entry: AuditEntry) -> None:
    sql("UPDATE audit_auditentry SET action = %s WHERE id = %s", ("auth.sign_out", entry.pk))


def _set_fields(entry: AuditEntry) -> None:
    sql(
        f"UPDATE audit_auditentry SET fields = {json_param()} WHERE id = %s",  # noqa: S608
        (json.dumps(["date_of_birth"]), entry.pk),
    )


def _set_actor(entry: AuditEntry) -> None:
    sql("UPDATE audit_auditentry SET actor_id = %s WHERE id = %s", (999, entry.pk))


def _set_time(entry: AuditEntry) -> None:
    sql("UPDATE audit_auditentry SET at = %s WHERE id = %s", ("2001-02-03 04:05:06", entry.pk))


def _set_entry_hash(entry: AuditEntry) -> None:
    sql("UPDATE audit_auditentry SET entry_hash = %s WHERE id = %s", ("f" * 64, entry.pk))


def _set_action_and_recompute_hash(entry: AuditEntry) -> None:
    entry.action = "auth.sign_out"
    sql(
        "UPDATE audit_auditentry SET action = %s, entry_hash = %s WHERE id = %s",
        (entry.action, compute_hash(entry), entry.pk),
    )


@pytest.mark.parametrize(
    "tamper",
    [
        _set_action,
        _set_fields,
        _set_actor,
        _set_time,
        _set_entry_hash,
        _set_action_and_recompute_hash,
    ],
)
@pytest.mark.parametrize("position", [0, 2, ENTRIES - 1])
def test_an_altered_entry_is_named(chain: list[AuditEntry], tamper: Tamper, position: int) -> None:
    assert verify_command()[0] == 0
    target = chain[position]
    tamper(target)
    status, out, err = verify_command()
    assert (status, out) == (1, "")
    assert err.startswith(f"FAILED at entry id {target.pk}: ")
    assert err.endswith(f"({position} entries verified)\n")
    result = audit_verify()
    assert (result.ok, result.first_bad_id) == (False, target.pk)


def test_a_changed_previous_hash_is_named_on_that_entry(chain: list[AuditEntry]) -> None:
    target = chain[3]
    sql("UPDATE audit_auditentry SET previous_hash = %s WHERE id = %s", ("a" * 64, target.pk))
    status, _, err = verify_command()
    assert status == 1
    assert err == (
        f"FAILED at entry id {target.pk}: does not follow the entry before it "
        "(3 entries verified)\n"
    )


@pytest.mark.parametrize("position", [0, 3])
def test_a_deleted_entry_is_named_by_the_entry_after_the_gap(
    chain: list[AuditEntry], position: int
) -> None:
    """There is nothing left of the deleted entry to name: the entry after the gap is named,
    with the missing sequence number."""
    removed, after = chain[position], chain[position + 1]
    sql("DELETE FROM audit_auditentry WHERE id = %s", (removed.pk,))
    status, out, err = verify_command()
    assert (status, out) == (1, "")
    assert err == (
        f"FAILED at entry id {after.pk}: sequence {removed.sequence} is missing before this "
        f"entry ({position} entries verified)\n"
    )


def _swap_sequences(first: AuditEntry, second: AuditEntry) -> None:
    update = "UPDATE audit_auditentry SET sequence = %s WHERE id = %s"
    sql(update, (-1, first.pk))  # sequence is unique: go through a free number
    sql(update, (first.sequence, second.pk))
    sql(update, (second.sequence, first.pk))


@pytest.mark.parametrize(("one", "other"), [(1, 2), (1, 4), (0, ENTRIES - 1)])
def test_two_reordered_entries_name_the_one_moved_earlier(
    chain: list[AuditEntry], one: int, other: int
) -> None:
    _swap_sequences(chain[one], chain[other])
    moved_up = chain[other]
    assert AuditEntry.objects.get(pk=moved_up.pk).sequence == chain[one].sequence
    status, out, err = verify_command()
    assert (status, out) == (1, "")
    assert err == (
        f"FAILED at entry id {moved_up.pk}: does not follow the entry before it "
        f"({one} entries verified)\n"
    )


@pytest.mark.parametrize("removed", [1, 2, ENTRIES])
def test_removing_the_latest_entries_is_a_head_mismatch(
    chain: list[AuditEntry], removed: int
) -> None:
    for entry in chain[-removed:]:
        sql("DELETE FROM audit_auditentry WHERE id = %s", (entry.pk,))
    status, out, err = verify_command()
    assert (status, out) == (1, "")
    assert err == (
        "FAILED at end of the chain: the latest entries were removed "
        f"({ENTRIES - removed} entries verified)\n"
    )


def test_removing_the_latest_entries_and_the_head_row_is_detected(
    chain: list[AuditEntry],
) -> None:
    sql("DELETE FROM audit_auditentry WHERE id = %s", (chain[-1].pk,))
    assert verify_command()[0] == 1
    ChainHead.objects.all().delete()
    status, _, err = verify_command()
    assert status == 1
    assert err == (
        f"FAILED at end of the chain: the chain head row is missing ({ENTRIES - 1} entries "
        "verified)\n"
    )


def test_the_head_export_reports_a_broken_chain(chain: list[AuditEntry]) -> None:
    result = audit_verify()
    assert result.ok
    assert (result.head_sequence, result.head_hash) == (ENTRIES, chain[-1].entry_hash)
    _set_action(chain[2])
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_id == chain[2].pk


@pytest.mark.parametrize(
    ("remote_addr", "stored"),
    [
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:192.0.2.9", "192.0.2.9"),
        ("fe80::1%eth0", "fe80::1"),
        ("192.0.2.10", "192.0.2.10"),
        ("unix:/run/safesocial.sock", None),
        ("", None),
    ],
)
def test_addresses_are_stored_as_they_were_hashed(
    db: None, remote_addr: str, stored: str | None
) -> None:
    """The database must give back the address the hash was made over (PostgreSQL's inet
    re-spells IPv6 and refuses non-addresses), or the chain would fail on its own."""
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr)
    entry = audit_record(action="auth.sign_in", request=request)
    assert AuditEntry.objects.get(pk=entry.pk).ip == stored
    assert verify_command() == (0, "OK 1 entries\n", "")
    assert canonical_bytes(AuditEntry.objects.get(pk=entry.pk)) == canonical_bytes(entry)
