from django.urls import URLPattern, URLResolver, path

from safesocial.monitoring import views

app_name = "monitoring"
# Signed-in pages, under /s/<school>/monitoring/.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.report, name="report"),
    path("export/<slug:table>.csv", views.export, name="export"),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/action/", views.finding_act, name="finding_act"),
    path("alerts/", views.alerts, name="alerts"),
]
