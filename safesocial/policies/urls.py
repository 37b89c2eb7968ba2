from django.urls import URLPattern, URLResolver, path

from safesocial.policies import views

app_name = "policies"
# Signed-in pages, under /s/<school>/policies/.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("setup/", views.register_setup, name="setup"),
    path("<int:policy>/", views.detail, name="detail"),
    path("<int:policy>/details/", views.policy_settings, name="settings"),
    path("<int:policy>/new-version/", views.version_new, name="version_new"),
    path("<int:policy>/compare/", views.compare, name="compare"),
    path("<int:policy>/early-review/", views.trigger_new, name="trigger_new"),
    path("<int:policy>/reviews/new/", views.review_new, name="review_new"),
    path("<int:policy>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("versions/<int:version>/", views.version_detail, name="version"),
    path("versions/<int:version>/edit/", views.version_edit, name="version_edit"),
    path("versions/<int:version>/sign/", views.version_sign, name="version_sign"),
    path("reviews/<int:review>/", views.review_detail, name="review"),
    path("actions/", views.action_plan, name="action_plan"),
    path("actions/<int:item>/", views.action_edit, name="action_edit"),
    path("acknowledgements/", views.acknowledgements, name="acknowledgements"),
    path("training/", views.training, name="training"),
    path("copy-requests/", views.copy_requests, name="copy_requests"),
    path("copy-requests/<int:item>/handled/", views.copy_request_handled, name="copy_handled"),
]
