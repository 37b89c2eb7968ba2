from django.urls import URLPattern, URLResolver, path

from safesocial.concerns import views

app_name = "concerns"
# Signed-in pages, under /s/<school>/concerns/.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mine, name="mine"),
    path("report/", views.report, name="report"),
    path("cases/", views.cases, name="cases"),
    path("cases/<int:pk>/", views.case, name="case"),
    path("cases/<int:pk>/do/<slug:action>/", views.case_action, name="case_action"),
    path(
        "cases/<int:pk>/evidence/<int:evidence>/",
        views.evidence_download,
        name="evidence",
    ),
    path("cases/<int:pk>/summary.pdf", views.case_summary_pdf, name="summary_pdf"),
    path(
        "learners/<int:person>/chronology.csv",
        views.learner_chronology_csv,
        name="learner_chronology",
    ),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("declarations/", views.declarations, name="declarations"),
    path("declarations/<int:pk>/", views.declaration, name="declaration"),
    path("retention/", views.retention, name="retention"),
]
