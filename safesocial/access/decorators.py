"""The decorator every school page uses to ask the access module."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode

from safesocial.access.core import Membership, TwoFactorRequired, require
from safesocial.people.models import School

P = ParamSpec("P")
SchoolView = Callable[Concatenate[HttpRequest, Membership, P], HttpResponse]


def school_view(capability: str) -> Callable[[SchoolView[P]], Callable[..., HttpResponse]]:
    """Resolve `<school>` from the URL, sign-in, membership, capability and second factor.

    The wrapped view receives the member's `Membership` after the request.
    """

    def decorate(view: SchoolView[P]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, school: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            school_obj = get_object_or_404(School, slug=school)
            try:
                member = require(request.user, capability, school=school_obj)
            except TwoFactorRequired:
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('two_factor')}?{query}")
            return view(request, member, *args, **kwargs)

        wrapper.safesocial_capability = capability  # type: ignore[attr-defined]
        return wrapper

    return decorate
