"""The home dashboard, the people list and the MIS import page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safesocial.access.core import Membership, memberships
from safesocial.access.decorators import school_view
from safesocial.audit.services import audit_record
from safesocial.concerns.selectors import unseen_alerts
from safesocial.forms import add_service_errors
from safesocial.people.forms import ImportForm, RoleAssignForm
from safesocial.people.importing import ImportError_, people_import, plan_import
from safesocial.people.models import Person, RoleAssignment, School
from safesocial.people.selectors import people_counts, role_warnings
from safesocial.people.services import role_assign, role_end
from safesocial.policies.selectors import notices_for


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
        # What needs this person: reminders from the policies app, and how many safeguarding
        # alerts wait for them (a count and a link only; the content sits behind 2FA).
        "notices": notices_for(member.person, limit=5),
        "unseen_alerts": unseen_alerts(member).count(),
        "roles": sorted(member.roles),
        # Reporting a worry is every adult's first duty, so it is one click from home.
        "can_report": member.has("concerns.report"),
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
    from safesocial.channels.selectors import public_channels
    from safesocial.policies.selectors import public_policies

    school_obj = get_object_or_404(School, slug=school)
    return render(
        request,
        "people/public_school.html",
        {
            "school": school_obj,
            "policies": list(public_policies(school_obj)),
            "channels": public_channels(school_obj),
        },
    )


@school_view("people.view")
def person_detail(request: HttpRequest, member: Membership, person: int) -> HttpResponse:
    subject = get_object_or_404(Person, pk=person, school=member.school)
    audit_record(
        action="people.person_viewed",
        actor=request.user,
        school=member.school,
        obj=subject,
        request=request,
    )
    return _person_page(request, member, subject, RoleAssignForm(), status=200)


def _person_page(
    request: HttpRequest, member: Membership, subject: Person, form: RoleAssignForm, status: int
) -> HttpResponse:
    return render(
        request,
        "people/person.html",
        {
            "member": member,
            "subject": subject,
            "assignments": subject.role_assignments.order_by("-starts_on"),
            "links": subject.children_links.select_related("learner")
            if subject.kind == Person.Kind.PARENT
            else subject.parent_links.select_related("parent"),
            "form": form,
            "can_manage_roles": member.has("people.manage_roles"),
            "today": timezone.localdate(),
        },
        status=status,
    )


@require_POST
@school_view("people.manage_roles")
def person_role_assign(request: HttpRequest, member: Membership, person: int) -> HttpResponse:
    subject = get_object_or_404(Person, pk=person, school=member.school)
    form = RoleAssignForm(request.POST)
    if form.is_valid():
        try:
            role_assign(
                person=subject,
                role=form.cleaned_data["role"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Role given to {subject.full_name}.")
            return redirect("people:person", school=member.school.slug, person=subject.pk)
    return _person_page(request, member, subject, form, status=400)


@require_POST
@school_view("people.manage_roles")
def person_role_end(request: HttpRequest, member: Membership, assignment: int) -> HttpResponse:
    held = get_object_or_404(RoleAssignment, pk=assignment, school=member.school)
    today = timezone.localdate()
    try:
        role_end(
            assignment=held, ends_on=max(today, held.starts_on), actor=request.user, request=request
        )
    except ValidationError:
        messages.error(request, "That role could not be ended.")
    else:
        messages.success(request, f"{held.get_role_display()} ended for {held.person.full_name}.")
    return redirect("people:person", school=member.school.slug, person=held.person_id)
