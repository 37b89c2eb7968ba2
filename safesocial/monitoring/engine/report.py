"""The standard report, the evaluation figures and the alerts, as SQL over the stored tables.

The queries are written once and kept to ANSI-style SQL that Spark SQL also runs: CTEs, CASE,
COUNT/SUM/MAX, GROUP BY, ROW_NUMBER() OVER, EXISTS / NOT EXISTS, LEFT JOIN. No DuckDB-only
functions or clauses (no FILTER, QUALIFY, list or struct functions); local day, weekday and hour
are stored columns, so no time-zone functions either. Every ORDER BY says where NULLs go, since
the engines' defaults differ (DuckDB puts them last, Spark first when ascending). Exceptions:
none in this module (the loader, formats.py, is DuckDB-specific by design).

The queries run through a `SqlEngine`: anything with `rows(sql, params)`. A DuckDB connection is
wrapped in `DuckDBEngine`; `spark.SparkEngine` runs the same text on a SparkSession. Parameters
are written `$name`, as DuckDB binds them; the Spark engine is the one place that turns them
into Spark's `:name` markers. A list parameter stands for its values (`IN ($people)`): it is
expanded to one scalar parameter per value, as both engines bind those, or to NULL when empty.
"""

# ruff: noqa: S608 -- the SQL is assembled from constants in this module; values are bound

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from .policy import AVOIDANCE
from .store import Connection


class SqlEngine(Protocol):
    """Runs one report query: `$name` parameters bound from `params`, all rows returned."""

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]: ...


class DuckDBEngine:
    """The default engine: the school's own DuckDB store."""

    def __init__(self, con: Connection) -> None:
        self.con = con

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return self.con.execute(sql, params or None).fetchall()


REPEAT_THRESHOLD = 3  # blocked attempts in one local day that count as "repeated"
LEARNER_GROUP = "learners"
SOCIAL_CATEGORY = "social"

# Every table the queries read (spark.py copies exactly these to Spark).
REPORT_TABLES = (
    "events",
    "rollup_hourly",
    "files",
    "malformed",
    "policy_people",
    "policy_segments",
    "policy_services",
    "policy_grants",
    "policy_sanctions",
)

# Events in the reporting window (local days, inclusive).
_WINDOW = "SELECT * FROM events WHERE local_day >= $day_from AND local_day <= $day_to"
_ROLLUP = "SELECT * FROM rollup_hourly WHERE local_day >= $day_from AND local_day <= $day_to"

