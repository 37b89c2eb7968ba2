"""The home dashboard, the people list and the MIS import page."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from safesocial.access.core import Membership, memberships
from safesocial.access.decorators import school_view
from safesocial.audit.services import audit_record
from safesocial.people.forms import ImportForm
from safesocial.people.importing import ImportError_, people_import, plan_import
from safesocial.people.models import Person, RoleAssignment, School
from safesocial.people.selectors import people_counts, role_warnings


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    schools = [m.school for m in memberships(request.user)]
    if len(schools) == 1:
        return redirect("people:dashboard", school=schools[0].slug)
    return render(request, "people/choose_school.html", {"schools": schools})


@school_view("school.view")
def dashboard(request: HttpRequest, member: Membership) -> HttpResponse:
    context = {
        "member": member,
        "roles": sorted(member.roles),
        "warnings": role_warnings(member.school) if member.has("people.view") else [],
        "counts": people_counts(member.school) if member.has("people.view") else None,
    }
    return render(request, "people/dashboard.html", context)


@school_view("people.view")
def people_list(request: HttpRequest, member: Membership) -> HttpResponse:
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()
    people = Person.objects.for_school(member.school).select_related("user")
    if kind in Person.Kind.values:
        people = people.filter(kind=kind)
    if query:
        people = people.filter(Q(first_name__icontains=query) | Q(last_name__icontains=query))
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    roles = {
        (r.person_id): r
        for r in RoleAssignment.objects.for_school(member.school).current(timezone.localdate())
    }
    audit_record(
        action="people.list_viewed", actor=request.user, school=member.school, request=request
    )
    return render(
        request,
        "people/list.html",
        {
            "member": member,
            "page": page,
            "kinds": Person.Kind.choices,
            "kind": kind,
            "query": query,
            "role_holders": roles,
            "can_end_sessions": member.has("accounts.manage"),
        },
    )


@school_view("people.import")
def people_import_page(request: HttpRequest, member: Membership) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    plan = None
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_import(
                school=member.school,
                data=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"] or None,
                full=not form.cleaned_data["partial"],
            )
        except ImportError_ as problem:
            error = str(problem)
        if plan is not None and plan.ok and form.cleaned_data["apply"]:
            people_import(school=member.school, plan=plan, actor=request.user)
            messages.success(request, f"Imported {plan.kind}: {plan.summary()}.")
            return redirect("people:import", school=member.school.slug)
    status = 400 if error or (plan is not None and not plan.ok) or form.errors else 200
    return render(
        request,
        "people/import.html",
        {"member": member, "form": form, "plan": plan, "error": error},
        status=status,
    )


def public_school(request: HttpRequest, school: str) -> HttpResponse:
    school_obj = get_object_or_404(School, slug=school)
    return render(request, "people/public_school.html", {"school": school_obj})
