"""Monitoring pages (policy clause 7): the report, CSV exports, the evaluation, alerts.

Every page reads people's internet use, so each view and export is audited.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from safesocial.access.core import Membership
from safesocial.access.decorators import school_view
from safesocial.audit.services import audit_record
from safesocial.monitoring import selectors, services
from safesocial.monitoring.forms import FindingForm, RangeForm
from safesocial.monitoring.models import MonitoringAlert
from safesocial.policies.services import PolicyError

INGEST_HELP = (
    "safesocial monitor-ingest --school {slug} /var/log/squid/access.log "
    "/var/log/unbound/unbound.log"
)


def _range(form: RangeForm) -> tuple[Any, Any]:
    return form.cleaned_data.get("date_from"), form.cleaned_data.get("date_to")


def _load(member: Membership, form: RangeForm) -> tuple[selectors.Loaded | None, str]:
    """The report for the form's window, or None and a message to show instead."""
    try:
        return selectors.load_report(member.school, *_range(form)), ""
    except selectors.ReportUnavailable as error:
        return None, str(error)


def _query(loaded: selectors.Loaded) -> str:
    report = loaded.report
    return urlencode({"date_from": report["from"], "date_to": report["to"]})


@school_view("monitoring.view")
def report(request: HttpRequest, member: Membership) -> HttpResponse:
    form = RangeForm(request.GET or None)
    context: dict[str, Any] = {
        "member": member,
        "form": form,
        "ingest_help": INGEST_HELP.format(slug=member.school.slug),
    }
    if request.GET and not form.is_valid():
        return render(request, "monitoring/report.html", context, status=400)
    if not request.GET:
        form = RangeForm({})
        form.is_valid()
    loaded, problem = _load(member, form)
    if loaded is None:
        context["problem"] = problem
        return render(request, "monitoring/report.html", context, status=503)
    context["loaded"] = loaded
    if loaded.state == "ok":
        r = loaded.report
        ids = {p["person_id"] for p in r["blocked_by_person"] if p["person_id"]}
        names = selectors.person_labels(member.school, ids)
        context.update(
            {
                "r": r,
                "t": selectors.tables(loaded, names),
                "query": _query(loaded),
                "service_chart": selectors.bar_chart(
                    "Requests by service, busiest first",
                    [(s["name"] or s["service_id"], s["requests"]) for s in r["by_service"]],
                ),
                "social_chart": selectors.bar_chart(
                    "Social media requests by role group",
                    [(g, v["social_media"]) for g, v in r["by_role_group"].items()],
                ),
                "hours_chart": selectors.bar_chart(
                    "Requests in and out of school hours",
                    [
                        ("In school hours", r["in_school_hours"]),
                        ("Out of school hours", r["out_of_school_hours"]),
                    ],
                ),
                "heat": selectors.heatmap(r["by_hour_of_week"]),
                "levels": range(selectors.HEAT_LEVELS + 1),
            }
        )
        audit_record(
            action="monitoring.report_viewed",
            actor=request.user,
            school=member.school,
            fields=[f"from:{r['from']}", f"to:{r['to']}"],
            request=request,
        )
    return render(request, "monitoring/report.html", context)


