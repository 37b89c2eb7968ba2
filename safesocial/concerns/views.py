"""Concern pages: report (signed in and public), my reports, cases, dashboard, declarations,
retention. Each view asks the access module; every view and export of a case is audited."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safesocial.access.core import Membership, require
from safesocial.access.decorators import school_view
from safesocial.audit.services import audit_record
from safesocial.concerns import files, services
from safesocial.concerns import forms as concern_forms
from safesocial.concerns.categories import RULES
from safesocial.concerns.models import Alert, Concern, Declaration, Evidence, Involvement
from safesocial.concerns.retention import records_due
from safesocial.concerns.selectors import (
    AGE_BUCKETS,
    allegation_case_candidates,
    cases_by_month,
    learner_chronology,
    open_by_category_and_age,
    overdue_clocks,
    own_reports,
    unseen_alerts,
    visible_concerns,
    without_parent_decision,
)
from safesocial.forms import add_service_errors
from safesocial.pdf import render_pdf
from safesocial.people.models import Person, School
from safesocial.private_files import download_response
from safesocial.ratelimit import Limit, too_many

TOKEN_SALT = "safesocial.concerns.public-report"  # noqa: S105 (a salt, not a secret)
TOKEN_MAX_AGE = 4 * 60 * 60


def _min_seconds() -> float:
    return float(getattr(settings, "CONCERNS_FORM_MIN_SECONDS", 3))


# Reports accepted from one address per hour (0: no limit, for load tests only).
REPORT_LIMIT = Limit("report-source", "CONCERNS_REPORTS_PER_HOUR", 10)


# --- Public report form (no sign-in) ----------------------------------------------------------


def _new_token() -> str:
    return signing.dumps({"at": time.time()}, salt=TOKEN_SALT)


def _token_problem(token: str) -> str:
    try:
        value = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        return "The form was open too long. Your words are still below: send it again."
    except signing.BadSignature:
        return "The form could not be checked. Send it again."
    if time.time() - float(value.get("at", 0)) < _min_seconds():
        return "That was sent too quickly. Check your report and send it again."
    return ""


def public_report(request: HttpRequest, school: str) -> HttpResponse:
    school_obj = get_object_or_404(School, slug=school)
    form = concern_forms.PublicReportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if request.POST.get("website"):
            # A robot filled the field people never see: thank it, store nothing.
            return render(request, "concerns/public_thanks.html", {"school": school_obj})
        source = REPORT_LIMIT.source(request)
        if REPORT_LIMIT.reached_by(Concern.objects.all(), source, made_at="reported_at"):
            return too_many(
                request, "concerns/public_limited.html", {"school": school_obj}, REPORT_LIMIT
            )
        if form.is_valid():
            problem = _token_problem(form.cleaned_data["token"])
            if problem:
                form.add_error(None, problem)
            else:
                data = form.cleaned_data
                try:
                    concern = services.concern_report(
                        school=school_obj,
                        category=data["category"],
                        what=data["what"],
                        occurred_on=data["occurred_on"],
                        where=data["where"],
                        reporter_kind=data["reporter_kind"],
                        reporter_name=data["reporter_name"],
                        reporter_contact=data["reporter_contact"],
                        subject_name=data["subject_name"],
                        about_headteacher=data["about_headteacher"] != "no",
                        source_hash=source,
                        attachment=data["attachment"],
                        request=request,
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    return render(
                        request,
                        "concerns/public_thanks.html",
                        {"school": school_obj, "concern": concern, "rule": RULES[concern.category]},
                    )
        status = 400
    if request.method == "POST":
        # A new token, so a corrected form can be sent again.
        data = request.POST.copy()
        data["token"] = _new_token()
        form.data = data
    else:
        initial = {"token": _new_token()}
        # "Report a concern about this post" links from the news page set the category.
        asked = request.GET.get("category", "")
        if asked in {value for value, _ in concern_forms.public_category_choices()}:
            initial["category"] = asked
        form = concern_forms.PublicReportForm(initial=initial)
    return render(
        request,
        "concerns/public_report.html",
        {"school": school_obj, "form": form},
        status=status,
    )


# --- Signed-in reporting --------------------------------------------------------------------


@school_view("concerns.report")
def report(request: HttpRequest, member: Membership) -> HttpResponse:
    form = concern_forms.StaffReportForm(
        request.POST or None, request.FILES or None, school=member.school
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kinds: dict[str, str] = {
            Person.Kind.LEARNER: Concern.ReporterKind.LEARNER,
            Person.Kind.PARENT: Concern.ReporterKind.PARENT,
        }
        kind = kinds.get(member.person.kind, Concern.ReporterKind.STAFF)
        involved = []
        if data.get("learner"):
            involved.append(services.Involved(Involvement.Part.AFFECTED, person=data["learner"]))
        try:
            concern = services.concern_report(
                school=member.school,
                category=data["category"],
                what=data["what"],
                occurred_on=data["occurred_on"],
                where=data["where"],
                reporter_kind=kind,
                reporter=member.person,
                subject_staff=data.get("subject_staff"),
                self_report=data["self_report"],
                involved=involved,
                attachment=data["attachment"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Your concern is recorded with reference {concern.reference}. "
                "The right person has been told and will act on it.",
            )
            return redirect("concerns:mine", school=member.school.slug)
    status = 400 if form.errors else 200
    return render(request, "concerns/report.html", {"member": member, "form": form}, status=status)


@school_view("concerns.view_own")
def mine(request: HttpRequest, member: Membership) -> HttpResponse:
    reports = own_reports(member)
    return render(request, "concerns/mine.html", {"member": member, "reports": reports})


# --- Cases ----------------------------------------------------------------------------------


def _view_capability(member: Membership, concern: Concern) -> str:
    if concern.is_allegation:
        return "concerns.allegations"
    return "concerns.view_all"


def _write_capability(concern: Concern) -> str:
    return "concerns.allegations" if concern.is_allegation else "concerns.triage"


def case_for(request: HttpRequest, member: Membership, pk: int, *, write: bool = False) -> Concern:
    """The case, if this member may see it; 404 when not (a case one is kept off of looks
    absent); 403 when they may see but not change it."""
    concern = Concern.objects.for_school(member.school).filter(pk=pk).first()
    if concern is None:
        raise Http404("no such case")
    view_cap = _view_capability(member, concern)
    if not member.has(view_cap):
        raise Http404("no such case")
    require(request.user, view_cap, school=member.school, obj=concern)
    if write:
        require(request.user, _write_capability(concern), school=member.school, obj=concern)
    return concern


@school_view("concerns.cases")
def cases(request: HttpRequest, member: Membership) -> HttpResponse:
    status = request.GET.get("status", "open")
    rows = visible_concerns(member).select_related("handler")
    if status == "open":
        rows = rows.exclude(status=Concern.Status.CLOSED)
    elif status == "closed":
        rows = rows.filter(status=Concern.Status.CLOSED)
    audit_record(
        action="concern.list_viewed", actor=request.user, school=member.school, request=request
    )
    return render(
        request,
        "concerns/cases.html",
        {"member": member, "cases": rows[:200], "status": status},
    )


def _case_forms(member: Membership) -> dict[str, forms.Form]:
    school = member.school
    return {
        "involvement": concern_forms.InvolvementForm(school=school, prefix="involvement"),
        "chronology": concern_forms.ChronologyForm(prefix="chronology"),
        "decision": concern_forms.DecisionForm(prefix="decision"),
        "referral": concern_forms.ReferralForm(prefix="referral"),
        "measure": concern_forms.MeasureForm(school=school, prefix="measure"),
        "parents": concern_forms.ParentCommunicationForm(prefix="parents"),
        "evidence": concern_forms.EvidenceForm(prefix="evidence"),
        "close": concern_forms.CloseForm(prefix="close"),
        "team": concern_forms.CaseMemberForm(school=school, prefix="team"),
    }


def _render_case(
    request: HttpRequest,
    member: Membership,
    concern: Concern,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    case_forms = _case_forms(member)
    case_forms.update(bound or {})
    can_write = member.has(_write_capability(concern)) and concern.status != Concern.Status.CLOSED
    context = {
        "member": member,
        "concern": concern,
        "rule": RULES[concern.category],
        "involvements": concern.involvements.select_related("person"),
        "chronology": concern.chronology.select_related("recorded_by"),
        "decisions": concern.decisions.select_related("decided_by"),
        "referrals": concern.referrals.all(),
        "measures": concern.measures.select_related("person"),
        "parent_comms": concern.parent_comms.all(),
        "evidence": concern.evidence.all(),
        "debrief": getattr(concern, "debrief", None),
        "team": concern.team.select_related("person") if concern.is_allegation else None,
        "candidates": allegation_case_candidates(concern) if concern.is_allegation else [],
        "can_write": can_write,
        "forms": case_forms,
        "bound": bound or {},
    }
    return render(request, "concerns/case.html", context, status=status)


@school_view("concerns.cases")
def case(request: HttpRequest, member: Membership, pk: int) -> HttpResponse:
    concern = case_for(request, member, pk)
    Alert.objects.filter(concern=concern, recipient=member.person, seen_at__isnull=True).update(
        seen_at=timezone.now()
    )
    audit_record(
        action="concern.viewed",
        actor=request.user,
        school=member.school,
        obj=concern,
        request=request,
    )
    return _render_case(request, member, concern)


ActionFn = Callable[[Concern, Membership, dict[str, Any], HttpRequest], object]


def _do_involvement(c: Concern, m: Membership, d: dict[str, Any], r: HttpRequest) -> object:
    return services.involvement_add(
        concern=c, part=d["part"], person=d["person"], name=d["name"], actor=m.person, request=r
    )


def _do_chronology(c: Concern, m: Membership, d: dict[str, Any], r: HttpRequest) -> object:
    return services.chronology_add(
        concern=c,
        happened_at=d["happened_at"],
        text=d["text"],
        backdate_reason=d["backdate_reason"],
        actor=m.person,
        request=r,
    )


def _do_decision(c: Concern, m: Membership, d: dict[str, Any], r: HttpRequest) -> object:
    return services.decision_record(
        concern=c,
        decision=d["decision"],
        reasons=d["reasons"],
        outcome=d["outcome"],
        actor=m.person,
        request=r,
    )


def _do_referral(c: Concern, m: Membership, d: dict[str, Any], r: HttpRequest) -> object:
    return services.referral_record(
        concern=c,
        agency=d["agency"],
        agency_name=d["agency_name"],
        contacted_on=d["contacted_on"],
        agency_reference=d["agency_reference"],
        advice=d["advice"],
        actor=m.person,
        request=r,
    )


def _do_measure(c: Concern, m: Membership, d: dict[str, Any], r: HttpRequest) -> object:
    return services.measure_record(
        concern=c,
        person=d["person"],
        kind=d["kind"],
        starts_at=d["starts_at"],
        ends_at=d["ends_at"],
        notes=d["notes"],
        actor=m.person,
        request=r,
    )


def _do_parents(c: Concern, m: Membership, d: dict[str, Any], r: HttpRequest) -> object:
    return services.parent_communication_record(
        concern=c,
        informed=d["informed"],
        informed_at=d["informed_at"],
        method=d["method"],
        reason_not_informed=d["reason_not_informed"],
        actor=m.person,
        request=r,
    )


def _do_evidence(c: Concern, m: Membership, d: dict[str, Any], r: HttpRequest) -> object:
    return services.evidence_add(concern=c, checked=d["file"], actor=m.person, request=r)


def _do_team(c: Concern, m: Membership, d: dict[str, Any], r: HttpRequest) -> object:
    return services.case_member_add(concern=c, person=d["person"], actor=m.person, request=r)


def _do_close(c: Concern, m: Membership, d: dict[str, Any], r: HttpRequest) -> object:
    proposals = []
    if d.get("proposal_kind"):
        proposals.append(
            services.ProposalInput(
                kind=d["proposal_kind"],
                text=d["proposal_text"],
                becomes=d["proposal_becomes"] or "action_item",
            )
        )
    return services.concern_close(
        concern=c,
        what_happened=d["what_happened"],
        lessons=d["lessons"],
        outcome=d["outcome"],
        proposals=proposals,
        actor=m.person,
        request=r,
    )


ACTIONS: dict[str, tuple[str, ActionFn]] = {
    "involvement": ("Person added to the case.", _do_involvement),
    "chronology": ("Action added to the chronology.", _do_chronology),
    "decision": ("Decision recorded.", _do_decision),
    "referral": ("Referral or advice recorded.", _do_referral),
    "measure": ("Sanction or support recorded.", _do_measure),
    "parents": ("Parent communication recorded.", _do_parents),
    "evidence": ("Evidence file added.", _do_evidence),
    "close": ("Case closed with its debrief.", _do_close),
    "team": ("Added: they can now open this case.", _do_team),
}


@require_POST
@school_view("concerns.cases")
def case_action(request: HttpRequest, member: Membership, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("no such action")
    concern = case_for(request, member, pk, write=True)
    form = _case_forms(member)[action].__class__(
        request.POST, request.FILES, prefix=action, **_form_kwargs(action, member)
    )
    done, act = ACTIONS[action]
    if form.is_valid():
        try:
            act(concern, member, form.cleaned_data, request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("concerns:case", school=member.school.slug, pk=concern.pk)
    concern.refresh_from_db()
    return _render_case(request, member, concern, bound={action: form}, status=400)


def _form_kwargs(action: str, member: Membership) -> dict[str, Any]:
    return {"school": member.school} if action in ("involvement", "measure", "team") else {}


@school_view("concerns.cases")
def evidence_download(
    request: HttpRequest, member: Membership, pk: int, evidence: int
) -> HttpResponse:
    concern = case_for(request, member, pk)
    item = get_object_or_404(Evidence, pk=evidence, concern=concern)
    data = files.read(item.stored_name)
    if data is None:
        raise Http404("file missing")
    audit_record(
        action="concern.evidence_viewed",
        actor=request.user,
        school=member.school,
        obj=item,
        request=request,
    )
    extension = item.original_name.rsplit(".", 1)[-1]
    return download_response(
        data, filename=f"evidence-{item.pk}.{extension}", content_type=item.content_type
    )


@school_view("concerns.cases")
def case_summary_pdf(request: HttpRequest, member: Membership, pk: int) -> HttpResponse:
    """The case summary for a LADO referral."""
    concern = case_for(request, member, pk)
    pdf = render_pdf(
        "concerns/summary_pdf.html",
        {
            "concern": concern,
            "rule": RULES[concern.category],
            "involvements": concern.involvements.select_related("person"),
            "chronology": concern.chronology.select_related("recorded_by"),
            "decisions": concern.decisions.all(),
            "referrals": concern.referrals.all(),
            "measures": concern.measures.select_related("person"),
            "parent_comms": concern.parent_comms.all(),
            "now": timezone.now(),
        },
    )
    audit_record(
        action="concern.summary_exported",
        actor=request.user,
        school=member.school,
        obj=concern,
        request=request,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-{concern.pk}-summary.pdf"'
    return response


@school_view("concerns.view_all")
def learner_chronology_csv(request: HttpRequest, member: Membership, person: int) -> HttpResponse:
    learner = get_object_or_404(
        Person.objects.for_school(member.school), pk=person, kind=Person.Kind.LEARNER
    )
    rows = learner_chronology(member, learner)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["when", "case reference", "category", "entry", "details"])
    for at, concern, entry, details in rows:
        writer.writerow(
            [
                timezone.localtime(at).isoformat(timespec="minutes"),
                concern.reference,
                concern.get_category_display(),
                entry,
                _csv_safe(details),
            ]
        )
    audit_record(
        action="concern.learner_chronology_exported",
        actor=request.user,
        school=member.school,
        obj=learner,
        request=request,
    )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="learner-{learner.pk}-chronology.csv"'
    return response


def _csv_safe(value: str) -> str:
    """No spreadsheet formulas from free text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


