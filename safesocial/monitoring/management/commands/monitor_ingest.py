"""`safesocial monitor-ingest --school SLUG [--snapshot FILE] [--db FILE] [--follow] FILE...`"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from safesocial.enforce.snapshot import SnapshotError, load_snapshot
from safesocial.monitoring.engine import (
    FORMATS,
    Ingester,
    IngestError,
    LeaseError,
    load_leases,
    standard_report,
)
from safesocial.monitoring.selectors import db_path
from safesocial.monitoring.services import alerts_record
from safesocial.people.management.commands._common import UsageError, school_from_slug

from ._monitoring import default_snapshot, lines_read, new_days, open_db

PROGRESS_FROM_BYTES = 32 * 1024 * 1024  # show a progress bar only when it is worth watching


class Command(BaseCommand):
    help = (
        "Ingest Squid access.log, Unbound and AdGuard Home query logs into the school's "
        "monitoring database. Only new lines are read; rotated and .gz files are understood."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--snapshot", type=Path, help="policy snapshot (default: VAR_DIR)")
        parser.add_argument("--db", type=Path, help="DuckDB file (default: VAR_DIR)")
        parser.add_argument("--leases", type=Path, help="DHCP leases CSV: address,device,start,end")
        parser.add_argument("--format", choices=FORMATS, help="log format (default: detected)")
        parser.add_argument("--follow", action="store_true", help="keep reading live files")
        parser.add_argument("--poll-seconds", type=float, default=1.0)
        parser.add_argument("--max-seconds", type=float, help="stop following after this long")
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        files: list[Path] = options["files"]
        for path in files:
            if not options["follow"] and not os.access(path, os.R_OK):
                raise UsageError(f"cannot read {path}")
            if path.is_dir():
                raise UsageError(f"{path} is a directory, not a log file")
        snapshot_path = options["snapshot"] or default_snapshot(school.slug)
        try:
            snapshot = load_snapshot(snapshot_path)
        except SnapshotError as error:
            raise UsageError(f"{snapshot_path}: {error}") from None
        try:
            leases = load_leases(options["leases"]) if options["leases"] else []
        except LeaseError as error:
            raise UsageError(str(error)) from None
        con = open_db(options["db"] or db_path(school))
        report = None
        try:
            before = lines_read(con)
            with Ingester(con, snapshot, leases=leases, fmt=options["format"]) as ingester:
                if options["follow"]:
                    summary = ingester.follow(
                        files,
                        max_seconds=options["max_seconds"],
                        poll_seconds=options["poll_seconds"],
                        on_result=lambda r: self.stdout.write(
                            f"{r.path}: +{r.lines} lines, {r.events} events, "
                            f"{r.malformed} malformed"
                        ),
                    )
                else:
                    total = sum(p.stat().st_size for p in files)
                    with tqdm(
                        total=total,
                        unit="B",
                        unit_scale=True,
                        disable=total < PROGRESS_FROM_BYTES,
                        file=sys.stderr,
                    ) as bar:
                        summary = ingester.ingest_paths(files, progress=bar.update)
            # Alerts for the local days this run added events to (each stored once).
            days = new_days(con, before)
            if days is not None:
                report = standard_report(con, *days)
        except IngestError as error:
            raise UsageError(str(error)) from None
        finally:
            con.close()
        self.stdout.write(f"Ingested for {school.slug}: {summary.line()}.")
        if report is not None:
            created = alerts_record(school=school, report=report)
            self.stdout.write(f"{len(created)} new alert(s).")
