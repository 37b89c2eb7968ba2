"""Signed-in policy pages: register, versions, sign-off, reviews, action plan, staff records."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from safesocial.access.core import Membership
from safesocial.access.decorators import school_view
from safesocial.audit.services import audit_record
from safesocial.forms import add_service_errors
from safesocial.policies import selectors, services
from safesocial.policies.diff import diff_rows, diff_summary
from safesocial.policies.forms import (
    AcknowledgeForm,
    ActionItemForm,
    PolicyForm,
    ReviewForm,
    TrainingForm,
    TriggerForm,
    VersionForm,
)
from safesocial.policies.models import (
    ACKNOWLEDGED_KINDS,
    ActionItem,
    CopyRequest,
    FormalReview,
    Policy,
    PolicyVersion,
)
from safesocial.policies.structure import parse_policy


def _policy(member: Membership, pk: int) -> Policy:
    return get_object_or_404(
        Policy.objects.select_related("owner", "current_version"), pk=pk, school=member.school
    )


def _version(member: Membership, pk: int) -> PolicyVersion:
    version = get_object_or_404(
        PolicyVersion.objects.select_related("policy"), pk=pk, school=member.school
    )
    # Drafts are working papers for those who write and sign them.
    if not version.is_approved and not (member.has("policies.edit") or member.has("policies.sign")):
        raise Http404("not found")
    return version


@school_view("policies.view")
def index(request: HttpRequest, member: Membership) -> HttpResponse:
    today = timezone.localdate()
    policies = list(selectors.policy_register(member.school))
    return render(
        request,
        "policies/index.html",
        {
            "member": member,
            "policies": policies,
            "today": today,
            "overdue": [p for p in policies if selectors.review_is_overdue(p, today)],
            "notices": selectors.notices_for(member.person),
            "can_edit": member.has("policies.edit"),
        },
    )


@require_POST
@school_view("policies.edit")
def register_setup(request: HttpRequest, member: Membership) -> HttpResponse:
    created = services.policy_register_setup(school=member.school, actor=request.user)
    messages.success(request, f"{len(created)} policies were added to the register.")
    return redirect("policies:index", school=member.school.slug)


@school_view("policies.view")
def detail(request: HttpRequest, member: Membership, policy: int) -> HttpResponse:
    return _detail_page(request, member, _policy(member, policy))


def _detail_page(
    request: HttpRequest,
    member: Membership,
    found: Policy,
    *,
    ack_form: AcknowledgeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    current = found.current_version
    versions = list(selectors.versions_of(found))
    if not (member.has("policies.edit") or member.has("policies.sign")):
        versions = [v for v in versions if v.is_approved]
    can_acknowledge = (
        current is not None
        and found.kind in ACKNOWLEDGED_KINDS
        and services.must_acknowledge(member.person)
    )
    acknowledged = can_acknowledge and selectors.has_acknowledged_current(
        person=member.person, policy_kind=found.kind
    )
    return render(
        request,
        "policies/detail.html",
        {
            "member": member,
            "policy": found,
            "current": current,
            "parsed": parse_policy(current.body) if current else None,
            "versions": versions,
            "triggers": found.triggers.all()[:10],
            "reviews": found.reviews.all()[:10] if member.has("policies.review") else [],
            "overdue": selectors.review_is_overdue(found),
            "can_acknowledge": can_acknowledge,
            "acknowledged": acknowledged,
            "ack_form": ack_form
            or (AcknowledgeForm(initial={"version": current.pk}) if current else None),
            "can_edit": member.has("policies.edit"),
            "can_review": member.has("policies.review"),
        },
        status=status,
    )


@school_view("policies.edit")
def policy_settings(request: HttpRequest, member: Membership, policy: int) -> HttpResponse:
    found = _policy(member, policy)
    initial = {
        "title": found.title,
        "number": found.number,
        "owner": found.owner,
        "review_cycle_months": found.review_cycle_months,
        "is_public": found.is_public,
    }
    form = PolicyForm(request.POST or None, initial=initial, school=member.school)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(
                policy=found, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The policy's details were saved.")
            return redirect("policies:detail", school=member.school.slug, policy=found.pk)
    return render(
        request,
        "policies/settings.html",
        {"member": member, "policy": found, "form": form},
        status=400 if form.errors else 200,
    )


@school_view("policies.view")
def version_detail(request: HttpRequest, member: Membership, version: int) -> HttpResponse:
    found = _version(member, version)
    today = timezone.localdate()
    signed = {s.role: s for s in found.sign_offs.select_related("person")}
    my_roles = services.signer_roles(person=member.person, today=today)
    can_sign = (
        member.has("policies.sign")
        and not found.is_approved
        and any(role not in signed for role in my_roles)
        and all(s.person_id != member.person.pk for s in signed.values())
    )
    return render(
        request,
        "policies/version.html",
        {
            "member": member,
            "policy": found.policy,
            "version": found,
            "parsed": parse_policy(found.body),
            "sign_offs": list(signed.values()),
            "can_sign": can_sign,
            "can_edit": member.has("policies.edit") and not found.is_approved,
        },
    )


@school_view("policies.edit")
def version_new(request: HttpRequest, member: Membership, policy: int) -> HttpResponse:
    found = _policy(member, policy)
    start = found.current_version.body if found.current_version else ""
    form = VersionForm(request.POST or None, initial={"body": start})
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            version = services.version_draft(
                policy=found,
                body=form.cleaned_data["body"],
                change_note=form.cleaned_data["change_note"],
                actor=request.user,
                request=request,
            )
        except services.PolicyError as problem:
            error = str(problem)
        else:
            messages.success(request, f"Draft version {version.number} was saved.")
            return redirect("policies:version", school=member.school.slug, version=version.pk)
    return render(
        request,
        "policies/version_form.html",
        {"member": member, "policy": found, "form": form, "error": error, "version": None},
        status=400 if form.errors or error else 200,
    )


@school_view("policies.edit")
def version_edit(request: HttpRequest, member: Membership, version: int) -> HttpResponse:
    found = _version(member, version)
    if found.is_approved:
        return render(
            request,
            "policies/refused.html",
            {
                "member": member,
                "title": "This version cannot be changed",
                "reason": f"Version {found.number} is approved. Approved versions never change: "
                "start a new draft instead.",
                "back": found,
            },
            status=409,
        )
    form = VersionForm(
        request.POST or None, initial={"body": found.body, "change_note": found.change_note}
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.version_update(
                version=found,
                body=form.cleaned_data["body"],
                change_note=form.cleaned_data["change_note"],
                actor=request.user,
                request=request,
            )
        except services.PolicyError as problem:
            error = str(problem)
        else:
            messages.success(request, f"Draft version {found.number} was saved.")
            return redirect("policies:version", school=member.school.slug, version=found.pk)
    return render(
        request,
        "policies/version_form.html",
        {
            "member": member,
            "policy": found.policy,
            "form": form,
            "error": error,
            "version": found,
        },
        status=400 if form.errors or error else 200,
    )


@require_POST
@school_view("policies.sign")
def version_sign(request: HttpRequest, member: Membership, version: int) -> HttpResponse:
    found = _version(member, version)
    try:
        sign_off = services.version_sign(
            version=found,
            person=member.person,
            verified=member.verified,
            actor=request.user,
            request=request,
        )
    except services.PolicyError as problem:
        return render(
            request,
            "policies/refused.html",
            {
                "member": member,
                "title": "The sign-off was refused",
                "reason": str(problem),
                "back": found,
            },
            status=409,
        )
    found.refresh_from_db()
    if found.is_approved:
        messages.success(request, f"Version {found.number} is signed by both and is now current.")
    else:
        messages.success(
            request, f"You signed version {found.number} as {sign_off.get_role_display()}."
        )
    return redirect("policies:version", school=member.school.slug, version=found.pk)


@school_view("policies.view")
def compare(request: HttpRequest, member: Membership, policy: int) -> HttpResponse:
    found = _policy(member, policy)
    versions = list(selectors.versions_of(found))
    if not (member.has("policies.edit") or member.has("policies.sign")):
        versions = [v for v in versions if v.is_approved]
    by_number = {str(v.number): v for v in versions}
    old = by_number.get(request.GET.get("from", ""))
    new = by_number.get(request.GET.get("to", ""))
    if old is None and new is None and len(versions) >= 2:
        new, old = versions[0], versions[1]
    rows = diff_rows(old.body, new.body) if old and new else []
    added, removed = diff_summary(rows)
    bad_choice = bool(request.GET) and (old is None or new is None)
    return render(
        request,
        "policies/compare.html",
        {
            "member": member,
            "policy": found,
            "versions": versions,
            "old": old,
            "new": new,
            "rows": rows,
            "added": added,
            "removed": removed,
            "bad_choice": bad_choice,
        },
        status=400 if bad_choice else 200,
    )


@school_view("policies.edit")
def trigger_new(request: HttpRequest, member: Membership, policy: int) -> HttpResponse:
    found = _policy(member, policy)
    form = TriggerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            trigger = services.review_trigger_log(
                policy=found, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"Logged. The review is now due by {trigger.due_after:%d %B %Y}."
            )
            return redirect("policies:detail", school=member.school.slug, policy=found.pk)
    return render(
        request,
        "policies/trigger_form.html",
        {"member": member, "policy": found, "form": form},
        status=400 if form.errors else 200,
    )


@school_view("policies.review")
def review_new(request: HttpRequest, member: Membership, policy: int) -> HttpResponse:
    found = _policy(member, policy)
    form = ReviewForm(request.POST or None, school=member.school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.review_record(
                policy=found,
                held_on=data["held_on"],
                trustees_present=data["trustees_present"],
                discussion=data["discussion"],
                outcome=data["outcome"],
                deficiencies=data["deficiency_lines"],
                action_owner=data["action_owner"],
                action_due_on=data["action_due_on"],
                pack_from=data["pack_from"],
                pack_to=data["pack_to"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            count = len(data["deficiency_lines"])
            messages.success(
                request, f"The review was recorded with {count} action(s) for the action plan."
            )
            return redirect("policies:review", school=member.school.slug, review=review.pk)
    return render(
        request,
        "policies/review_form.html",
        {"member": member, "policy": found, "form": form},
        status=400 if form.errors else 200,
    )


@school_view("policies.review")
def review_detail(request: HttpRequest, member: Membership, review: int) -> HttpResponse:
    found = get_object_or_404(
        FormalReview.objects.select_related("policy", "version"), pk=review, school=member.school
    )
    audit_record(
        action="policies.review_viewed",
        actor=request.user,
        school=member.school,
        obj=found,
        request=request,
    )
    pack_links: tuple[str, str] | None = None
    if found.pack_from and found.pack_to and member.has("reviews.view"):
        query = urlencode({"from": found.pack_from.isoformat(), "to": found.pack_to.isoformat()})
        school = {"school": member.school.slug}
        pack_links = (
            f"{reverse('reviews:pack', kwargs=school)}?{query}",
            f"{reverse('reviews:pack_pdf', kwargs=school)}?{query}",
        )
    return render(
        request,
        "policies/review.html",
        {
            "member": member,
            "review": found,
            "trustees": found.trustees_present.all(),
            "actions": found.deficiencies.select_related("owner"),
            "pack_links": pack_links,
        },
    )


@school_view("policies.actions")
def action_plan(request: HttpRequest, member: Membership) -> HttpResponse:
    today = timezone.localdate()
    items = list(selectors.action_plan(member.school))
    audit_record(
        action="policies.action_plan_viewed",
        actor=request.user,
        school=member.school,
        request=request,
    )
    open_items = [i for i in items if i.status != ActionItem.Status.DONE]
    return render(
        request,
        "policies/action_plan.html",
        {
            "member": member,
            "open_items": open_items,
            "done_items": [i for i in items if i.status == ActionItem.Status.DONE],
            "overdue_count": sum(1 for i in open_items if i.due_on < today),
            "today": today,
        },
    )


@school_view("policies.actions")
def action_edit(request: HttpRequest, member: Membership, item: int) -> HttpResponse:
    found = get_object_or_404(ActionItem, pk=item, school=member.school)
    initial = {
        "owner": found.owner,
        "due_on": found.due_on,
        "status": found.status,
        "evidence": found.evidence,
    }
    form = ActionItemForm(request.POST or None, initial=initial, school=member.school)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_item_update(
                item=found, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Action {found.pk} was updated.")
            return redirect("policies:action_plan", school=member.school.slug)
    return render(
        request,
        "policies/action_form.html",
        {"member": member, "item": found, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@school_view("policies.view")
def acknowledge(request: HttpRequest, member: Membership, policy: int) -> HttpResponse:
    found = _policy(member, policy)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        version = PolicyVersion.objects.filter(
            pk=form.cleaned_data["version"], policy=found
        ).first()
        if version is None:
            form.add_error(None, "That version of the policy does not exist.")
        else:
            try:
                services.acknowledgement_record(
                    person=member.person, version=version, actor=request.user, request=request
                )
            except services.PolicyError as problem:
                form.add_error(None, str(problem))
            else:
                messages.success(request, f"Thank you: you accepted version {version.number}.")
                return redirect("policies:detail", school=member.school.slug, policy=found.pk)
    # Every refusal is an error on the policy's own page, beside the box to tick.
    return _detail_page(request, member, found, ack_form=form, status=400)


@school_view("policies.staff_records")
def acknowledgements(request: HttpRequest, member: Membership) -> HttpResponse:
    report = selectors.acknowledgement_report(member.school)
    audit_record(
        action="policies.acknowledgements_viewed",
        actor=request.user,
        school=member.school,
        request=request,
    )
    return render(request, "policies/acknowledgements.html", {"member": member, "report": report})


@school_view("policies.staff_records")
def training(request: HttpRequest, member: Membership) -> HttpResponse:
    form = TrainingForm(request.POST or None, school=member.school)
    if request.method == "POST" and form.is_valid():
        try:
            services.training_record(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except services.PolicyError as problem:
            form.add_error("person", str(problem))
        else:
            messages.success(request, "The training was recorded.")
            return redirect("policies:training", school=member.school.slug)
    rows = selectors.training_report(member.school)
    audit_record(
        action="policies.training_viewed", actor=request.user, school=member.school, request=request
    )
    return render(
        request,
        "policies/training.html",
        {
            "member": member,
            "form": form,
            "rows": rows,
            "due": [r for r in rows if r.status != "current"],
            "induction_days": selectors.INDUCTION_DUE_DAYS,
        },
        status=400 if form.errors else 200,
    )


@school_view("office.requests")
def copy_requests(request: HttpRequest, member: Membership) -> HttpResponse:
    items = list(CopyRequest.objects.for_school(member.school).select_related("policy"))
    audit_record(
        action="policies.copy_requests_viewed",
        actor=request.user,
        school=member.school,
        request=request,
    )
    return render(
        request,
        "policies/copy_requests.html",
        {
            "member": member,
            "waiting": [i for i in items if i.handled_at is None],
            "handled": [i for i in items if i.handled_at is not None][:50],
        },
    )


@require_POST
@school_view("office.requests")
def copy_request_handled(request: HttpRequest, member: Membership, item: int) -> HttpResponse:
    found = get_object_or_404(CopyRequest, pk=item, school=member.school)
    try:
        services.copy_request_handle(copy_request=found, actor=request.user, request=request)
    except services.PolicyError as problem:
        messages.info(request, str(problem))
    else:
        messages.success(request, f"Request {found.pk} was marked as handled.")
    return redirect("policies:copy_requests", school=member.school.slug)
