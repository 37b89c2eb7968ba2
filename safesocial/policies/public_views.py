"""Public copies of a school's policies (F1): no sign-in, stable addresses a website can link."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from safesocial.people.models import School
from safesocial.policies import services
from safesocial.policies.forms import CopyRequestForm
from safesocial.policies.models import CopyRequest, Policy
from safesocial.policies.pdf import policy_pdf
from safesocial.policies.selectors import public_policies
from safesocial.policies.structure import parse_policy, plain_text
from safesocial.ratelimit import Limit, too_many

# Per address per hour. A request is a record the office must answer; a PDF costs a render.
COPY_REQUEST_LIMIT = Limit("policy-copy-request", "POLICIES_COPY_REQUESTS_PER_HOUR", 5)
PDF_LIMIT = Limit("policy-pdf", "POLICIES_PDFS_PER_HOUR", 60)
LIMITED = "policies/public/limited.html"


def _public(school: str, policy: str) -> tuple[School, Policy]:
    school_obj = get_object_or_404(School, slug=school)
    found = get_object_or_404(public_policies(school_obj), slug=policy)
    return school_obj, found


def _context(school: School, policy: Policy) -> dict[str, Any]:
    version = policy.current_version
    assert version is not None
    return {
        "school": school,
        "policy": policy,
        "version": version,
        "parsed": parse_policy(version.body),
        "sign_offs": list(version.sign_offs.select_related("person")),
    }


def detail(request: HttpRequest, school: str, policy: str) -> HttpResponse:
    school_obj, found = _public(school, policy)
    context = _context(school_obj, found)
    if request.GET.get("view") == "large":
        return render(request, "policies/public/large.html", context)
    return render(request, "policies/public/detail.html", context)


def pdf(request: HttpRequest, school: str, policy: str) -> HttpResponse:
    school_obj, found = _public(school, policy)
    if PDF_LIMIT.hit(request):
        context = {"school": school_obj, "policy": found, "what": "PDF copies"}
        return too_many(request, LIMITED, context, PDF_LIMIT)
    response = HttpResponse(policy_pdf(_context(school_obj, found)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.slug}.pdf"'
    return response


def text(request: HttpRequest, school: str, policy: str) -> HttpResponse:
    school_obj, found = _public(school, policy)
    context = _context(school_obj, found)
    version = context["version"]
    head = [
        school_obj.name,
        found.title,
        "",
        f"Version: {version.number}",
        f"Policy number: {found.number or 'not given'}",
        f"Date reviewed: {found.last_reviewed_on:%d %B %Y}" if found.last_reviewed_on else "",
        f"Date of next review: {found.next_review_due:%d %B %Y}" if found.next_review_due else "",
    ]
    body = (
        "\n".join(line for line in head if line is not None)
        + "\n\n"
        + plain_text(context["parsed"])
    )
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{found.slug}.txt"'
    return response


def request_copy(request: HttpRequest, school: str, policy: str) -> HttpResponse:
    school_obj, found = _public(school, policy)
    form = CopyRequestForm(request.POST or None)
    if request.method == "POST":
        source = COPY_REQUEST_LIMIT.source(request)
        if COPY_REQUEST_LIMIT.reached_by(CopyRequest.objects.all(), source, made_at="created_at"):
            context = {"school": school_obj, "policy": found, "what": "requests for copies"}
            return too_many(request, LIMITED, context, COPY_REQUEST_LIMIT)
        if form.is_valid():
            services.copy_request_create(
                policy=found, source_hash=source, request=request, **form.cleaned_data
            )
            return redirect(
                "policies_public:request_sent", school=school_obj.slug, policy=found.slug
            )
    return render(
        request,
        "policies/public/request.html",
        {
            "school": school_obj,
            "policy": found,
            "form": form,
            "retention_days": services.copy_request_retention_days(),
        },
        status=400 if form.errors else 200,
    )


def request_sent(request: HttpRequest, school: str, policy: str) -> HttpResponse:
    school_obj, found = _public(school, policy)
    return render(
        request, "policies/public/request_sent.html", {"school": school_obj, "policy": found}
    )
