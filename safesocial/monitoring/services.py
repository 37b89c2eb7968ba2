"""Monitoring actions: alerts from the report, findings onto the action plan, monthly summary.

Emails carry a link only: what an alert is about (who, which host) stays behind sign-in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from safesocial.audit.services import audit_record
from safesocial.monitoring.engine import open_store, standard_report
from safesocial.monitoring.models import MonitoringAlert, MonthlySummary
from safesocial.monitoring.selectors import Finding, db_path, open_action_keys, source_reference
from safesocial.people.models import Person, Role, RoleAssignment, School
from safesocial.policies.models import ActionItem
from safesocial.policies.services import action_item_create, notice_send

ALERT_SUBJECT = "safesocial: a monitoring alert needs your attention"
ACTION_DUE_DAYS = 28


class MonitoringError(Exception):
    """A monitoring action was refused; the message is safe to show."""


def role_holders(school: School, *roles: str) -> list[Person]:
    """Current holders of any of `roles` who have not left, each once."""
    today = timezone.localdate()
    assignments = (
        RoleAssignment.objects.for_school(school)
        .current(today)
        .filter(role__in=roles)
        .select_related("person__user")
        .order_by("pk")
    )
    people: dict[int, Person] = {}
    for assignment in assignments:
        if not assignment.person.has_left(today):
            people.setdefault(assignment.person.pk, assignment.person)
    return list(people.values())


def _email_of(person: Person) -> str:
    if person.email:
        return person.email
    return person.user.email if person.user_id and person.user else ""


def _alert_key(alert: dict[str, Any]) -> tuple[str, str, dt.date | None]:
    """(key, person id, day) of one alert of `standard_report`; the key identifies it for good."""
    kind = alert["kind"]
    person = alert.get("person_id") or ""
    day = dt.date.fromisoformat(alert["day"]) if alert.get("day") else None
    if kind == MonitoringAlert.Kind.REPEATED_BLOCKED_SOCIAL:
        key = f"repeated:{person}:{alert['day']}"
    elif kind == MonitoringAlert.Kind.FILTER_AVOIDANCE:
        who = person or f"client {alert.get('client') or ''}"
        key = f"avoidance:{who}:{alert.get('service_id') or ''}:{alert['day']}"
    else:
        key = f"sanction:{alert.get('sanction_id') or ''}:{person}"
    return key[:200], person, day


def alert_email_body(school: School) -> str:
    link = settings.SITE_URL + reverse("monitoring:alerts", kwargs={"school": school.slug})
    return (
        "Monitoring has raised an alert in safesocial.\n\n"
        f"Open it here (you will be asked to sign in): {link}\n\n"
        "For confidentiality this email does not say what it is about.\n"
    )


@transaction.atomic
def alerts_record(*, school: School, report: dict[str, Any]) -> list[MonitoringAlert]:
    """Store each alert of `report` (from `standard_report`) once; email the DSL and deputies
    after commit when any is new. Returns the new alerts. An alert seen again keeps its row
    (its count is brought up to date) and is not emailed again."""
    now = timezone.now()
    kinds = {k.value for k in MonitoringAlert.Kind}
    created: list[MonitoringAlert] = []
    for alert in report.get("alerts", []):
        if alert.get("kind") not in kinds:
            continue
        key, person, day = _alert_key(alert)
        count = int(alert.get("count") or 0)
        existing = MonitoringAlert.objects.for_school(school).filter(key=key).first()
        if existing is not None:
            if count > existing.count:
                existing.count = count
                existing.save(update_fields=["count"])
            continue
        item = MonitoringAlert(
            school=school,
            kind=alert["kind"],
            person_id=person[:40],
            day=day,
            key=key,
            count=count,
            created_at=now,
        )
        item.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                item.save()
        except IntegrityError:  # another ingest stored it first
            continue
        audit_record(
            action="monitoring.alert_raised",
            school=school,
            obj=item,
            fields=["kind", "day"],
            actor_label="monitor-ingest",
        )
        created.append(item)
    if created:
        recipients = [
            address
            for person in role_holders(school, Role.DSL, Role.DEPUTY_DSL)
            if (address := _email_of(person))
        ]
        ids = [a.pk for a in created]
        body = alert_email_body(school)

        def send() -> None:
            for address in recipients:
                send_mail(ALERT_SUBJECT, body, None, [address], fail_silently=False)
            MonitoringAlert.objects.filter(pk__in=ids).update(emailed_at=timezone.now())

        transaction.on_commit(send)
    return created


@transaction.atomic
def finding_add_to_plan(
    *,
    school: School,
    finding: Finding,
    actor: Any,
    owner: Person,
    request: HttpRequest | None = None,
) -> ActionItem:
    """Put an evaluation finding on the school's action plan, once while it is open."""
    reference = source_reference(finding.key)
    # Serialise on the school row so two clicks cannot both add the item.
    School.objects.select_for_update().filter(pk=school.pk).first()
    if reference in open_action_keys(school):
        raise MonitoringError("This finding is already on the action plan.")
    item = action_item_create(
        school=school,
        title=finding.title[:300],
        source=ActionItem.Source.MONITORING,
        source_reference=reference,
        owner=owner,
        due_on=timezone.localdate() + dt.timedelta(days=ACTION_DUE_DAYS),
        actor=actor,
        request=request,
    )
    audit_record(
        action="monitoring.finding_to_action_plan",
        actor=actor,
        school=school,
        obj=item,
        fields=["source_reference"],
        request=request,
    )
    return item


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """ "YYYY-MM" -> first and last day; ValueError when it is not a month."""
    year_text, _, month_text = month.partition("-")
    if len(year_text) != 4 or len(month_text) != 2:
        raise ValueError(f"{month!r} is not a month (YYYY-MM)")
    first = dt.date(int(year_text), int(month_text), 1)
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def previous_month(today: dt.date) -> str:
    """ "YYYY-MM" of the month before `today`'s."""
    last_day = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last_day.year:04d}-{last_day.month:02d}"


