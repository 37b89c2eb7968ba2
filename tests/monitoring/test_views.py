"""The report, export, evaluation and alerts pages: refusals, empty state, and the figures
shown against `standard_report` on the hand-made logs of logs.py."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from safesocial.audit.models import AuditEntry
from safesocial.monitoring.engine import open_store, standard_report
from safesocial.monitoring.selectors import heat_level
from safesocial.people.models import Person
from safesocial.policies.models import ActionItem
from tests.conftest import Cast

from .conftest import DAY, verified_client

pytestmark = pytest.mark.django_db
WINDOW = {"date_from": DAY, "date_to": DAY}


def expected(db: Path) -> dict:
    con = open_store(db)
    try:
        from datetime import date

        return standard_report(con, date.fromisoformat(DAY), date.fromisoformat(DAY))
    finally:
        con.close()


def url(name: str, **kwargs: str) -> str:
    return reverse(f"monitoring:{name}", kwargs={"school": "test", **kwargs})


# --- Refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report", "evaluation", "alerts"])
def test_pages_refuse_who_may_not_see_them(name: str, cast: Cast, var_dir: Path) -> None:
    assert Client().get(url(name)).status_code == 302  # to sign in
    for who, status in (("teacher", 403), ("learner", 403), ("trustee", 403), ("outsider", 404)):
        assert verified_client(cast[who]).get(url(name)).status_code == status, who
    unverified = Client()
    unverified.force_login(cast["dsl"])
    response = unverified.get(url(name))
    assert response.status_code == 302 and reverse("two_factor") in response["Location"]


def test_export_refuses_who_may_not_see_it(cast: Cast, ingested: Path) -> None:
    response = verified_client(cast["teacher"]).get(url("export", table="by_service"))
    assert response.status_code == 403
    assert verified_client(cast["dsl"]).get(url("export", table="nope")).status_code == 404


# --- Empty state and dates ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report", "evaluation"])
def test_empty_state_says_how_to_ingest(name: str, cast: Cast, var_dir: Path) -> None:
    response = verified_client(cast["network_manager"]).get(url(name))
    assert response.status_code == 200
    text = response.content.decode()
    assert "No logs have been ingested yet" in text
    assert "safesocial monitor-ingest --school test" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "4 March", "date_to": DAY}, "Enter the first day as a date"),
        ({"date_from": DAY, "date_to": ""}, "Enter both days, or neither"),
        ({"date_from": "2025-03-05", "date_to": DAY}, "must be the same as or after the first"),
        ({"date_from": "2024-01-01", "date_to": "2025-03-04"}, "Choose at most 366 days"),
    ],
)
def test_dates_are_validated_with_clear_errors(
    query: dict[str, str], message: str, cast: Cast, ingested: Path
) -> None:
    client = verified_client(cast["dsl"])
    response = client.get(url("report"), query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert client.get(url("export", table="by_service"), query).status_code == 400


# --- The report -----------------------------------------------------------------------------


def test_report_shows_the_standard_report(cast: Cast, ingested: Path) -> None:
    report = expected(ingested)
    assert report["requests"] > 0 and report["blocked_by_person"]
    response = verified_client(cast["dsl"]).get(url("report"), WINDOW)
    assert response.status_code == 200
    assert response.context["r"] == report
    text = response.content.decode()
    # Totals, services, role groups, hours, heatmap, blocked people, coverage.
    for figure in ("requests", "social_media_requests", "blocked", "in_school_hours"):
        assert f">{report[figure]}<" in text
    for row in report["by_service"]:
        assert (row["name"] or row["service_id"]) in text
    for group in report["by_role_group"]:
        assert group in text
    busiest = max(max(row) for row in report["by_hour_of_week"])
    assert f'app-heat--5">{busiest}<' in text
    assert 'app-heat--0">0<' in text
    alice = next(p for p in report["blocked_by_person"] if p["person_id"] == "p-alice")
    assert alice["repeated"] and "Yes, on 1 day(s)" in text
    for name in report["segments_without_logs"]:
        assert name in text
    assert text.count('role="img"') == 3 and "aria-label=" in text
    assert AuditEntry.objects.filter(action="monitoring.report_viewed").count() == 1


def test_report_names_school_people_by_their_network_id(cast: Cast, ingested: Path) -> None:
    """Network person ids are "p<pk>"; the report shows the school's name for them."""
    from safesocial.monitoring.selectors import person_labels

    learner = Person.objects.get(user=cast["learner"])
    labels = person_labels(cast.school, {f"p{learner.pk}", "p-alice", "p999999"})
    assert labels == {f"p{learner.pk}": learner.full_name}


def test_heat_levels() -> None:
    assert [heat_level(v, 10) for v in (0, 1, 2, 5, 9, 10)] == [0, 1, 1, 3, 5, 5]
    assert heat_level(3, 0) == 0


