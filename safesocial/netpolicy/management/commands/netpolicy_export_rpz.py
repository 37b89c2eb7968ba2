"""`safesocial netpolicy-export-rpz --school SLUG --out DIR`: RPZ zones for Unbound."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safesocial.enforce.rpz import write_rpz
from safesocial.netpolicy.management.commands._common import load_school_snapshot
from safesocial.people.management.commands._common import UsageError, school_from_slug


class Command(BaseCommand):
    help = (
        "Write RPZ zone files and the Unbound snippet from the school's compiled snapshot. "
        "Then `unbound-control reload` and `safesocial netpolicy-rpz-switch`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--out", required=True, type=Path, help="directory for the zones")
        parser.add_argument("--snapshot", help="snapshot file (default: the school's)")
        parser.add_argument("--zone-dir", help="where Unbound will read the zones, if elsewhere")

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        snapshot, _ = load_school_snapshot(school, options["snapshot"])
        try:
            export = write_rpz(snapshot, options["out"], zone_dir=options["zone_dir"])
        except OSError as error:
            raise UsageError(f"cannot write to {options['out']}: {error.strerror}") from None
        self.stdout.write(
            f"{len(export.zones)} zone(s) and {export.config_path} written "
            f"from snapshot version {snapshot.version}."
        )