def _csv_safe(value: Any) -> Any:
    """No spreadsheet formulas from text that came from logs."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


@school_view("monitoring.view")
def export(request: HttpRequest, member: Membership, table: str) -> HttpResponse:
    if table not in selectors.EXPORTS:
        raise Http404("No such table")
    form = RangeForm(request.GET or {})
    if not form.is_valid():
        return HttpResponse(
            "The dates are not valid: "
            + "; ".join(str(e) for es in form.errors.values() for e in es),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    loaded, problem = _load(member, form)
    if loaded is None:
        return HttpResponse(problem, status=503, content_type="text/plain; charset=utf-8")
    header: list[str] = []
    rows: list[list[Any]] = []
    period = "all"
    if loaded.state == "ok":
        r = loaded.report
        ids = {p["person_id"] for p in r["blocked_by_person"] if p["person_id"]}
        ids |= {g["person_id"] for g in r["enforcement_gaps"]["groups"] if g["person_id"]}
        ids |= {s["person_id"] for s in r["sanctioned_traffic"] if s["person_id"]}
        chosen = selectors.tables(loaded, selectors.person_labels(member.school, ids))[table]
        header, rows = chosen["header"], chosen["rows"]
        period = f"{r['from']}-to-{r['to']}"
    else:
        header = []
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(v) for v in row])
    audit_record(
        action="monitoring.exported",
        actor=request.user,
        school=member.school,
        fields=[f"table:{table}", f"period:{period}"],
        request=request,
    )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"monitoring-{member.school.slug}-{table}-{period}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _evaluation(
    request: HttpRequest, member: Membership, form: RangeForm, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "member": member,
        "form": form,
        "can_act": member.has("monitoring.act"),
        "ingest_help": INGEST_HELP.format(slug=member.school.slug),
    }
    if form.is_bound and not form.is_valid():
        return render(request, "monitoring/evaluation.html", context, status=400)
    loaded, problem = _load(member, form)
    if loaded is None:
        context["problem"] = problem
        return render(request, "monitoring/evaluation.html", context, status=503)
    context["loaded"] = loaded
    if loaded.state == "ok":
        r = loaded.report
        ids = {g["person_id"] for g in r["enforcement_gaps"]["groups"] if g["person_id"]}
        ids |= {s["person_id"] for s in r["sanctioned_traffic"] if s["person_id"]}
        context.update(
            {
                "r": r,
                "t": selectors.tables(loaded, selectors.person_labels(member.school, ids)),
                "findings": selectors.findings(member.school, loaded),
                "query": _query(loaded),
            }
        )
        audit_record(
            action="monitoring.evaluation_viewed",
            actor=request.user,
            school=member.school,
            fields=[f"from:{r['from']}", f"to:{r['to']}"],
            request=request,
        )
    return render(request, "monitoring/evaluation.html", context, status=status)


@school_view("monitoring.view")
def evaluation(request: HttpRequest, member: Membership) -> HttpResponse:
    form = RangeForm(request.GET or None)
    if not request.GET:
        form = RangeForm({})
    return _evaluation(request, member, form)


@require_POST
@school_view("monitoring.act")
def finding_act(request: HttpRequest, member: Membership) -> HttpResponse:
    form = FindingForm(request.POST)
    if not form.is_valid():
        return _evaluation(request, member, form, status=400)
    loaded, problem = _load(member, form)
    if loaded is None or loaded.state != "ok":
        messages.error(request, problem or "Nothing has been ingested yet.")
        return redirect("monitoring:evaluation", school=member.school.slug)
    key = form.cleaned_data["key"]
    match = [f for f in selectors.findings(member.school, loaded) if f.key == key]
    back = reverse("monitoring:evaluation", kwargs={"school": member.school.slug})
    back = f"{back}?{_query(loaded)}"
    if not match:
        form.add_error("key", "That finding is not in the evaluation for this period any more")
        return _evaluation(request, member, form, status=400)
    try:
        services.finding_add_to_plan(
            school=member.school,
            finding=match[0],
            actor=request.user,
            owner=member.person,
            request=request,
        )
    except (services.MonitoringError, PolicyError, ValidationError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        form.add_error(None, text)
        return _evaluation(request, member, form, status=400)
    messages.success(request, f"Added to the action plan: {match[0].title}")
    return redirect(back)


@school_view("monitoring.view")
def alerts(request: HttpRequest, member: Membership) -> HttpResponse:
    items = list(MonitoringAlert.objects.for_school(member.school)[:200])
    names = selectors.person_labels(member.school, {a.person_id for a in items})
    rows = [
        {
            "alert": a,
            "who": names.get(a.person_id) or a.person_id or "Unknown person or device",
        }
        for a in items
    ]
    audit_record(
        action="monitoring.alerts_viewed",
        actor=request.user,
        school=member.school,
        request=request,
    )
    return render(request, "monitoring/alerts.html", {"member": member, "rows": rows})