@pytest.mark.parametrize(
    ("table", "rows_of"),
    [
        (
            "by_service",
            lambda r: [
                [s["name"] or s["service_id"], s["category"] or "", str(s["requests"])]
                for s in r["by_service"]
            ],
        ),
        (
            "by_hour_of_week",
            lambda r: [[str(v) for v in row[:3]] for row in r["by_hour_of_week"]],
        ),
        ("coverage", lambda r: [[name] for name in r["segments_without_logs"]]),
    ],
)
def test_csv_export_matches_the_report_and_is_audited(
    table: str, rows_of: object, cast: Cast, ingested: Path
) -> None:
    report = expected(ingested)
    response = verified_client(cast["dsl"]).get(url("export", table=table), WINDOW)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"{table}-{DAY}-to-{DAY}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    body = rows[1:]
    want = rows_of(report)  # type: ignore[operator]
    if table == "by_hour_of_week":
        assert [r[1:4] for r in body] == want
    else:
        assert [r[: len(want[0])] for r in body] == want if want else body == []
    entry = AuditEntry.objects.get(action="monitoring.exported")
    assert f"table:{table}" in entry.fields


def test_every_export_downloads(cast: Cast, ingested: Path) -> None:
    from safesocial.monitoring.selectors import EXPORTS

    client = verified_client(cast["network_manager"])
    for table in EXPORTS:
        response = client.get(url("export", table=table), WINDOW)
        assert response.status_code == 200, table
        assert response.content.decode().splitlines()[0], table
    assert AuditEntry.objects.filter(action="monitoring.exported").count() == len(EXPORTS)


def test_csv_export_defuses_formulas() -> None:
    from safesocial.monitoring.views import _csv_safe

    assert _csv_safe("=cmd()") == "'=cmd()"
    assert _csv_safe(3) == 3


# --- Evaluation and the action plan ---------------------------------------------------------


def test_evaluation_shows_gaps_exceptions_and_sanctions(cast: Cast, ingested: Path) -> None:
    report = expected(ingested)
    response = verified_client(cast["network_manager"]).get(url("evaluation"), WINDOW)
    assert response.status_code == 200
    text = response.content.decode()
    assert f"{report['enforcement_gaps']['requests']} request(s)" in text
    assert "s-1" in text  # the sanction
    keys = {f.key for f in response.context["findings"]}
    assert "gap:staff-devices:facebook:staff" in keys
    assert "exception:channel-facebook:facebook" in keys
    # The network manager may read the evaluation but not add to the plan.
    assert "Add to the action plan" not in text
    assert AuditEntry.objects.filter(action="monitoring.evaluation_viewed").count() == 1


def test_finding_goes_on_the_action_plan_once(cast: Cast, ingested: Path) -> None:
    client = verified_client(cast["dsl"])
    page = client.get(url("evaluation"), WINDOW)
    assert "Add to the action plan" in page.content.decode()
    key = "gap:staff-devices:facebook:staff"
    data = {**WINDOW, "key": key}
    response = client.post(url("finding_act"), data)
    assert response.status_code == 302
    item = ActionItem.objects.get(school=cast.school)
    assert item.source == ActionItem.Source.MONITORING
    assert item.source_reference == f"monitoring {key}"
    assert item.owner == Person.objects.get(user=cast["dsl"])
    assert "p-smith" not in item.title  # findings name no person
    assert AuditEntry.objects.filter(action="monitoring.finding_to_action_plan").count() == 1
    # A second identical item is refused, and the page says it is on the plan.
    again = client.post(url("finding_act"), data)
    assert again.status_code == 400
    assert "already on the action plan" in again.content.decode()
    assert ActionItem.objects.filter(school=cast.school).count() == 1
    shown = client.get(url("evaluation"), WINDOW)
    assert next(f for f in shown.context["findings"] if f.key == key).in_plan


def test_finding_act_refusals(cast: Cast, ingested: Path) -> None:
    data = {**WINDOW, "key": "gap:staff-devices:facebook:staff"}
    for who in ("network_manager", "leadership", "deputy_dsl", "teacher"):
        assert verified_client(cast[who]).post(url("finding_act"), data).status_code == 403, who
    assert verified_client(cast["outsider"]).post(url("finding_act"), data).status_code == 404
    headteacher = verified_client(cast["headteacher"])
    assert headteacher.get(url("finding_act")).status_code == 405
    unknown = headteacher.post(url("finding_act"), {**WINDOW, "key": "gap:nowhere"})
    assert unknown.status_code == 400
    assert "not in the evaluation for this period" in unknown.content.decode()
    assert not ActionItem.objects.exists()


def test_alerts_page_lists_alerts(cast: Cast, ingested: Path) -> None:
    response = verified_client(cast["dsl"]).get(url("alerts"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Repeated blocked social media" in text and "p-alice" in text
    assert AuditEntry.objects.filter(action="monitoring.alerts_viewed").count() == 1
