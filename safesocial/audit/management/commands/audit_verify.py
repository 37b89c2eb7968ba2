"""`safesocial audit-verify`: recompute the audit chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safesocial.audit.services import audit_verify


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain: OK and the count, or the first bad entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--head", action="store_true", help="also print the latest chain hash")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if result.ok:
            self.stdout.write(f"OK {result.entries} entries")
            if options["head"]:
                self.stdout.write(f"head {result.head_sequence} {result.head_hash}")
            return
        where = (
            f"entry id {result.first_bad_id}"
            if result.first_bad_id is not None
            else "end of the chain"
        )
        self.stderr.write(
            f"FAILED at {where}: {result.problem} ({result.entries} entries verified)"
        )
        raise SystemExit(1)
