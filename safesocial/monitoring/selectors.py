"""Reads for the monitoring pages: the school's report from DuckDB, charts, findings, exports.

The web app opens the school's DuckDB file read-only, so a page never changes it; while an
ingest holds the file the page says so and asks to try again (DuckDB has one writer process).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings

from safesocial.monitoring.engine import standard_report
from safesocial.monitoring.engine.report import SOCIAL_CATEGORY
from safesocial.people.models import Person, School
from safesocial.policies.models import ActionItem

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HEAT_LEVELS = 5


def db_path(school: School) -> Path:
    """Where `monitor-ingest` keeps the school's events (the same default as the commands)."""
    return Path(settings.VAR_DIR) / "monitoring" / f"{school.slug}.duckdb"


class ReportUnavailable(Exception):
    """The monitoring database exists but cannot be read now (busy, or the wrong layout)."""


@dataclass
class Loaded:
    """The outcome of reading the school's monitoring database for a window."""

    state: str  # "empty" (nothing ingested yet) or "ok"
    report: dict[str, Any] = field(default_factory=dict)
    exceptions: list[dict[str, Any]] = field(default_factory=list)


# Approved exceptions in use: social media allowed in school hours by a rule that allows it
# (enforcement logs the deciding rule, e.g. Squid's `rule=` field). Same SQL style as the engine.
_EXCEPTIONS_SQL = """
    WITH e AS (SELECT * FROM events WHERE local_day >= $day_from AND local_day <= $day_to)
    SELECT e.rule_id, e.service_id, e.segment, COUNT(*) AS requests,
        COUNT(DISTINCT e.person_id) AS people
    FROM e
    WHERE e.category = $social AND e.school_hours AND NOT e.blocked
      AND EXISTS (SELECT 1 FROM policy_grants g WHERE g.rule_id = e.rule_id AND g.action = 'allow')
    GROUP BY e.rule_id, e.service_id, e.segment
    ORDER BY requests DESC, e.rule_id, e.service_id, e.segment
"""


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=True)
        con.execute("SET TimeZone = 'UTC'")
        row = con.execute("SELECT COUNT(*) FROM files").fetchone()
    except duckdb.Error as error:
        raise ReportUnavailable(
            "The monitoring database is busy or cannot be read just now. "
            "Try again in a minute; if this persists, tell the network manager."
        ) from error
    if row is None:  # pragma: no cover - COUNT always answers
        raise ReportUnavailable("The monitoring database cannot be read.")
    return con


def load_report(school: School, day_from: dt.date | None, day_to: dt.date | None) -> Loaded:
    """The standard report (and the exceptions in use) for local days `day_from`..`day_to`."""
    path = db_path(school)
    if not path.exists():
        return Loaded("empty")
    con = _open(path)
    try:
        files = con.execute("SELECT COUNT(*) FROM files").fetchone()
        if not files or not files[0]:
            return Loaded("empty")
        report = standard_report(con, day_from, day_to)
        params = {
            "day_from": dt.date.fromisoformat(report["from"]),
            "day_to": dt.date.fromisoformat(report["to"]),
            "social": SOCIAL_CATEGORY,
        }
        exceptions = [
            {
                "rule_id": rule_id,
                "service_id": service_id,
                "segment": segment,
                "requests": int(n),
                "people": int(people),
            }
            for rule_id, service_id, segment, n, people in con.execute(
                _EXCEPTIONS_SQL, params
            ).fetchall()
        ]
    except duckdb.Error as error:
        raise ReportUnavailable(
            "The monitoring database could not be read. Tell the network manager."
        ) from error
    finally:
        con.close()
    return Loaded("ok", report, exceptions)


def data_span(school: School) -> tuple[dt.date, dt.date] | None:
    """The first and last local day with events, or None."""
    path = db_path(school)
    if not path.exists():
        return None
    con = _open(path)
    try:
        row = con.execute("SELECT MIN(local_day), MAX(local_day) FROM events").fetchone()
    finally:
        con.close()
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


# --- People ---------------------------------------------------------------------------------


def person_labels(school: School, person_ids: set[str]) -> dict[str, str]:
    """Network person ids ("p12") of this school's people -> their names."""
    pks = {int(pid[1:]) for pid in person_ids if pid and pid[:1] == "p" and pid[1:].isdigit()}
    people = Person.objects.for_school(school).filter(pk__in=pks)
    return {f"p{p.pk}": p.full_name for p in people}


