"""The project's URLs with OpenID Connect sign-in mounted, as SAFESOCIAL_OIDC_* would do."""

from django.urls import include, path

from safesocial.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("oidc/", include("mozilla_django_oidc.urls"))]