QUERIES: dict[str, str] = {
    "totals": f"""
        WITH r AS ({_ROLLUP})
        SELECT
            COALESCE(SUM(requests), 0) AS requests,
            COALESCE(SUM(CASE WHEN category = $social THEN requests ELSE 0 END), 0) AS social,
            COALESCE(SUM(CASE WHEN school_hours THEN requests ELSE 0 END), 0) AS in_hours,
            COALESCE(SUM(CASE WHEN NOT school_hours THEN requests ELSE 0 END), 0) AS out_hours,
            COALESCE(SUM(blocked), 0) AS blocked
        FROM r
    """,
    "by_service": f"""
        WITH r AS ({_ROLLUP})
        SELECT r.service_id, s.name, r.category, SUM(r.requests) AS requests,
            SUM(r.blocked) AS blocked,
            SUM(CASE WHEN r.school_hours THEN r.requests ELSE 0 END) AS in_school_hours
        FROM r LEFT JOIN policy_services s ON s.service_id = r.service_id
        WHERE r.service_id IS NOT NULL
        GROUP BY r.service_id, s.name, r.category
        ORDER BY requests DESC, r.service_id, s.name NULLS LAST, r.category NULLS LAST
    """,
    "by_role_group": f"""
        WITH r AS ({_ROLLUP})
        SELECT role_group, SUM(requests) AS requests,
            SUM(CASE WHEN category = $social THEN requests ELSE 0 END) AS social,
            SUM(blocked) AS blocked
        FROM r GROUP BY role_group ORDER BY requests DESC, role_group NULLS LAST
    """,
    "by_source": f"""
        WITH r AS ({_ROLLUP})
        SELECT source, SUM(requests) AS requests, SUM(blocked) AS blocked
        FROM r GROUP BY source ORDER BY source
    """,
    "by_hour_of_week": f"""
        WITH r AS ({_ROLLUP})
        SELECT local_dow, local_hour, SUM(requests) AS requests
        FROM r GROUP BY local_dow, local_hour
    """,
    "blocked_by_person": f"""
        WITH r AS ({_ROLLUP}),
        daily AS (
            SELECT person_id, local_day, SUM(blocked) AS attempts
            FROM r WHERE person_id IS NOT NULL
            GROUP BY person_id, local_day
            HAVING SUM(blocked) > 0
        )
        SELECT d.person_id, p.username, p.role_group, SUM(d.attempts) AS blocked,
            MAX(d.attempts) AS most_in_a_day,
            SUM(CASE WHEN d.attempts >= $threshold THEN 1 ELSE 0 END) AS repeated_days
        FROM daily d LEFT JOIN policy_people p ON p.person_id = d.person_id
        GROUP BY d.person_id, p.username, p.role_group
        ORDER BY blocked DESC, d.person_id, p.username NULLS LAST, p.role_group NULLS LAST
    """,
    "segments_without_logs": f"""
        WITH r AS ({_ROLLUP})
        SELECT s.name, s.kind FROM policy_segments s
        WHERE NOT EXISTS (SELECT 1 FROM r WHERE r.segment = s.name)
        ORDER BY s.name NULLS LAST, s.kind NULLS LAST
    """,
    "unattributed": f"""
        WITH r AS ({_ROLLUP})
        SELECT
            SUM(CASE WHEN segment IS NULL THEN requests ELSE 0 END) AS outside_segments,
            SUM(CASE WHEN person_id IS NULL THEN requests ELSE 0 END) AS unknown_person
        FROM r
    """,
    # Social media allowed in school hours where the first rule that applies (as enforcement
    # evaluates them) is not an allow rule, or the person was under a sanction. Rules depend
    # only on who, where and what, so they are judged once per combination of the rollup;
    # sanctions depend on the time, so their part reads the events of sanctioned people.
    "enforcement_gaps": f"""
        WITH r AS ({_ROLLUP}),
        allowed AS (
            SELECT person_id, role_group, segment, service_id, category, source,
                SUM(requests - blocked) AS requests
            FROM r WHERE category = $social AND school_hours
            GROUP BY person_id, role_group, segment, service_id, category, source
            HAVING SUM(requests - blocked) > 0
        ),
        verdict AS (
            SELECT a.person_id, a.role_group, a.segment, a.service_id, a.category, a.source,
                a.requests, MIN(g.ord) AS first_ord,
                MIN(CASE WHEN g.action = 'allow' THEN g.ord END) AS first_allow
            FROM allowed a LEFT JOIN policy_grants g
              ON (g.person_id IS NULL OR g.person_id = a.person_id)
             AND (g.segment IS NULL OR g.segment = a.segment)
             AND ((g.service_id IS NULL AND g.category IS NULL)
                  OR g.service_id = a.service_id OR g.category = a.category)
             AND g.when_ IN ('always', 'school_hours')
            GROUP BY a.person_id, a.role_group, a.segment, a.service_id, a.category, a.source,
                a.requests
        ),
        sanctioned AS (
            SELECT e.person_id, e.role_group, e.segment, e.service_id, e.category, e.source,
                COUNT(*) AS requests
            FROM events e
            WHERE e.local_day >= $day_from AND e.local_day <= $day_to
              AND e.category = $social AND e.school_hours AND NOT e.blocked
              AND e.person_id IN ($sanctioned)
              AND EXISTS (SELECT 1 FROM policy_sanctions s WHERE s.person_id = e.person_id
                          AND e.ts >= s.start_utc AND (s.end_utc IS NULL OR e.ts < s.end_utc))
            GROUP BY e.person_id, e.role_group, e.segment, e.service_id, e.category, e.source
        ),
        gaps AS (
            SELECT person_id, role_group, segment, service_id, source, requests FROM verdict
            WHERE first_allow IS NULL OR first_allow <> first_ord
            UNION ALL
            SELECT s.person_id, s.role_group, s.segment, s.service_id, s.source, s.requests
            FROM sanctioned s JOIN verdict v
              ON v.person_id = s.person_id
             AND v.role_group IS NOT DISTINCT FROM s.role_group
             AND v.segment IS NOT DISTINCT FROM s.segment
             AND v.service_id IS NOT DISTINCT FROM s.service_id
             AND v.category IS NOT DISTINCT FROM s.category
             AND v.source = s.source
            WHERE v.first_allow = v.first_ord
        )
        SELECT person_id, role_group, segment, service_id, source, SUM(requests) AS requests
        FROM gaps
        GROUP BY person_id, role_group, segment, service_id, source
        ORDER BY requests DESC, person_id NULLS LAST, role_group NULLS LAST,
            segment NULLS LAST, service_id NULLS LAST, source
    """,
    "sanctioned_traffic": f"""
        WITH e AS ({_WINDOW} AND person_id IN ($sanctioned))
        SELECT s.sanction_id, s.person_id, p.username, COUNT(*) AS requests,
            SUM(CASE WHEN e.blocked THEN 1 ELSE 0 END) AS blocked,
            SUM(CASE WHEN e.blocked THEN 0 ELSE 1 END) AS allowed
        FROM e JOIN policy_sanctions s ON s.person_id = e.person_id
            AND e.ts >= s.start_utc AND (s.end_utc IS NULL OR e.ts < s.end_utc)
        LEFT JOIN policy_people p ON p.person_id = s.person_id
        GROUP BY s.sanction_id, s.person_id, p.username
        ORDER BY s.sanction_id NULLS LAST, s.person_id NULLS LAST, p.username NULLS LAST
    """,
    "alert_repeated_social": f"""
        WITH r AS ({_ROLLUP})
        SELECT person_id, local_day, SUM(blocked) AS attempts
        FROM r
        WHERE category = $social AND role_group = $learners
        GROUP BY person_id, local_day
        HAVING SUM(blocked) >= $threshold
        ORDER BY local_day NULLS LAST, person_id NULLS LAST
    """,
    "alert_avoidance": f"""
        WITH e AS ({_WINDOW})
        SELECT COALESCE(person_id, '') AS person_id, client, category, service_id,
            local_day, COUNT(*) AS requests,
            SUM(CASE WHEN blocked THEN 1 ELSE 0 END) AS blocked
        FROM e WHERE category IN ({", ".join(f"'{c}'" for c in AVOIDANCE)})
        GROUP BY COALESCE(person_id, ''), client, category, service_id, local_day
        ORDER BY local_day NULLS LAST, person_id, client NULLS LAST, category NULLS LAST,
            service_id NULLS LAST
    """,
    "files": """
        SELECT COALESCE(SUM(lines), 0), COALESCE(SUM(malformed), 0),
            COALESCE(SUM(ignored), 0) FROM files
    """,
    "malformed_reasons": """
        SELECT reason, COUNT(*) AS n FROM malformed GROUP BY reason ORDER BY n DESC, reason
    """,
    "span": "SELECT MIN(local_day), MAX(local_day) FROM rollup_hourly",
    # The people with a sanction, looked up first: given to the queries that read their
    # events as values, the person filter reaches the scan of the events (with a subquery
    # instead, DuckDB joined all 10M events of the benchmark before filtering: twice as slow).
    "sanctioned_people": """
        SELECT DISTINCT person_id FROM policy_sanctions WHERE person_id IS NOT NULL
        ORDER BY person_id
    """,
}


