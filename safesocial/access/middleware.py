"""Session limits and caching headers."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

SIGNED_IN_AT = "safesocial_signed_in_at"


@receiver(user_logged_in)
def _remember_sign_in(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    request.session[SIGNED_IN_AT] = time.time()


class SessionLimitsMiddleware:
    """Ends a session 12 hours after sign-in, or when an administrator revoked it.

    The 30-minute idle limit is the session cookie's age, renewed by every request.
    A disabled (or deleted) account is refused by Django's backend, which leaves the request
    anonymous but keeps the session: it is flushed here, so enabling the account again does
    not bring a session back that someone kept alive meanwhile.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            signed_in_at = request.session.get(SIGNED_IN_AT, 0.0)
            expired = time.time() - signed_in_at > settings.SESSION_ABSOLUTE_SECONDS
            security = getattr(user, "security", None)
            revoked_at = getattr(security, "sessions_revoked_at", None)
            revoked = revoked_at is not None and revoked_at.timestamp() >= signed_in_at
            if expired or revoked:
                logout(request)
                return _ended()
        elif SESSION_KEY in request.session:
            _end_orphaned_session(request)
            return _ended()
        return self.get_response(request)


def _ended() -> HttpResponse:
    # This response leaves before NoStoreMiddleware sees it: mark it here.
    response = redirect(f"{reverse('login')}?ended=1")
    add_never_cache_headers(response)
    return response


def _end_orphaned_session(request: HttpRequest) -> None:
    """The session names an account that may no longer sign in: end it, and say so."""
    from safesocial.audit.services import audit_record

    user_id = request.session.get(SESSION_KEY)
    request.session.flush()
    users = get_user_model()._default_manager
    account = users.filter(pk=user_id).first() if user_id is not None else None
    audit_record(
        action="auth.session_ended",
        actor=account,
        actor_label="" if account is not None else "deleted account",
        request=request,
    )


class NoStoreMiddleware:
    """Nothing about a school's people may sit in a shared or browser cache.

    Every page except static files is marked no-store: signed-in pages show personal data, and
    public pages are cheap to render again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
        return response