def monthly_summary_run(*, school: School, month: str) -> MonthlySummary | None:
    """Compute the month's figures from the school's store (if it has one) and send the
    summary; None when it was sent already (the store is not even opened then).

    Raises StoreError when the store cannot be opened now (say, held by a live ingest).
    """
    if MonthlySummary.objects.for_school(school).filter(month=month).exists():
        return None
    first, last = month_bounds(month)
    report = None
    path = db_path(school)
    if path.exists():
        con = open_store(path)
        try:
            report = standard_report(con, first, last)
        finally:
            con.close()
    return monthly_summary_send(school=school, month=month, report=report)


@transaction.atomic
def monthly_summary_send(
    *, school: School, month: str, report: dict[str, Any] | None
) -> MonthlySummary | None:
    """Record the month's summary and send the DSL and the headteacher a notice (an email with
    a link only). None when this month's summary was already sent."""
    if MonthlySummary.objects.for_school(school).filter(month=month).exists():
        return None
    first, last = month_bounds(month)
    report = report or {}
    summary = MonthlySummary(
        school=school,
        month=month,
        requests=int(report.get("requests", 0)),
        social_media_requests=int(report.get("social_media_requests", 0)),
        blocked=int(report.get("blocked", 0)),
        alerts=len(report.get("alerts", [])),
        created_at=timezone.now(),
    )
    summary.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            summary.save()
    except IntegrityError:
        return None
    audit_record(
        action="monitoring.monthly_summary_sent",
        school=school,
        obj=summary,
        fields=["month"],
        actor_label="monitor-monthly",
    )
    link = (
        settings.SITE_URL
        + reverse("monitoring:report", kwargs={"school": school.slug})
        + f"?date_from={first.isoformat()}&date_to={last.isoformat()}"
    )
    for person in role_holders(school, Role.DSL, Role.HEADTEACHER):
        notice_send(
            school=school,
            recipient=person,
            key=f"monitoring:monthly:{month}",
            message=f"The monitoring summary for {first:%B %Y} is ready.",
            link=link,
        )
    return summary
