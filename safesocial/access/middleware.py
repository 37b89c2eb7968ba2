"""Session limits and caching headers."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
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
    A disabled account is already signed out by Django's backend (inactive users are refused).
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
                return redirect(f"{reverse('login')}?ended=1")
        return self.get_response(request)


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
