"""The chain-hash export: what it says for a whole chain and for a broken one."""

from __future__ import annotations

import pytest
import time_machine

from safesocial.audit.models import AuditEntry, ChainHead
from tests.access.test_auth import NOW, code, give_second_factor, signed_in, two_factor_redirect
from tests.audit.test_chain import sql
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

HEAD = "/s/test/audit/head.txt"


def test_the_export_names_the_verified_head_and_then_the_bad_entry(cast: Cast) -> None:
    with time_machine.travel(NOW, tick=False):
        teacher = signed_in("teacher")
        assert teacher.get(HEAD).status_code == 403
        head = signed_in("headteacher")
        assert head.get(HEAD)["Location"] == two_factor_redirect(HEAD)
        assert give_second_factor(head, code(), HEAD).status_code == 302

        response = head.get(HEAD)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        lines = response.content.decode().splitlines()
        exported = ChainHead.objects.get()
        # The export is itself audited, after the head it reports was read.
        last = AuditEntry.objects.order_by("-sequence").first()
        assert last is not None and last.action == "audit.head_exported"
        assert exported.last_sequence == last.sequence
        reported = AuditEntry.objects.get(sequence=last.sequence - 1)
        assert f"entries: {reported.sequence}" in lines
        assert f"sha256: {reported.entry_hash}" in lines
        assert "verified: yes" in lines

        victim = AuditEntry.objects.get(action="auth.second_factor")
        sql("UPDATE audit_auditentry SET actor_id = NULL WHERE id = %s", (victim.pk,))
        lines = head.get(HEAD).content.decode().splitlines()
        assert f"verified: NO, first bad entry {victim.pk}" in lines
