"""`safesocial netpolicy-compile --school SLUG [--out FILE]`: write the policy snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safesocial.enforce.snapshot import SnapshotError
from safesocial.netpolicy.services import snapshot_compile
from safesocial.people.management.commands._common import UsageError, school_from_slug


class Command(BaseCommand):
    help = (
        "Compile the school's network policy (rules, people, segments, calendar, catalogue, "
        "sanctions) into a new versioned, checksummed snapshot for Squid and Unbound."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument(
            "--out", type=Path, help="snapshot file (default: the school's snapshot path)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        out: Path | None = options["out"]
        if out is not None and not out.parent.is_dir():
            raise UsageError(f"--out {out}: the directory {out.parent} does not exist")
        try:
            record = snapshot_compile(school=school, out=out, actor_label="netpolicy-compile")
        except SnapshotError as error:
            raise UsageError(str(error)) from None
        except OSError as error:
            raise UsageError(f"cannot write the snapshot: {error.strerror}") from None
        self.stdout.write(
            f"{school.slug}: snapshot version {record.version} written to {record.path} "
            f"(sha256 {record.sha256})"
        )
