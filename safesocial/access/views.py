"""Sign-in, the second factor, and ending other people's sessions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token

from safesocial.access.core import Membership
from safesocial.access.decorators import school_view
from safesocial.access.forms import TokenForm
from safesocial.access.services import sessions_end
from safesocial.audit.services import audit_record
from safesocial.people.models import Person


class SignInView(LoginView):
    """Django's sign-in, offering the organisation's OpenID Connect provider when set up."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["oidc_name"] = settings.OIDC_NAME if settings.OIDC_ENABLED else ""
        return context


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Ask for the TOTP code; a code is accepted once only (django-otp remembers the last step)."""
    user = request.user
    form = TokenForm(request.POST or None)
    has_device = any(True for _ in _devices(user))
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            # The session has just gained access to safeguarding records: give it a new key,
            # so a key learnt before this step is worth nothing after it.
            request.session.cycle_key()
            audit_record(action="auth.second_factor", actor=user, request=request)
            return redirect(_safe_next(request))
        audit_record(action="auth.second_factor_failed", actor=user, request=request)
        form.add_error(
            "token", "That code is wrong, expired or already used. Wait for the next one."
        )
    return render(
        request,
        "registration/two_factor.html",
        {"form": form, "next": _safe_next(request), "has_device": has_device},
        status=200 if form.is_bound is False or form.errors == {} else 400,
    )


def _devices(user: object) -> list[object]:
    from django_otp import devices_for_user

    return list(devices_for_user(user, confirmed=True))


@require_POST
@school_view("accounts.manage")
def end_sessions(request: HttpRequest, member: Membership, person: int) -> HttpResponse:
    target = get_object_or_404(Person, pk=person, school=member.school, user__isnull=False)
    account = get_object_or_404(User, pk=target.user_id)
    sessions_end(user=account, actor=request.user, school=member.school, request=request)
    messages.success(request, f"All sessions of {target.full_name} have been ended.")
    return redirect("people:list", school=member.school.slug)
