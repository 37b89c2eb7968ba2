"""`safesocial monitor-report --school SLUG [--school SLUG ...] [--from DATE --to DATE]
[--engine duckdb|spark] --format json|text`"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safesocial.monitoring.engine import report_text, standard_report
from safesocial.monitoring.engine.report import trust_report, trust_text
from safesocial.monitoring.selectors import db_path
from safesocial.people.management.commands._common import UsageError, school_from_slug

from ._monitoring import open_db


def _day(text: str | None, label: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--{label} {text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "Print the standard monitoring report (local school days, both ends included); with "
        "several --school, each school's report and the totals (a trust's report)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--school",
            dest="schools",
            metavar="SLUG",
            action="append",
            required=True,
            help="the school's slug; repeat it for a report over several schools",
        )
        parser.add_argument("--db", type=Path, help="DuckDB file (default: VAR_DIR)")
        parser.add_argument("--from", dest="day_from", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="day_to", help="last day, YYYY-MM-DD")
        parser.add_argument("--format", choices=("json", "text"), default="text")
        parser.add_argument(
            "--engine",
            choices=("duckdb", "spark"),
            default="duckdb",
            help="where the report's SQL runs: the school's DuckDB file (default) or Apache "
            "Spark (needs the spark extra and Java 17), for many schools",
        )
        parser.add_argument(
            "--spark-master",
            metavar="URL",
            help="Spark master URL (default: local[*], this machine's cores)",
        )
        parser.add_argument(
            "--spark-staging",
            type=Path,
            metavar="DIR",
            help="folder for the Parquet copies Spark reads; on a cluster, one every executor "
            "can read (default: a temporary folder)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slugs: list[str] = options["schools"]
        repeated = sorted({s for s in slugs if slugs.count(s) > 1})
        if repeated:
            raise UsageError(f"--school {repeated[0]} is given more than once")
        schools = [school_from_slug(slug) for slug in slugs]
        day_from = _day(options["day_from"], "from")
        day_to = _day(options["day_to"], "to")
        if day_from and day_to and day_from > day_to:
            raise UsageError("--from is after --to")
        if options["db"] and len(schools) > 1:
            raise UsageError("--db names one school's database; leave it out with several schools")
        if options["engine"] != "spark" and (options["spark_master"] or options["spark_staging"]):
            raise UsageError("--spark-master and --spark-staging go with --engine spark")
        paths: dict[str, Path] = {}
        for school in schools:
            path: Path = options["db"] or db_path(school)
            if not path.exists():
                raise UsageError(f"no monitoring database at {path}; run monitor-ingest first")
            paths[school.slug] = path
        if options["engine"] == "spark":
            reports = self._on_spark(paths, day_from, day_to, options)
        else:
            reports = {}
            for slug, path in paths.items():
                con = open_db(path)
                try:
                    reports[slug] = standard_report(con, day_from, day_to)
                finally:
                    con.close()
        if len(reports) == 1:
            report = next(iter(reports.values()))
            text = report_text(report)
        else:
            report = trust_report(reports)
            text = trust_text(report)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2, sort_keys=True))
        else:
            self.stdout.write(text)

    @staticmethod
    def _on_spark(
        paths: dict[str, Path],
        day_from: date | None,
        day_to: date | None,
        options: dict[str, Any],
    ) -> dict[str, dict[str, Any]]:
        # Imported here: pyspark is optional, and this module imports it only when asked.
        from safesocial.monitoring.engine.spark import (
            SparkUnavailable,
            spark_report,
            spark_session,
        )

        staging: Path | None = options["spark_staging"]
        reports: dict[str, dict[str, Any]] = {}
        try:
            with spark_session(options["spark_master"] or "local[*]") as spark:
                for slug, path in paths.items():
                    con = open_db(path)
                    try:
                        reports[slug] = spark_report(
                            spark,
                            con,
                            day_from,
                            day_to,
                            staging=staging / slug if staging else None,
                        )
                    finally:
                        con.close()
        except SparkUnavailable as error:
            raise UsageError(str(error)) from None
        return reports