# --- Dashboard ------------------------------------------------------------------------------


@school_view("concerns.triage")
def dashboard(request: HttpRequest, member: Membership) -> HttpResponse:
    now = timezone.now()
    visible = visible_concerns(member)
    chart = cases_by_month(visible, timezone.localdate())
    audit_record(
        action="concern.dashboard_viewed",
        actor=request.user,
        school=member.school,
        request=request,
    )
    return render(
        request,
        "concerns/dashboard.html",
        {
            "member": member,
            "buckets": [label for label, _, _ in AGE_BUCKETS],
            "by_category": [row for row in open_by_category_and_age(visible, now) if row.total],
            "overdue": overdue_clocks(visible, now),
            "no_parent_decision": without_parent_decision(visible),
            "alerts": unseen_alerts(member)[:50],
            "chart": chart,
            "svg": _chart_svg(chart),
        },
    )


PALETTE = (
    "#1d70b8",
    "#d4351c",
    "#00703c",
    "#4c2c92",
    "#f47738",
    "#5694ca",
    "#85994b",
    "#b58840",
    "#6f72af",
)


def _chart_svg(chart: Any) -> dict[str, Any]:
    """Stacked bars per month, drawn on the server: no script needed."""
    width, height, left, bottom = 720, 260, 40, 40
    plot_h = height - bottom - 10
    step = (width - left) / max(len(chart.months), 1)
    scale = plot_h / chart.maximum if chart.maximum else 0
    bars: list[dict[str, Any]] = []
    for index in range(len(chart.months)):
        y = height - bottom
        for number, (label, values) in enumerate(chart.series):
            size = values[index] * scale
            if size:
                y -= size
                bars.append(
                    {
                        "x": round(left + index * step + 4, 1),
                        "y": round(y, 1),
                        "w": round(step - 8, 1),
                        "h": round(size, 1),
                        "colour": PALETTE[number % len(PALETTE)],
                        "title": f"{label}, {chart.months[index]}: {values[index]}",
                    }
                )
    labels = [
        {"x": round(left + i * step + step / 2, 1), "text": month[:3]}
        for i, month in enumerate(chart.months)
    ]
    legend = [
        {"label": label, "colour": PALETTE[n % len(PALETTE)]}
        for n, (label, _) in enumerate(chart.series)
    ]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "labels": labels,
        "label_y": height - bottom + 18,
        "axis_y": height - bottom,
        "legend": legend,
        "maximum": chart.maximum,
    }


