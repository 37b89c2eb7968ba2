"""Alerts after each ingest (stored once, a link-only email to the DSL and deputies), and the
monthly summary command (once per month)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safesocial.audit.models import AuditEntry
from safesocial.monitoring.engine import open_store, standard_report
from safesocial.monitoring.models import MonitoringAlert, MonthlySummary
from safesocial.monitoring.services import alerts_record, month_bounds
from safesocial.people.models import Person
from safesocial.policies.models import Notice
from tests.conftest import Cast

from .conftest import ingest, write_logs

pytestmark = pytest.mark.django_db

# What must never travel by email: people, network logins, hosts, addresses.
SECRETS = (
    "p-alice",
    "p-bob",
    "alice",
    "facebook",
    "tiktok",
    "instagram",
    "dns.google",
    "nordvpn",
    "10.20",
    "2001:db8",
    "Tester",
)


def give_emails(cast: Cast) -> None:
    for name in ("dsl", "deputy_dsl", "headteacher", "teacher"):
        Person.objects.filter(user=cast[name]).update(email=f"{name}@school.example")


def assert_link_only(body: str, subject: str) -> None:
    assert "/s/test/" in body
    for secret in SECRETS:
        assert secret not in body and secret not in subject, secret


def test_ingest_raises_each_alert_once_and_emails_dsl_and_deputies(
    cast: Cast,
    var_dir: Path,
    tmp_path: Path,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    give_emails(cast)
    squid, unbound, adguard = write_logs(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        out = ingest(squid, unbound)
    assert "new alert(s)" in out
    kinds = set(MonitoringAlert.objects.values_list("kind", flat=True))
    assert kinds == {"repeated_blocked_social", "filter_avoidance", "sanctioned_traffic"}
    repeated = MonitoringAlert.objects.get(kind="repeated_blocked_social")
    assert (repeated.person_id, str(repeated.day), repeated.count) == ("p-alice", "2025-03-04", 3)
    assert repeated.emailed_at is not None
    # One email per DSL and deputy, not per alert; nobody else.
    assert sorted(m.to[0] for m in mailoutbox) == [
        "deputy_dsl@school.example",
        "dsl@school.example",
    ]
    for message in mailoutbox:
        assert_link_only(message.body, message.subject)
        assert "/s/test/monitoring/alerts/" in message.body
    stored = MonitoringAlert.objects.count()
    assert AuditEntry.objects.filter(action="monitoring.alert_raised").count() == stored

    # Ingesting again (nothing new, then another file of the same day) raises nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        ingest(squid, unbound)
        ingest(adguard)
    assert MonitoringAlert.objects.count() == stored
    assert len(mailoutbox) == 2


def test_alerts_record_is_idempotent_for_the_same_report(
    cast: Cast, ingested: Path, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    give_emails(cast)
    con = open_store(ingested)
    try:
        report = standard_report(con)
    finally:
        con.close()
    MonitoringAlert.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        first = alerts_record(school=cast.school, report=report)
        second = alerts_record(school=cast.school, report=report)
    assert len(first) == len(report["alerts"]) and second == []
    assert len(mailoutbox) == 2


def test_alerts_without_an_address_are_stored_not_emailed(
    cast: Cast, ingested: Path, mailoutbox: list[Any]
) -> None:
    assert MonitoringAlert.objects.exists()
    assert mailoutbox == []


# --- Monthly summary ------------------------------------------------------------------------


def monthly(*args: str) -> str:
    out = StringIO()
    call_command("monitor_monthly", "--school", "test", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_monthly_summary_once_per_month(
    cast: Cast, ingested: Path, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    give_emails(cast)
    with django_capture_on_commit_callbacks(execute=True):
        assert "Sent the monitoring summary for 2025-03" in monthly("--month", "2025-03")
    summary = MonthlySummary.objects.get(school=cast.school)
    con = open_store(ingested)
    try:
        report = standard_report(con, *month_bounds("2025-03"))
    finally:
        con.close()
    assert (summary.requests, summary.blocked) == (report["requests"], report["blocked"])
    # A notice and a link-only email each for the DSL and the headteacher.
    notices = Notice.objects.filter(key="monitoring:monthly:2025-03")
    assert {n.recipient.user for n in notices} == {cast["dsl"], cast["headteacher"]}
    assert all("date_from=2025-03-01&date_to=2025-03-31" in n.link for n in notices)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "dsl@school.example",
        "headteacher@school.example",
    ]
    for message in mailoutbox:
        assert_link_only(message.body, message.subject)
    with django_capture_on_commit_callbacks(execute=True):
        assert "already sent" in monthly("--month", "2025-03")
    assert MonthlySummary.objects.count() == 1 and len(mailoutbox) == 2
    assert AuditEntry.objects.filter(action="monitoring.monthly_summary_sent").count() == 1


def test_monthly_summary_without_logs_and_default_month(cast: Cast, var_dir: Path) -> None:
    assert "Sent the monitoring summary" in monthly()
    assert MonthlySummary.objects.get().requests == 0


@pytest.mark.parametrize("month", ["2025-13", "March", "2025-3"])
def test_monthly_refuses_a_bad_month(month: str, cast: Cast, var_dir: Path) -> None:
    with pytest.raises(CommandError, match="is not a month"):
        monthly("--month", month)