def as_engine(source: Connection | SqlEngine) -> SqlEngine:
    """`source` itself if it is an engine; a DuckDB connection wrapped in `DuckDBEngine`."""
    if isinstance(source, Connection):
        return DuckDBEngine(source)
    return source


def _rows(engine: SqlEngine, name: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
    sql, used = bind_lists(QUERIES[name], params)
    return engine.rows(sql, used)


def bind_lists(sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The SQL and the parameters it uses, each list parameter `$name` written out as
    `$name_0, $name_1, ...` (NULL when the list is empty: `IN (NULL)` matches nothing)."""
    used: dict[str, Any] = {}
    for key, value in params.items():
        marker = re.compile(rf"\${re.escape(key)}\b")
        if not marker.search(sql):
            continue
        if isinstance(value, list | tuple):
            names = [f"{key}_{index}" for index in range(len(value))]
            written = ", ".join(f"${n}" for n in names) or "NULL"
            sql = marker.sub(written, sql)  # (identifiers: nothing to escape)
            used.update(zip(names, value, strict=True))
        else:
            used[key] = value
    return sql, used


def standard_report(
    source: Connection | SqlEngine,
    school_from: date | None = None,
    school_to: date | None = None,
    *,
    repeat_threshold: int = REPEAT_THRESHOLD,
    learner_group: str = LEARNER_GROUP,
) -> dict[str, Any]:
    """The standard monitoring report for local days `school_from`..`school_to` (inclusive).

    `lines` and `malformed` describe everything ingested (malformed lines have no reliable
    time); every other figure is for the window. Without dates, the whole database.
    `source` is a DuckDB store or any `SqlEngine` (the same report on Spark: spark.py).
    """
    con = as_engine(source)
    span = _rows(con, "span", {})[0]
    day_from = school_from or span[0] or date(1970, 1, 1)
    day_to = school_to or span[1] or date(1970, 1, 1)
    params: dict[str, Any] = {
        "day_from": day_from,
        "day_to": day_to,
        "social": SOCIAL_CATEGORY,
        "threshold": repeat_threshold,
        "learners": learner_group,
        "sanctioned": [row[0] for row in _rows(con, "sanctioned_people", {})],
    }
    lines, malformed, ignored = (int(v) for v in _rows(con, "files", params)[0])
    requests, social, in_hours, out_hours, blocked = (
        int(v) for v in _rows(con, "totals", params)[0]
    )
    hour_of_week = [[0] * 24 for _ in range(7)]
    for dow, hour, count in _rows(con, "by_hour_of_week", params):
        hour_of_week[int(dow)][int(hour)] = int(count)
    unattributed = _rows(con, "unattributed", params)[0]

    blocked_people = [
        {
            "person_id": person_id,
            "username": username,
            "role_group": role_group,
            "blocked": int(count),
            "most_in_a_day": int(most),
            "repeated": int(most) >= repeat_threshold,
            "repeated_days": int(days),
        }
        for person_id, username, role_group, count, most, days in _rows(
            con, "blocked_by_person", params
        )
    ]
    gaps = [
        {
            "person_id": person_id,
            "role_group": role_group,
            "segment": segment,
            "service_id": service_id,
            "source": source,
            "requests": int(count),
        }
        for person_id, role_group, segment, service_id, source, count in _rows(
            con, "enforcement_gaps", params
        )
    ]
    sanctioned = [
        {
            "sanction_id": sanction_id,
            "person_id": person_id,
            "username": username,
            "requests": int(count),
            "blocked": int(n_blocked),
            "allowed": int(n_allowed),
        }
        for sanction_id, person_id, username, count, n_blocked, n_allowed in _rows(
            con, "sanctioned_traffic", params
        )
    ]
    alerts: list[dict[str, Any]] = []
    for person_id, day, attempts in _rows(con, "alert_repeated_social", params):
        alerts.append(
            {
                "kind": "repeated_blocked_social",
                "person_id": person_id,
                "day": day.isoformat(),
                "count": int(attempts),
                "detail": f"{attempts} blocked social media attempts by a learner in one day",
            }
        )
    for person_id, client, category, service_id, day, count, n_blocked in _rows(
        con, "alert_avoidance", params
    ):
        alerts.append(
            {
                "kind": "filter_avoidance",
                "person_id": person_id or None,
                "client": client,
                "category": category,
                "service_id": service_id,
                "day": day.isoformat(),
                "count": int(count),
                "blocked": int(n_blocked),
                "detail": f"{count} request(s) to a {category} service",
            }
        )
    for item in sanctioned:
        alerts.append(
            {
                "kind": "sanctioned_traffic",
                "person_id": item["person_id"],
                "sanction_id": item["sanction_id"],
                "count": item["requests"],
                "allowed": item["allowed"],
                "detail": f"{item['requests']} request(s) during a sanction, "
                f"{item['allowed']} not blocked",
            }
        )
    return {
        "from": day_from.isoformat(),
        "to": day_to.isoformat(),
        "lines": lines,
        "malformed": malformed,
        "ignored": ignored,
        "malformed_reasons": {r: int(n) for r, n in _rows(con, "malformed_reasons", params)},
        "requests": requests,
        "social_media_requests": social,
        "in_school_hours": in_hours,
        "out_of_school_hours": out_hours,
        "blocked": blocked,
        "by_source": {
            s: {"requests": int(r), "blocked": int(b)}
            for s, r, b in _rows(con, "by_source", params)
        },
        "by_service": [
            {
                "service_id": service_id,
                "name": name,
                "category": category,
                "requests": int(count),
                "blocked": int(n_blocked),
                "in_school_hours": int(n_in),
            }
            for service_id, name, category, count, n_blocked, n_in in _rows(
                con, "by_service", params
            )
        ],
        "by_role_group": {
            (group or "unknown"): {
                "requests": int(count),
                "social_media": int(n_social),
                "blocked": int(n_blocked),
            }
            for group, count, n_social, n_blocked in _rows(con, "by_role_group", params)
        },
        "by_hour_of_week": hour_of_week,
        "blocked_by_person": blocked_people,
        "repeat_threshold": repeat_threshold,
        "segments_without_logs": [
            name for name, _kind in _rows(con, "segments_without_logs", params)
        ],
        "unattributed": {
            "outside_segments": int(unattributed[0] or 0),
            "unknown_person": int(unattributed[1] or 0),
        },
        "enforcement_gaps": {"requests": sum(g["requests"] for g in gaps), "groups": gaps},
        "sanctioned_traffic": sanctioned,
        "alerts": alerts,
    }


# Figures of the standard report that add up across schools.
_ADDITIVE = (
    "lines",
    "malformed",
    "ignored",
    "requests",
    "social_media_requests",
    "in_school_hours",
    "out_of_school_hours",
    "blocked",
)


def trust_report(reports: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """Several schools' standard reports (by school slug) and the totals that add up."""
    if not reports:
        raise ValueError("a trust report needs at least one school")
    totals: dict[str, int] = {key: sum(int(r[key]) for r in reports.values()) for key in _ADDITIVE}
    totals["enforcement_gaps"] = sum(r["enforcement_gaps"]["requests"] for r in reports.values())
    totals["alerts"] = sum(len(r["alerts"]) for r in reports.values())
    # Without dates, a school with no events reports 1970: leave it out of the trust's span.
    spans = [r for r in reports.values() if r["requests"]] or list(reports.values())
    return {
        "from": min(r["from"] for r in spans),
        "to": max(r["to"] for r in spans),
        "schools": dict(reports),
        "totals": totals,
    }


def trust_text(trust: dict[str, Any]) -> str:
    """A plain-text rendering of `trust_report`: the totals, then each school's report."""
    totals = trust["totals"]
    out = [
        f"Trust report {trust['from']} to {trust['to']}, {len(trust['schools'])} schools",
        f"  requests {totals['requests']}, social media {totals['social_media_requests']}, "
        f"blocked {totals['blocked']}",
        f"  enforcement gaps {totals['enforcement_gaps']}, alerts {totals['alerts']}",
    ]
    for slug, report in trust["schools"].items():
        out += ["", f"== {slug} ==", report_text(report)]
    return "\n".join(out)


def report_text(report: dict[str, Any]) -> str:
    """A plain-text rendering of `standard_report` for the terminal."""
    out = [
        f"Monitoring report {report['from']} to {report['to']}",
        f"  lines read {report['lines']}, malformed {report['malformed']}, "
        f"ignored {report['ignored']}",
        f"  requests {report['requests']}, social media {report['social_media_requests']}, "
        f"blocked {report['blocked']}",
        f"  in school hours {report['in_school_hours']}, outside {report['out_of_school_hours']}",
        "By service:",
    ]
    for row in report["by_service"][:20]:
        out.append(
            f"  {row['service_id']:<24} {row['category']:<16} {row['requests']:>10} "
            f"blocked {row['blocked']}"
        )
    out.append("By role group:")
    for group, row in report["by_role_group"].items():
        out.append(
            f"  {group:<24} {row['requests']:>10} social {row['social_media']} "
            f"blocked {row['blocked']}"
        )
    out.append("Blocked by person:")
    for row in report["blocked_by_person"][:20]:
        flag = "  REPEATED" if row["repeated"] else ""
        out.append(
            f"  {row['username'] or row['person_id']:<24} {row['blocked']:>6} "
            f"(most in a day {row['most_in_a_day']}){flag}"
        )
    gaps = report["enforcement_gaps"]
    out.append(
        f"Enforcement gaps: {gaps['requests']} social media request(s) in school hours "
        "not explained by an allow rule"
    )
    for row in gaps["groups"][:20]:
        out.append(
            f"  {row['person_id'] or 'unknown person'} on {row['segment'] or 'no segment'}: "
            f"{row['service_id']} x{row['requests']} ({row['source']})"
        )
    out.append("Segments without logs: " + (", ".join(report["segments_without_logs"]) or "none"))
    out.append(f"Alerts: {len(report['alerts'])}")
    for alert in report["alerts"]:
        who = alert.get("person_id") or alert.get("client") or "unknown"
        out.append(f"  [{alert['kind']}] {who}: {alert['detail']}")
    return "\n".join(out)
