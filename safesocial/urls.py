"""Addresses: /s/<school>/ for signed-in pages, /p/<school>/ for public ones."""

import importlib.util

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from safesocial.access import views as access_views
from safesocial.people import views as people_views

PUBLIC_APPS = ("policies", "concerns", "netpolicy", "monitoring", "channels", "reviews")


def include_public(app: str) -> URLResolver:
    """Mount safesocial.<app>.public_urls at /p/<school>/ when the app has public pages."""
    module = f"safesocial.{app}.public_urls"
    if importlib.util.find_spec(module) is None:
        return path("", include(([], f"{app}_public")))
    return path("", include((module, f"{app}_public")))


school_patterns: list[URLPattern | URLResolver] = [
    path("", include("safesocial.people.urls")),
    path("audit/", include("safesocial.audit.urls")),
    path("policies/", include("safesocial.policies.urls")),
    path("concerns/", include("safesocial.concerns.urls")),
    path("network/", include("safesocial.netpolicy.urls")),
    path("monitoring/", include("safesocial.monitoring.urls")),
    path("channels/", include("safesocial.channels.urls")),
    path("reviews/", include("safesocial.reviews.urls")),
    path("people/<int:person>/end-sessions/", access_views.end_sessions, name="end_sessions"),
]

public_patterns: list[URLPattern | URLResolver] = [
    path("", people_views.public_school, name="public_school"),
    # Each app's public pages (no sign-in) live in its public_urls.py, under /p/<school>/.
    *(include_public(app) for app in PUBLIC_APPS),
]

urlpatterns = [
    path("", people_views.home, name="home"),
    path(
        "accounts/login/",
        access_views.SignInView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", access_views.two_factor, name="two_factor"),
    path("s/<slug:school>/", include(school_patterns)),
    path("p/<slug:school>/", include(public_patterns)),
]
if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
