from django.urls import URLPattern, URLResolver, path

from safesocial.concerns import views

# Public pages (no sign-in), under /p/<school>/.
urlpatterns: list[URLPattern | URLResolver] = [
    path("report/", views.public_report, name="report"),
]