# --- Charts ---------------------------------------------------------------------------------

BAR_COLOUR = "#1d70b8"


def bar_chart(label: str, rows: list[tuple[str, int]], *, unit: str = "requests") -> dict[str, Any]:
    """A horizontal bar chart drawn on the server (SVG, no script); the page shows a table of
    the same numbers next to it. `label` names the chart for assistive technology."""
    rows = rows[:15]
    maximum = max((n for _, n in rows), default=0)
    left, width, bar_h, gap = 200, 720, 22, 8
    plot_w = width - left - 70
    bars = []
    for index, (name, value) in enumerate(rows):
        y = 10 + index * (bar_h + gap)
        w = round(plot_w * value / maximum, 1) if maximum else 0
        bars.append(
            {
                "name": name if len(name) <= 28 else name[:27] + "…",
                "value": value,
                "x": left,
                "y": y,
                "w": w,
                "h": bar_h,
                "text_y": y + bar_h / 2 + 5,
                "value_x": left + w + 6,
                "title": f"{name}: {value} {unit}",
            }
        )
    height = 20 + len(rows) * (bar_h + gap)
    summary = "; ".join(f"{name} {value}" for name, value in rows)
    return {
        "label": f"{label}. {summary}" if rows else f"{label}: none",
        "width": width,
        "height": height,
        "label_x": left - 8,
        "bars": bars,
        "maximum": maximum,
        "colour": BAR_COLOUR,
    }


def heat_level(value: int, maximum: int) -> int:
    """0 for nothing, else 1..HEAT_LEVELS in proportion to the busiest hour."""
    if value <= 0 or maximum <= 0:
        return 0
    return max(1, min(HEAT_LEVELS, math.ceil(HEAT_LEVELS * value / maximum)))


def heatmap(hour_of_week: list[list[int]]) -> dict[str, Any]:
    maximum = max((max(row) for row in hour_of_week), default=0)
    return {
        "hours": [f"{h:02d}" for h in range(24)],
        "maximum": maximum,
        "rows": [
            {
                "day": WEEKDAYS[d],
                "cells": [
                    {"value": v, "level": heat_level(v, maximum), "hour": f"{h:02d}:00"}
                    for h, v in enumerate(row)
                ],
            }
            for d, row in enumerate(hour_of_week)
        ],
    }


# --- Tables (page and CSV) ------------------------------------------------------------------


