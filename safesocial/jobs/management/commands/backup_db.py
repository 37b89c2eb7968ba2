"""`safesocial backup-db --out FILE`: an online, consistent copy of the SQLite database."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from safesocial.people.management.commands._common import UsageError


class Command(BaseCommand):
    help = (
        "Copy the SQLite database with SQLite's online backup API while the app keeps "
        "running, then check the copy. On PostgreSQL use pg_dump instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="the new backup file")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "sqlite":
            raise UsageError(f"backup-db copies SQLite databases; this one is {connection.vendor}")
        target: Path = options["out"]
        if target.exists():
            raise UsageError(f"{target} already exists; choose a new file name")
        if not target.parent.is_dir():
            raise UsageError(f"the folder {target.parent} does not exist")
        source = sqlite3.connect(str(connection.settings_dict["NAME"]))
        partial = target.with_name(target.name + ".partial")
        try:
            copy = sqlite3.connect(str(partial))
            try:
                # Copies page by page; writers may carry on, and the copy is one consistent
                # state of the database.
                source.backup(copy, pages=1024)
                verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                copy.close()
        except sqlite3.Error as error:
            partial.unlink(missing_ok=True)
            raise UsageError(f"backup failed: {error}") from None
        finally:
            source.close()
        if verdict != "ok":
            partial.unlink(missing_ok=True)
            raise UsageError(f"the copy failed its integrity check: {verdict}")
        partial.rename(target)
        self.stdout.write(f"Backed up to {target} ({target.stat().st_size:,} bytes); integrity ok.")
