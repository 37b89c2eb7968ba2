"""The standard report on Apache Spark, for a trust or local authority with many schools.

The report's SQL is the one in report.py, run unchanged apart from its parameter markers
(`spark_sql`, the one place where the dialects differ). A school's store is copied table by
table to Parquet by DuckDB (`export_store`), read back by Spark as temporary views with the same
names (`load_tables`), and `standard_report` runs through a `SparkEngine`: the result is the same
dict, figure for figure, as on DuckDB.

Times: the store's `TIMESTAMP`s are UTC without a time zone. DuckDB writes them to Parquet as
not adjusted to UTC, which Spark reads as `TIMESTAMP_NTZ`: wall-clock values compared as they
are, whatever the session's time zone, exactly as DuckDB compares them. `load_tables` refuses a
column that arrives as a zoned `TIMESTAMP` rather than guess. Local day, weekday and hour are
stored columns, so no figure depends on Spark's time zone; sessions made here use UTC anyway.

pyspark is optional (the `spark` extra) and needs a Java 17 or later runtime; nothing else in
safesocial imports this module, and it imports pyspark only when a session is asked for.
"""

# ruff: noqa: S608 -- table and column names come from the store's own catalogue

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .report import REPORT_TABLES, standard_report
from .store import Connection

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Columns the report never reads and that should not leave the school's own store: the raw
# text of a malformed line can hold a full URL, query string included, and the proxy login is
# a name (the report counts people by their id).
_KEPT_BACK: dict[str, frozenset[str]] = {
    "malformed": frozenset({"raw", "path"}),
    "events": frozenset({"user_name"}),
}

_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class SparkUnavailable(Exception):
    """pyspark is not installed, no Java runtime was found, or Spark failed to start."""


class SparkReportError(Exception):
    """The tables copied to Spark are not what the report expects."""


def spark_sql(sql: str) -> str:
    """The report's SQL for Spark: DuckDB's `$name` parameters become Spark's `:name`."""
    return _PARAMETER.sub(r":\1", sql)


class SparkEngine:
    """Runs the report's queries on a SparkSession whose views `load_tables` registered."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        frame = self.spark.sql(spark_sql(sql), args=params or None)
        return [tuple(row) for row in frame.collect()]


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_store(con: Connection, directory: Path) -> dict[str, Path]:
    """Copy the tables the report reads to `directory/<table>.parquet`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for table in REPORT_TABLES:
        kept_back = _KEPT_BACK.get(table, frozenset())
        columns = [
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
            if row[0] not in kept_back
        ]
        if not columns:
            raise SparkReportError(f"the monitoring store has no table {table!r}")
        target = directory / f"{table}.parquet"
        select = ", ".join(f'"{c}"' for c in columns)
        con.execute(f"COPY (SELECT {select} FROM {table}) TO {_quote(target)} (FORMAT parquet)")
        written[table] = target
    return written


def load_tables(spark: SparkSession, tables: Mapping[str, Path]) -> None:
    """Register each Parquet copy as a temporary view named after its table."""
    from pyspark.sql.types import TimestampType

    for table, path in tables.items():
        frame = spark.read.parquet(str(path))
        for field in frame.schema.fields:
            # TimestampType is Spark's zoned timestamp; TimestampNTZType is not a subclass.
            if isinstance(field.dataType, TimestampType):
                raise SparkReportError(
                    f"{table}.{field.name} arrived in Spark as a zoned TIMESTAMP; the report "
                    "compares UTC wall-clock times and needs TIMESTAMP_NTZ"
                )
        frame.createOrReplaceTempView(table)


def spark_report(
    spark: SparkSession,
    con: Connection,
    day_from: date | None = None,
    day_to: date | None = None,
    *,
    staging: Path | None = None,
    **options: Any,
) -> dict[str, Any]:
    """`standard_report` of the store behind `con`, computed by Spark.

    `staging` is where the Parquet copies go; on a cluster it must be a folder every executor
    can read. The copies go into a new folder only its owner can open, removed after the
    report (they hold the school's events); without `staging` it sits in the system's
    temporary folder, which is enough for a local master.
    """
    if staging is not None:
        staging.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="safesocial-spark-", dir=staging))  # mode 0700
    try:
        tables = export_store(con, scratch)
        load_tables(spark, tables)
        try:
            return standard_report(SparkEngine(spark), day_from, day_to, **options)
        finally:
            for table in tables:
                spark.catalog.dropTempView(table)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def java_runtime() -> str | None:
    """The `java` Spark would start: JAVA_HOME's if set, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home, "bin", "java")
        return str(candidate) if os.access(candidate, os.X_OK) else None
    return shutil.which("java")


def _is_local(master: str) -> bool:
    return master == "local" or master.startswith("local[")


@contextmanager
def spark_session(
    master: str = "local[*]", *, config: Mapping[str, str] | None = None
) -> Iterator[SparkSession]:
    """A SparkSession for the report: the active one if there is one, else a new one that is
    stopped on leaving.

    A local master binds to 127.0.0.1 and runs without the web UI. Raises `SparkUnavailable`
    with a one-line reason when pyspark or Java is missing or Spark cannot start.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(
            "the Spark engine needs pyspark: pip install 'safesocial[spark]'"
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        # The caller's own session (a test's, a notebook's): used as it is, and left running.
        yield active
        return
    if java_runtime() is None:
        raise SparkUnavailable(
            "the Spark engine needs a Java 17 (or later) runtime: install "
            "openjdk-17-jre-headless or set JAVA_HOME"
        )
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
    }
    if _is_local(master):
        # Loopback only: a report run on one machine opens no port to the network.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        settings.update(
            {
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
                "spark.sql.shuffle.partitions": str(max(2, os.cpu_count() or 2)),
            }
        )
    settings.update(config or {})
    builder = SparkSession.builder.master(master).appName("safesocial-monitoring")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own runtime errors when the JVM fails
        raise SparkUnavailable(f"Spark did not start: {str(exc).strip()[:300]}") from None
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