def tables(loaded: Loaded, names: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each table of the report page as a header and rows: the page and the CSV exports use
    the same rows, so what is downloaded is what was shown."""
    r = loaded.report

    def who(person_id: str | None, username: str | None = None) -> str:
        if not person_id:
            return "Unknown person"
        return names.get(person_id) or username or person_id

    return {
        "by_service": {
            "title": "Requests by service",
            "header": ["Service", "Category", "Requests", "Blocked", "In school hours"],
            "rows": [
                [
                    s["name"] or s["service_id"],
                    s["category"] or "",
                    s["requests"],
                    s["blocked"],
                    s["in_school_hours"],
                ]
                for s in r["by_service"]
            ],
        },
        "by_role_group": {
            "title": "Requests by role group",
            "header": ["Role group", "Requests", "Social media", "Blocked"],
            "rows": [
                [group, v["requests"], v["social_media"], v["blocked"]]
                for group, v in r["by_role_group"].items()
            ],
        },
        "by_hour_of_week": {
            "title": "Requests by hour of the week",
            "header": ["Day", *[f"{h:02d}:00" for h in range(24)]],
            "rows": [[WEEKDAYS[d], *row] for d, row in enumerate(r["by_hour_of_week"])],
        },
        "school_hours": {
            "title": "Requests in and out of school hours",
            "header": ["When", "Requests"],
            "rows": [
                ["In school hours", r["in_school_hours"]],
                ["Out of school hours", r["out_of_school_hours"]],
            ],
        },
        "blocked_by_person": {
            "title": "Blocked attempts by person",
            "header": ["Person", "Role group", "Blocked", "Most in a day", "Repeated"],
            "rows": [
                [
                    who(p["person_id"], p["username"]),
                    p["role_group"] or "unknown",
                    p["blocked"],
                    p["most_in_a_day"],
                    f"Yes, on {p['repeated_days']} day(s)" if p["repeated"] else "No",
                ]
                for p in r["blocked_by_person"]
            ],
        },
        "coverage": {
            "title": "Coverage by network segment",
            "header": ["Segment", "Logs in this period"],
            "rows": [[name, "No: a gap in monitoring"] for name in r["segments_without_logs"]],
        },
        "enforcement_gaps": {
            "title": "Enforcement gaps",
            "header": ["Person", "Role group", "Segment", "Service", "Log", "Requests"],
            "rows": [
                [
                    who(g["person_id"]),
                    g["role_group"] or "unknown",
                    g["segment"] or "no segment",
                    g["service_id"] or "",
                    g["source"],
                    g["requests"],
                ]
                for g in r["enforcement_gaps"]["groups"]
            ],
        },
        "sanctions": {
            "title": "Sanctions enforced",
            "header": ["Sanction", "Person", "Requests", "Blocked", "Not blocked"],
            "rows": [
                [
                    s["sanction_id"],
                    who(s["person_id"], s["username"]),
                    s["requests"],
                    s["blocked"],
                    s["allowed"],
                ]
                for s in r["sanctioned_traffic"]
            ],
        },
        "exceptions": {
            "title": "Approved exceptions in use",
            "header": ["Rule", "Service", "Segment", "Requests", "People"],
            "rows": [
                [
                    e["rule_id"],
                    e["service_id"] or "",
                    e["segment"] or "",
                    e["requests"],
                    e["people"],
                ]
                for e in loaded.exceptions
            ],
        },
    }


EXPORTS = (
    "by_service",
    "by_role_group",
    "by_hour_of_week",
    "school_hours",
    "blocked_by_person",
    "coverage",
    "enforcement_gaps",
    "sanctions",
    "exceptions",
)


# --- Evaluation findings --------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """Something the evaluation found that may need action. `key` is stable across reports
    (no counts or names), so the same finding is recognised again; it names no person."""

    key: str
    kind: str
    title: str
    detail: str
    in_plan: bool = False


def findings(school: School, loaded: Loaded) -> list[Finding]:
    r = loaded.report
    found: list[Finding] = []
    gaps: dict[tuple[str, str, str], int] = {}
    for g in r["enforcement_gaps"]["groups"]:
        where = (g["segment"] or "no segment", g["service_id"] or "", g["role_group"] or "unknown")
        gaps[where] = gaps.get(where, 0) + g["requests"]
    for (segment, service, group), n in sorted(gaps.items()):
        found.append(
            Finding(
                key=f"gap:{segment}:{service}:{group}",
                kind="Enforcement gap",
                title=f"Enforcement gap: {service} allowed in school hours "
                f"for {group} on {segment}",
                detail=f"{n} social media request(s) in school hours "
                "not explained by an allow rule.",
            )
        )
    for s in r["sanctioned_traffic"]:
        if s["allowed"]:
            found.append(
                Finding(
                    key=f"sanction:{s['sanction_id']}",
                    kind="Sanction not enforced",
                    title=f"Sanction {s['sanction_id']} not fully enforced",
                    detail=f"{s['allowed']} of {s['requests']} request(s) during the sanction "
                    "were not blocked.",
                )
            )
    for name in r["segments_without_logs"]:
        found.append(
            Finding(
                key=f"coverage:{name}",
                kind="Gap in monitoring",
                title=f"No logs from network segment {name}",
                detail="Nothing from this segment reached monitoring in the period: check that "
                "its traffic goes through the proxy or resolver, and that the logs are ingested.",
            )
        )
    for e in loaded.exceptions:
        found.append(
            Finding(
                key=f"exception:{e['rule_id']}:{e['service_id'] or ''}",
                kind="Approved exception in use",
                title=f"Review exception {e['rule_id']} for {e['service_id'] or 'any service'}",
                detail=f"{e['requests']} social media request(s) in school hours allowed by this "
                f"rule on {e['segment'] or 'no segment'}, by {e['people']} person(s).",
            )
        )
    planned = set(open_action_keys(school))
    return [
        Finding(f.key, f.kind, f.title, f.detail, in_plan=source_reference(f.key) in planned)
        for f in found
    ]


def source_reference(key: str) -> str:
    return f"monitoring {key}"[:100]


def open_action_keys(school: School) -> list[str]:
    """Source references of the school's monitoring items still open on the action plan."""
    return list(
        ActionItem.objects.for_school(school)
        .filter(source=ActionItem.Source.MONITORING)
        .exclude(status=ActionItem.Status.DONE)
        .values_list("source_reference", flat=True)
    )
