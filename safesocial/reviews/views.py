"""Compliance map, annual review pack (page and PDF) and the trust's view. All audited."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from safesocial.access.core import Membership
from safesocial.access.decorators import school_view
from safesocial.audit.services import audit_record
from safesocial.monitoring.selectors import bar_chart
from safesocial.people.models import School
from safesocial.reviews.controls import compliance_map, status_counts
from safesocial.reviews.forms import RangeForm
from safesocial.reviews.pack import Pack, build_pack, headline
from safesocial.reviews.pdf import pack_pdf


@school_view("reviews.view")
def compliance(request: HttpRequest, member: Membership) -> HttpResponse:
    today = timezone.localdate()
    rows = compliance_map(member.school, today=today)
    audit_record(
        action="reviews.map_viewed", actor=request.user, school=member.school, request=request
    )
    return render(
        request,
        "reviews/map.html",
        {"member": member, "rows": rows, "counts": status_counts(rows), "today": today},
    )


def _pack_or_errors(request: HttpRequest, member: Membership) -> tuple[RangeForm, Pack | None]:
    today = timezone.localdate()
    if "from" not in request.GET and "to" not in request.GET:
        initial = {"from": (today - dt.timedelta(days=364)).isoformat(), "to": today.isoformat()}
        form = RangeForm(initial)
    else:
        form = RangeForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, build_pack(member.school, data["date_from"], data["date_to"], today=today)


def _context(member: Membership, form: RangeForm, pack: Pack | None) -> dict[str, object]:
    context: dict[str, object] = {"member": member, "form": form, "pack": pack}
    if pack is not None:
        context["category_chart"] = bar_chart(
            "Concerns reported in the period, by category", pack.by_category, unit="concerns"
        )
        context["query"] = f"from={pack.day_from:%Y-%m-%d}&to={pack.day_to:%Y-%m-%d}"
    return context


@school_view("reviews.view")
def pack_page(request: HttpRequest, member: Membership) -> HttpResponse:
    form, pack = _pack_or_errors(request, member)
    if pack is not None:
        audit_record(
            action="reviews.pack_viewed",
            actor=request.user,
            school=member.school,
            fields=[f"{pack.day_from:%Y-%m-%d}..{pack.day_to:%Y-%m-%d}"],
            request=request,
        )
    return render(
        request,
        "reviews/pack.html",
        _context(member, form, pack),
        status=400 if form.errors else 200,
    )


@school_view("reviews.view")
def pack_download(request: HttpRequest, member: Membership) -> HttpResponse:
    form, pack = _pack_or_errors(request, member)
    if pack is None:
        return render(request, "reviews/pack.html", _context(member, form, pack), status=400)
    audit_record(
        action="reviews.pack_downloaded",
        actor=request.user,
        school=member.school,
        fields=[f"{pack.day_from:%Y-%m-%d}..{pack.day_to:%Y-%m-%d}"],
        request=request,
    )
    response = HttpResponse(pack_pdf(_context(member, form, pack)), content_type="application/pdf")
    name = f"{member.school.slug}-review-pack-{pack.day_from:%Y%m%d}-{pack.day_to:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@school_view("reviews.trust")
def trust(request: HttpRequest, member: Membership) -> HttpResponse:
    today = timezone.localdate()
    day_from = today - dt.timedelta(days=364)
    schools = School.objects.filter(organisation_id=member.school.organisation_id).order_by("name")
    figures = [
        (school.name, headline(build_pack(school, day_from, today, today=today)))
        for school in schools
    ]
    labels: list[str] = []
    for _, rows in figures:
        labels += [label for label, _ in rows if label not in labels]
    table = [
        (label, [dict(rows).get(label, "not counted") for _, rows in figures]) for label in labels
    ]
    audit_record(
        action="reviews.trust_viewed", actor=request.user, school=member.school, request=request
    )
    return render(
        request,
        "reviews/trust.html",
        {
            "member": member,
            "organisation": member.school.organisation,
            "school_names": [name for name, _ in figures],
            "table": table,
            "day_from": day_from,
            "today": today,
        },
    )
