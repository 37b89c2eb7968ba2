"""`safesocial netpolicy-import-list --school SLUG --category NAME FILE`: import a domain list."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safesocial.netpolicy.services import DomainListError, domain_list_import
from safesocial.people.management.commands._common import UsageError, school_from_slug


class Command(BaseCommand):
    help = (
        "Import a domain list (one domain per line, UT1 style: '#' comments, blank lines and "
        "IP addresses allowed) as a category of the school's catalogue. Any bad line and "
        "nothing is written; each bad line is named by its number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--category", required=True, help="category name, e.g. gambling")
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        category: str = options["category"]
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,50}", category):
            raise UsageError(f"--category {category!r}: use lower-case letters, digits, dashes")
        path: Path = options["file"]
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{path} is not UTF-8 text; nothing was imported") from None
        try:
            service, parsed = domain_list_import(
                school=school, category=category, text=text, actor_label="netpolicy-import-list"
            )
        except DomainListError as error:
            for problem in error.parsed.problems:
                self.stderr.write(f"{path}: {problem}")
            raise UsageError(f"{path}: {error}") from None
        self.stdout.write(
            f"Imported {len(parsed.domains)} entries ({parsed.skipped_addresses} IP addresses) "
            f"into category {category!r} as {service.service_id}."
        )
