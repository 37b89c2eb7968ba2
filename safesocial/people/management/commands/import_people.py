"""`safesocial import-people --school SLUG FILE.csv`: import staff, learners or contacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safesocial.people.importing import KINDS, ImportError_, people_import, plan_import
from safesocial.people.management.commands._common import UsageError, school_from_slug


class Command(BaseCommand):
    help = (
        "Import people from an MIS CSV export (staff, learners or contacts). "
        "Nothing is written if any row is bad; every bad row is listed with its line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--kind", choices=KINDS, help="file kind (detected from the columns)")
        parser.add_argument("--dry-run", action="store_true", help="show what would change")
        parser.add_argument(
            "--partial",
            action="store_true",
            help="the file is not a full export: do not mark missing people as left",
        )
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror}") from None
        try:
            plan = plan_import(
                school=school, data=data, kind=options["kind"], full=not options["partial"]
            )
        except ImportError_ as error:
            raise UsageError(f"{path}: {error}") from None
        if not plan.ok:
            for problem in plan.problems:
                self.stderr.write(f"{path}: {problem}")
            raise UsageError(f"{path}: {len(plan.problems)} problem(s); nothing was imported")
        if options["dry_run"]:
            self.stdout.write(f"Dry run ({plan.kind}): {plan.summary()}. Nothing was written.")
            for label, ids in (
                ("add", plan.created),
                ("update", plan.updated),
                ("mark as left", plan.leaving),
            ):
                for mis_id in ids:
                    self.stdout.write(f"  would {label}: {mis_id}")
            return
        people_import(school=school, plan=plan)
        self.stdout.write(f"Imported {plan.kind}: {plan.summary()}.")
