"""`safesocial netpolicy-rpz-switch --school SLUG [--at ISO] [--dry-run]`: for cron."""

from __future__ import annotations

import shlex
import subprocess
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from safesocial.enforce.rpz import switch_commands_at
from safesocial.netpolicy.management.commands._common import load_school_snapshot, parse_at
from safesocial.people.management.commands._common import school_from_slug


class Command(BaseCommand):
    help = (
        "Turn the school-hours RPZ zones on or off for now (or --at) with unbound-control. "
        "Idempotent: run it every minute from cron and after every Unbound reload."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--at", help="ISO 8601 time (default: now)")
        parser.add_argument("--dry-run", action="store_true", help="print the commands only")
        parser.add_argument("--snapshot", help="snapshot file (default: the school's)")
        parser.add_argument(
            "--control", default="unbound-control", help="the unbound-control command line"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        at = parse_at(options["at"]) or timezone.now()
        snapshot, _ = load_school_snapshot(school, options["snapshot"])
        commands = switch_commands_at(snapshot, at, control=shlex.split(options["control"]))
        if options["dry_run"]:
            for command in commands:
                self.stdout.write(shlex.join(command))
            return
        failed = 0
        for command in commands:
            try:
                result = subprocess.run(command, capture_output=True, text=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired) as error:
                raise CommandError(f"cannot run {command[0]}: {error}", returncode=1) from None
            if result.returncode != 0:
                failed += 1
                self.stderr.write(f"{shlex.join(command)}: {result.stderr.strip()}")
        if failed:
            raise CommandError(f"{failed} of {len(commands)} command(s) failed", returncode=1)
        self.stdout.write(f"{len(commands)} zone(s) switched.")
