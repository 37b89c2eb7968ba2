"""Network pages: rules, segments, the address register, catalogue, sanctions and
remote-learning approvals."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safesocial.access.core import Membership, require
from safesocial.access.decorators import school_view
from safesocial.forms import add_service_errors
from safesocial.netpolicy import services
from safesocial.netpolicy.forms import (
    AddressForm,
    ApprovalForm,
    CustomServiceForm,
    RuleForm,
    SanctionForm,
    SegmentForm,
)
from safesocial.netpolicy.models import (
    AddressAssignment,
    ChannelPlatformAccess,
    Group,
    RemoteLearningApproval,
    Rule,
    Sanction,
    Segment,
)
from safesocial.netpolicy.selectors import (
    address_register,
    approvals,
    current_sanctions,
    latest_snapshot,
    network_people,
    school_catalogue,
    school_rules,
)


def _error_text(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def _services_by_id(member: Membership) -> dict[str, str]:
    return {e.id: e.name for e in school_catalogue(member.school)}


@school_view("netpolicy.view")
def rule_list(request: HttpRequest, member: Membership) -> HttpResponse:
    school = member.school
    return render(
        request,
        "netpolicy/rules.html",
        {
            "member": member,
            "rules": school_rules(school),
            "can_edit": member.has("netpolicy.edit"),
            "snapshot": latest_snapshot(school),
            "channel_access": ChannelPlatformAccess.objects.for_school(school).select_related(
                "person"
            ),
            "approvals_in_force": [a for a in approvals(school) if a.in_force],
            "service_names": _services_by_id(member),
            "group_names": dict(Group.choices),
        },
    )


def _rule_form_page(request: HttpRequest, member: Membership, rule: Rule | None) -> HttpResponse:
    initial = None
    if rule is not None:
        initial = {
            "action": rule.action,
            "when": rule.when,
            "groups": rule.groups,
            "people": list(rule.people.all()),
            "segments": list(rule.segments.all()),
            "services": rule.services,
            "categories": rule.categories,
            "clause": rule.clause,
            "reason": rule.reason,
        }
    form = RuleForm(request.POST or None, initial=initial, school=member.school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {
            key: data[key]
            for key in (
                "action",
                "when",
                "clause",
                "reason",
                "groups",
                "people",
                "segments",
                "services",
                "categories",
            )
        }
        try:
            if rule is None:
                services.rule_create(
                    school=member.school, actor=request.user, request=request, **values
                )
                messages.success(request, "Rule added. The enforcement snapshot is recompiled.")
            else:
                services.rule_update(rule=rule, actor=request.user, request=request, **values)
                messages.success(request, "Rule saved. The enforcement snapshot is recompiled.")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("netpolicy:rules", school=member.school.slug)
    return render(
        request,
        "netpolicy/rule_form.html",
        {"member": member, "form": form, "rule": rule},
        status=400 if form.errors else 200,
    )


@school_view("netpolicy.edit")
def rule_add(request: HttpRequest, member: Membership) -> HttpResponse:
    return _rule_form_page(request, member, None)


@school_view("netpolicy.edit")
def rule_edit(request: HttpRequest, member: Membership, rule: int) -> HttpResponse:
    obj = get_object_or_404(Rule.objects.for_school(member.school), pk=rule)
    return _rule_form_page(request, member, obj)


@school_view("netpolicy.edit")
def rule_delete(request: HttpRequest, member: Membership, rule: int) -> HttpResponse:
    obj = get_object_or_404(Rule.objects.for_school(member.school), pk=rule)
    if request.method == "POST":
        services.rule_delete(rule=obj, actor=request.user, request=request)
        messages.success(request, "Rule deleted. The enforcement snapshot is recompiled.")
        return redirect("netpolicy:rules", school=member.school.slug)
    return render(request, "netpolicy/rule_delete.html", {"member": member, "rule": obj})


@require_POST
@school_view("netpolicy.edit")
def rule_move(request: HttpRequest, member: Membership, rule: int) -> HttpResponse:
    obj = get_object_or_404(Rule.objects.for_school(member.school), pk=rule)
    try:
        services.rule_move(
            rule=obj,
            actor=request.user,
            direction=request.POST.get("direction", ""),
            request=request,
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("netpolicy:rules", school=member.school.slug)


@school_view("netpolicy.view")
def segment_list(request: HttpRequest, member: Membership) -> HttpResponse:
    return render(
        request,
        "netpolicy/segments.html",
        {
            "member": member,
            "segments": Segment.objects.for_school(member.school),
            "can_edit": member.has("netpolicy.edit"),
            "group_names": dict(Group.choices),
        },
    )


def _segment_form_page(
    request: HttpRequest, member: Membership, segment: Segment | None
) -> HttpResponse:
    initial = None
    if segment is not None:
        initial = {
            "label": segment.label,
            "name": segment.name,
            "kind": segment.kind,
            "cidrs": segment.cidrs,
            "expected_groups": segment.expected_groups,
        }
    form = SegmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.segment_save(
                school=member.school,
                actor=request.user,
                segment=segment,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Network segment saved.")
            return redirect("netpolicy:segments", school=member.school.slug)
    return render(
        request,
        "netpolicy/segment_form.html",
        {"member": member, "form": form, "segment": segment},
        status=400 if form.errors else 200,
    )


@school_view("netpolicy.edit")
def segment_add(request: HttpRequest, member: Membership) -> HttpResponse:
    return _segment_form_page(request, member, None)


@school_view("netpolicy.edit")
def segment_edit(request: HttpRequest, member: Membership, segment: int) -> HttpResponse:
    obj = get_object_or_404(Segment.objects.for_school(member.school), pk=segment)
    return _segment_form_page(request, member, obj)


@school_view("netpolicy.view")
def address_list(request: HttpRequest, member: Membership) -> HttpResponse:
    return render(
        request,
        "netpolicy/addresses.html",
        {
            "member": member,
            "entries": address_register(member.school),
            "on_network": set(network_people(member.school).values_list("pk", flat=True)),
            "can_edit": member.has("netpolicy.edit"),
        },
    )


def _address_form_page(
    request: HttpRequest, member: Membership, entry: AddressAssignment | None
) -> HttpResponse:
    initial = None
    if entry is not None:
        initial = {
            "address": entry.address,
            "person": entry.person_id,
            "device": entry.device,
            "note": entry.note,
        }
    form = AddressForm(request.POST or None, initial=initial, school=member.school)
    if request.method == "POST" and form.is_valid():
        try:
            if entry is None:
                services.address_assign(
                    school=member.school, actor=request.user, request=request, **form.cleaned_data
                )
            else:
                services.address_update(
                    entry=entry, actor=request.user, request=request, **form.cleaned_data
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Address saved. The enforcement snapshot is recompiled.")
            return redirect("netpolicy:addresses", school=member.school.slug)
    return render(
        request,
        "netpolicy/address_form.html",
        {"member": member, "form": form, "entry": entry},
        status=400 if form.errors else 200,
    )


@school_view("netpolicy.edit")
def address_add(request: HttpRequest, member: Membership) -> HttpResponse:
    return _address_form_page(request, member, None)


@school_view("netpolicy.edit")
def address_edit(request: HttpRequest, member: Membership, assignment: int) -> HttpResponse:
    obj = get_object_or_404(AddressAssignment.objects.for_school(member.school), pk=assignment)
    return _address_form_page(request, member, obj)


@school_view("netpolicy.edit")
def address_delete(request: HttpRequest, member: Membership, assignment: int) -> HttpResponse:
    obj = get_object_or_404(address_register(member.school), pk=assignment)
    if request.method == "POST":
        services.address_remove(entry=obj, actor=request.user, request=request)
        messages.success(request, "Address removed. The enforcement snapshot is recompiled.")
        return redirect("netpolicy:addresses", school=member.school.slug)
    return render(request, "netpolicy/address_delete.html", {"member": member, "entry": obj})


@school_view("netpolicy.view")
def catalogue(request: HttpRequest, member: Membership) -> HttpResponse:
    return render(
        request,
        "netpolicy/catalogue.html",
        {
            "member": member,
            "entries": school_catalogue(member.school),
            "can_edit": member.has("netpolicy.edit"),
        },
    )


@school_view("netpolicy.edit")
def service_add(request: HttpRequest, member: Membership) -> HttpResponse:
    form = CustomServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.custom_service_save(
                school=member.school, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Service added to the school's catalogue.")
            return redirect("netpolicy:catalogue", school=member.school.slug)
    return render(
        request,
        "netpolicy/service_form.html",
        {"member": member, "form": form},
        status=400 if form.errors else 200,
    )


@school_view("netpolicy.sanction")
def sanction_list(request: HttpRequest, member: Membership) -> HttpResponse:
    form = SanctionForm(request.POST or None, school=member.school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.sanction_set(
                school=member.school,
                person=data["person"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
                actor=request.user,
                source=Sanction.Source.DIRECT,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Internet access removed for the dates given.")
            return redirect("netpolicy:sanctions", school=member.school.slug)
    return render(
        request,
        "netpolicy/sanctions.html",
        {
            "member": member,
            "form": form,
            "sanctions": current_sanctions(member.school),
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@school_view("netpolicy.sanction")
def sanction_end(request: HttpRequest, member: Membership, sanction: int) -> HttpResponse:
    obj = get_object_or_404(Sanction.objects.for_school(member.school), pk=sanction)
    try:
        services.sanction_end(sanction=obj, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Internet access given back.")
    return redirect("netpolicy:sanctions", school=member.school.slug)


@school_view("netpolicy.view")
def approval_list(request: HttpRequest, member: Membership) -> HttpResponse:
    form = ApprovalForm(request.POST or None, school=member.school)
    if request.method == "POST" and form.is_valid():
        try:
            services.remote_learning_propose(
                school=member.school,
                proposer=member.person,
                actor=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Proposed. It applies once the DSL and the head sign.")
            return redirect("netpolicy:approvals", school=member.school.slug)
    return render(
        request,
        "netpolicy/approvals.html",
        {
            "member": member,
            "form": form,
            "approvals": approvals(member.school),
            "service_names": _services_by_id(member),
            "group_names": dict(Group.choices),
            "can_sign_dsl": member.has("netpolicy.sign_as_dsl"),
            "can_sign_head": member.has("netpolicy.sign_as_headteacher"),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@school_view("netpolicy.view")
def approval_sign(request: HttpRequest, member: Membership, approval: int) -> HttpResponse:
    obj = get_object_or_404(RemoteLearningApproval.objects.for_school(member.school), pk=approval)
    as_role = request.POST.get("as", "")
    capability = {"dsl": "netpolicy.sign_as_dsl", "headteacher": "netpolicy.sign_as_headteacher"}
    if as_role not in capability:
        if not (member.has(capability["dsl"]) or member.has(capability["headteacher"])):
            raise PermissionDenied("not a signer")
        messages.error(request, "Choose to sign as the DSL or as the headteacher.")
        return redirect("netpolicy:approvals", school=member.school.slug)
    require(request.user, capability[as_role], school=member.school)
    try:
        services.remote_learning_sign(
            approval=obj,
            signer=member.person,
            as_role=as_role,
            actor=request.user,
            request=request,
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Signed.")
    return redirect("netpolicy:approvals", school=member.school.slug)
