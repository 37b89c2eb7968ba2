"""With the school's monitoring database (the monitoring tests' logs, ingested for real), the
pack carries the monitoring summary and the evaluation findings of its period."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from safesocial.monitoring.selectors import findings, load_report
from safesocial.reviews.controls import CONTROLS, PARTLY, evaluate
from safesocial.reviews.pack import build_pack, headline
from tests.conftest import Cast
from tests.monitoring.conftest import DAY, ingested, var_dir  # noqa: F401 - fixtures

DAY_ = dt.date.fromisoformat(DAY)


def test_pack_has_the_monitoring_summary(cast: Cast, ingested: Path) -> None:  # noqa: F811
    pack = build_pack(cast.school, DAY_, DAY_, today=dt.date(2025, 3, 10))
    assert pack.monitoring_state == "ok"
    con = duckdb.connect(str(ingested), read_only=True)
    try:
        row = con.execute(
            "SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(blocked), 0) FROM rollup_hourly "
            "WHERE local_day = ?",
            [DAY_],
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    totals = dict(pack.monitoring_totals)
    assert (totals["Requests"], totals["Blocked"]) == (int(row[0]), int(row[1]))
    expected = findings(cast.school, load_report(cast.school, DAY_, DAY_))
    assert [f.key for f in pack.findings] == [f.key for f in expected]
    assert dict(headline(pack))["Monitoring findings"] == str(len(expected))


def test_map_says_when_the_logs_stopped(cast: Cast, ingested: Path) -> None:  # noqa: F811
    control = next(c for c in CONTROLS if c.key == "monitoring")
    evidence = evaluate(control, cast.school, dt.date(2025, 6, 1))
    assert evidence.status == PARTLY
    assert evidence.reason.startswith("Logs ingested up to 4 March 2025; nothing in the last")
