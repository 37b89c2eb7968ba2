"""The standard report on Spark (pyspark, local mode) against the same report on DuckDB.

The data are the hand-made logs of test_engine.py (three formats, a rotation, the clock change
on 30 March 2025), whose figures test_engine.py checks against hand-written answers. Here every
figure of the Spark report must equal the DuckDB one: the whole structure is walked, keys and
lengths included. One SparkSession serves the module; it runs only in the SQLite pass.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import shutil
import sys
from collections.abc import Iterator
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safesocial.monitoring.engine import open_store, standard_report
from safesocial.monitoring.engine.report import (
    QUERIES,
    REPORT_TABLES,
    bind_lists,
    trust_report,
    trust_text,
)
from safesocial.monitoring.engine.spark import (
    SparkEngine,
    SparkUnavailable,
    export_store,
    load_tables,
    spark_report,
    spark_session,
    spark_sql,
)

from .test_engine import World

pytestmark = pytest.mark.sqlite_only

# (first day, last day); None = the span of the data.
RANGES = {
    "whole span": (None, None),
    "one school day": (date(2025, 3, 4), date(2025, 3, 4)),
    "the clock change and the day after": (date(2025, 3, 30), date(2025, 3, 31)),
    "no data": (date(2024, 9, 1), date(2024, 9, 30)),
}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    config = {
        "spark.driver.memory": "512m",
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        # Deliberately not UTC: the store's times must not move with the session's zone.
        "spark.sql.session.timeZone": "Europe/London",
    }
    # py4j logs its socket closing from a finaliser, after pytest has closed its streams.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    with spark_session("local[2]", config=config) as session:
        yield session


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = World(tmp_path_factory.mktemp("spark-world"))
    w.run()
    return w


def assert_same(left: Any, right: Any, path: str = "report") -> None:
    """Every figure equal: same keys in the same order, same lengths, floats within 1e-9."""
    if isinstance(left, dict):
        assert isinstance(right, dict), f"{path}: {type(right).__name__}, not a dict"
        assert list(left) == list(right), f"{path}: keys {list(left)} != {list(right)}"
        for key in left:
            assert_same(left[key], right[key], f"{path}[{key!r}]")
    elif isinstance(left, list | tuple):
        assert isinstance(right, list | tuple), f"{path}: {type(right).__name__}, not a list"
        assert len(left) == len(right), f"{path}: {len(left)} items != {len(right)}"
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(left, float) or isinstance(right, float):
        assert not isinstance(left, bool) and not isinstance(right, bool), path
        assert math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12), f"{path}: {left} != {right}"
    else:
        # type() too: True == 1 and 1 == 1.0 must not pass for one another.
        assert type(left) is type(right), f"{path}: {left!r} vs {right!r}"
        assert left == right, f"{path}: {left!r} != {right!r}"


def count_figures(value: Any) -> int:
    if isinstance(value, dict):
        return sum(count_figures(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_figures(v) for v in value)
    return 1


@pytest.mark.parametrize("days", list(RANGES.values()), ids=list(RANGES))
def test_spark_report_equals_duckdb_report(
    spark: Any, world: World, tmp_path: Path, days: tuple[date | None, date | None]
) -> None:
    on_duckdb = standard_report(world.con, *days)
    on_spark = spark_report(spark, world.con, *days, staging=tmp_path / "parquet")
    assert_same(on_duckdb, on_spark)
    assert list((tmp_path / "parquet").iterdir()) == []  # the copies of events are gone
    # Not a comparison of two empty reports: the known answers are there.
    expected = World.expectations()
    if days == (None, None):
        assert on_spark["requests"] == len(expected) > 0
        assert on_spark["enforcement_gaps"]["requests"] == sum(e.gap for e in expected)
        assert len(on_spark["alerts"]) == 4
        assert count_figures(on_spark) > 250
    if days == RANGES["the clock change and the day after"]:
        assert on_spark["requests"] == sum(e.day >= "2025-03-30" for e in expected)
        assert on_spark["by_hour_of_week"][6][2] == 1  # 02:30 BST, an hour after 00:30 GMT
        assert on_spark["by_hour_of_week"][6][1] == 0
    if days == RANGES["no data"]:
        assert on_spark["requests"] == 0 and on_spark["lines"] > 0
        assert on_spark["segments_without_logs"] != []


def test_same_report_with_other_settings(spark: Any, world: World) -> None:
    options: dict[str, Any] = {"repeat_threshold": 1, "learner_group": "staff"}
    assert_same(standard_report(world.con, **options), spark_report(spark, world.con, **options))


def test_an_empty_store_reports_the_same(spark: Any, tmp_path: Path) -> None:
    con = open_store(tmp_path / "empty.duckdb")
    assert_same(standard_report(con), spark_report(spark, con))


def test_the_comparison_catches_one_changed_figure(world: World) -> None:
    report = standard_report(world.con)
    assert_same(report, copy.deepcopy(report))
    for change in (
        lambda r: r["by_hour_of_week"][1].__setitem__(10, r["by_hour_of_week"][1][10] + 1),
        lambda r: r["blocked_by_person"][0].__setitem__("repeated", 1),
        lambda r: r["alerts"].pop(),
        lambda r: r["by_role_group"].pop("unknown"),
        lambda r: r["by_source"].update({"squid": r["by_source"].pop("squid")}),  # order
    ):
        other = copy.deepcopy(report)
        change(other)
        with pytest.raises(AssertionError):
            assert_same(report, other)
    with pytest.raises(AssertionError):
        assert_same({"share": 0.5}, {"share": 0.5 + 1e-6})
    assert_same({"share": 0.1 + 0.2}, {"share": 0.3})


def test_times_mean_the_same_on_both_engines(spark: Any, world: World, tmp_path: Path) -> None:
    from pyspark.sql.types import TimestampNTZType

    load_tables(spark, export_store(world.con, tmp_path))
    try:
        ts = spark.table("events").schema["ts"].dataType
        assert isinstance(ts, TimestampNTZType)
        sql = (
            "SELECT ts, local_day, local_hour, file_id, line_no FROM events"
            " WHERE ts >= $start ORDER BY ts, file_id, line_no"
        )
        # Around the clock change: 00:30 and 01:30 UTC on 30 March exist as stored.
        start = {"start": date(2025, 3, 30)}
        on_duckdb = world.con.execute(sql, start).fetchall()
        on_spark = SparkEngine(spark).rows(sql, start)
        assert [tuple(r) for r in on_spark] == on_duckdb
        assert [(r[0].hour, r[0].minute, r[2]) for r in on_duckdb[:2]] == [(0, 30, 0), (1, 30, 2)]
    finally:
        for table in REPORT_TABLES:
            spark.catalog.dropTempView(table)


def test_the_raw_text_of_malformed_lines_stays_behind(world: World, tmp_path: Path) -> None:
    written = export_store(world.con, tmp_path)
    assert set(written) == set(REPORT_TABLES)
    columns = [
        r[0]
        for r in world.con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{written['malformed']}')"  # noqa: S608
        ).fetchall()
    ]
    assert "raw" not in columns and "reason" in columns


def test_only_the_parameter_markers_change_for_spark() -> None:
    for sql in QUERIES.values():
        translated = spark_sql(sql)
        assert "$" not in translated
        assert translated.replace(":", "$") == sql.replace(":", "$")
    every_query = " ".join(QUERIES.values())
    assert all(table in every_query for table in REPORT_TABLES)


def test_a_list_parameter_is_one_parameter_per_value_on_both_engines(world: World) -> None:
    sql, params = bind_lists(
        "SELECT 1 WHERE $a IN ($people) AND $peoples = 3",
        {"people": ["p-1", "p-2"], "peoples": 3, "a": "p-2", "unused": 5},
    )
    assert sql == "SELECT 1 WHERE $a IN ($people_0, $people_1) AND $peoples = 3"
    assert params == {"people_0": "p-1", "people_1": "p-2", "peoples": 3, "a": "p-2"}
    assert world.con.execute(sql, params).fetchall() == [(1,)]
    assert spark_sql(sql) == sql.replace("$", ":")
    sql, params = bind_lists("SELECT 1 WHERE 'p-1' IN ($people)", {"people": []})
    assert (sql, params) == ("SELECT 1 WHERE 'p-1' IN (NULL)", {})
    assert world.con.execute(sql).fetchall() == []


def test_trust_report_adds_up_the_schools(world: World, tmp_path: Path) -> None:
    one = standard_report(world.con)
    empty = standard_report(open_store(tmp_path / "empty.duckdb"))
    trust = trust_report({"st-aidans": one, "new-school": empty})
    assert trust["totals"]["requests"] == one["requests"] > 0
    assert trust["totals"]["alerts"] == len(one["alerts"])
    assert trust["totals"]["enforcement_gaps"] == one["enforcement_gaps"]["requests"]
    assert (trust["from"], trust["to"]) == ("2025-03-04", "2025-03-31")
    text = trust_text(trust)
    assert text.startswith("Trust report 2025-03-04 to 2025-03-31, 2 schools")
    assert "== st-aidans ==" in text and "== new-school ==" in text


# The command, with the cast's school and its logs ingested through monitor-ingest.


def report_command(*args: str) -> str:
    out = StringIO()
    call_command("monitor_report", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db
def test_command_runs_the_report_on_spark(spark: Any, ingested: Path) -> None:
    # The cast's other school, with a copy of the same store: a trust of two.
    shutil.copy(ingested, ingested.parent / "other.duckdb")
    both = ("--school", "test", "--school", "other", "--from", "2025-03-04", "--to", "2025-03-31")
    on_duckdb = json.loads(report_command(*both, "--format", "json"))
    on_spark = json.loads(report_command(*both, "--engine", "spark", "--format", "json"))
    assert sorted(on_spark["schools"]) == ["other", "test"]
    assert on_duckdb["totals"]["requests"] > 0
    # JSON's own types (no dates, no tuples): the output itself is the same, figure for figure.
    assert_same(on_duckdb, on_spark)


@pytest.mark.django_db
def test_command_says_what_is_missing(
    ingested: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pyspark.sql import SparkSession

    # As on a machine where no session runs yet and Java is missing.
    monkeypatch.setattr(SparkSession, "getActiveSession", classmethod(lambda cls: None))
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    with pytest.raises(CommandError, match="needs a Java 17"):
        report_command("--school", "test", "--engine", "spark")
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(CommandError, match=r"needs pyspark: pip install"):
        report_command("--school", "test", "--engine", "spark")


def test_missing_pyspark_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(SparkUnavailable, match="needs pyspark"), spark_session():
        pass


def test_the_copies_for_spark_leave_names_and_raw_lines_behind(
    world: World, tmp_path: Path
) -> None:
    tables = export_store(world.con, tmp_path)
    assert set(tables) == set(REPORT_TABLES)
    for table, path in tables.items():
        exported = {
            row[0]
            for row in world.con.execute(
                f"DESCRIBE SELECT * FROM read_parquet('{path}')"  # noqa: S608 (our own path)
            ).fetchall()
        }
        assert exported, table
        if table == "events":
            assert "user_name" not in exported and "person_id" in exported
        if table == "malformed":
            assert not exported & {"raw", "path"}
