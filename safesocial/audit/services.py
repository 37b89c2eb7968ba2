"""Writing to and checking the audit trail.

Each entry's hash is SHA-256 over a canonical JSON of its own fields and the previous entry's
hash, so changing, removing or reordering any entry breaks every hash after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from safesocial.audit.models import AuditEntry, ChainHead

GENESIS_HASH = "0" * 64


def canonical_bytes(entry: AuditEntry) -> bytes:
    body = {
        "sequence": entry.sequence,
        "at": entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "school_id": entry.school_id,
        "action": entry.action,
        "model": entry.model,
        "object_id": entry.object_id,
        "fields": sorted(entry.fields),
        "ip": entry.ip,
        "previous_hash": entry.previous_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address in one canonical spelling, or None when it is not an address.

    The hash covers the address as written, so it must read back from the database exactly as
    it was hashed: PostgreSQL's `inet` re-spells IPv6 (lower case, compressed) and refuses
    anything that is not an address (a Unix socket peer), which would abort the transaction.
    """
    if request is None:
        return None
    raw = str(request.META.get("REMOTE_ADDR") or "").strip()
    try:
        address = ipaddress.ip_address(raw.split("%", 1)[0])  # no IPv6 zone: inet refuses it
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.compressed


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor: Any = None,
    school: Any = None,
    obj: models.Model | None = None,
    fields: Iterable[str] = (),
    request: HttpRequest | None = None,
    actor_label: str = "",
) -> AuditEntry:
    """Append one entry, in the caller's transaction so it commits or rolls back with the change."""
    # Locking the head row serialises writers on PostgreSQL; on SQLite the IMMEDIATE
    # transaction already holds the write lock.
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = AuditEntry(
        sequence=head.last_sequence + 1,
        at=timezone.now(),
        actor_id=actor.pk if actor is not None else None,
        actor_label=actor_label or (actor.get_username() if actor is not None else ""),
        school_id=school.pk if school is not None else None,
        action=action,
        model=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        fields=sorted(set(fields)),
        ip=client_ip(request),
        previous_hash=head.last_hash,
    )
    entry.entry_hash = compute_hash(entry)
    entry.save(force_insert=True)
    head.last_sequence = entry.sequence
    head.last_hash = entry.entry_hash
    head.save(update_fields=["last_sequence", "last_hash"])
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_id: int | None = None
    problem: str = ""
    # The head the entries were checked against, read before them.
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH


def _iterate(upto: int | None, batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        query = AuditEntry.objects.filter(sequence__gt=last)
        if upto is not None:
            query = query.filter(sequence__lte=upto)
        chunk = list(query.order_by("sequence")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].sequence


def audit_verify() -> VerifyResult:
    """Recompute the chain; name the first entry that was altered, removed or reordered.

    The head is read first and only the entries up to it are checked, so entries appended by
    other processes while this runs are left for the next run instead of looking like a
    mismatch at the end of the chain.
    """
    head = ChainHead.objects.filter(pk=1).first()
    head_sequence, head_hash = (head.last_sequence, head.last_hash) if head else (0, GENESIS_HASH)

    def result(ok: bool, count: int, bad: int | None = None, problem: str = "") -> VerifyResult:
        return VerifyResult(ok, count, bad, problem, head_sequence, head_hash)

    expected_previous = GENESIS_HASH
    expected_sequence = 1
    count = 0
    previous: AuditEntry | None = None
    for entry in _iterate(upto=head_sequence if head is not None else None):
        if entry.sequence != expected_sequence:
            return result(
                False, count, entry.pk, f"sequence {expected_sequence} is missing before this entry"
            )
        intact = compute_hash(entry) == entry.entry_hash
        if entry.previous_hash != expected_previous:
            if intact and previous is not None:
                # This entry is as written, but chained to a hash the entry before no longer
                # has: that one was rewritten and its own hash recomputed to hide it.
                return result(
                    False, count - 1, previous.pk, "it was changed and its hash recomputed"
                )
            return result(False, count, entry.pk, "does not follow the entry before it")
        if not intact:
            return result(False, count, entry.pk, "its content was changed")
        expected_previous = entry.entry_hash
        expected_sequence += 1
        count += 1
        previous = entry
    if head is None:
        if count:
            return result(False, count, None, "the chain head row is missing")
        return result(True, 0)
    if count < head_sequence:
        return result(False, count, None, "the latest entries were removed")
    if expected_previous != head_hash:
        # Every entry is consistent with the one before, but the last one is not the entry
        # the head recorded: it was rewritten with its hash recomputed.
        bad = previous.pk if previous is not None else None
        return result(False, count - 1, bad, "it does not match the chain head")
    return result(True, count)


def chain_head() -> tuple[int, str]:
    head = ChainHead.objects.filter(pk=1).first()
    return (head.last_sequence, head.last_hash) if head else (0, GENESIS_HASH)