# --- Declarations ---------------------------------------------------------------------------


@school_view("declarations.declare")
def declarations(request: HttpRequest, member: Membership) -> HttpResponse:
    form = concern_forms.DeclarationForm(request.POST or None, school=member.school)
    if request.method == "POST" and form.is_valid():
        try:
            services.declaration_create(
                staff=member.person,
                learner=form.cleaned_data["learner"],
                relationship=form.cleaned_data["relationship"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, "Your declaration is recorded. The DSL and headteacher will discuss it."
            )
            return redirect("concerns:declarations", school=member.school.slug)
    rows = Declaration.objects.for_school(member.school).select_related("staff", "learner")
    manage = member.has("declarations.manage")
    listed = rows if manage else rows.filter(staff=member.person)
    if manage:
        audit_record(
            action="declaration.list_viewed",
            actor=request.user,
            school=member.school,
            request=request,
        )
    return render(
        request,
        "concerns/declarations.html",
        {"member": member, "form": form, "declarations": listed, "manage": manage},
        status=400 if form.errors else 200,
    )


@school_view("declarations.manage")
def declaration(request: HttpRequest, member: Membership, pk: int) -> HttpResponse:
    item = get_object_or_404(Declaration.objects.for_school(member.school), pk=pk)
    require(request.user, "declarations.manage", school=member.school, obj=item)
    initial = {
        "discussion": item.discussion,
        "decision": item.decision,
        "advice": item.advice,
        "review_on": item.review_on,
    }
    form = concern_forms.DeclarationDecisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.declaration_decide(
                declaration=item, actor=member.person, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Decision recorded.")
            return redirect("concerns:declarations", school=member.school.slug)
    if request.method != "POST":
        audit_record(
            action="declaration.viewed",
            actor=request.user,
            school=member.school,
            obj=item,
            request=request,
        )
    return render(
        request,
        "concerns/declaration.html",
        {"member": member, "declaration": item, "form": form},
        status=400 if form.errors else 200,
    )


# --- Retention ------------------------------------------------------------------------------


@school_view("concerns.retention")
def retention(request: HttpRequest, member: Membership) -> HttpResponse:
    form = concern_forms.RetentionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_decide(
                school=member.school, actor=member.person, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Retention decision recorded.")
            return redirect("concerns:retention", school=member.school.slug)
    due = records_due(member.school, timezone.localdate())
    audit_record(
        action="retention.list_viewed", actor=request.user, school=member.school, request=request
    )
    return render(
        request,
        "concerns/retention.html",
        {"member": member, "due": due, "form": form},
        status=400 if form.errors else 200,
    )
