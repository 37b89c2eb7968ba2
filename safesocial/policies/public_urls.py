"""Public pages under /p/<school>/ (namespace "policies_public"); no sign-in."""

from django.urls import path

from safesocial.policies import public_views

urlpatterns = [
    path("policies/<slug:policy>/", public_views.detail, name="detail"),
    path("policies/<slug:policy>.pdf", public_views.pdf, name="pdf"),
    path("policies/<slug:policy>.txt", public_views.text, name="text"),
    path("policies/<slug:policy>/request-a-copy/", public_views.request_copy, name="request"),
    path(
        "policies/<slug:policy>/request-a-copy/sent/",
        public_views.request_sent,
        name="request_sent",
    ),
]
