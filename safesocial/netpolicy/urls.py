from django.urls import URLPattern, URLResolver, path

from safesocial.netpolicy import views

app_name = "netpolicy"
# Signed-in pages, under /s/<school>/network/.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.rule_list, name="rules"),
    path("rules/add/", views.rule_add, name="rule_add"),
    path("rules/<int:rule>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule>/delete/", views.rule_delete, name="rule_delete"),
    path("rules/<int:rule>/move/", views.rule_move, name="rule_move"),
    path("segments/", views.segment_list, name="segments"),
    path("segments/add/", views.segment_add, name="segment_add"),
    path("segments/<int:segment>/", views.segment_edit, name="segment_edit"),
    path("addresses/", views.address_list, name="addresses"),
    path("addresses/add/", views.address_add, name="address_add"),
    path("addresses/<int:assignment>/", views.address_edit, name="address_edit"),
    path("addresses/<int:assignment>/delete/", views.address_delete, name="address_delete"),
    path("services/", views.catalogue, name="catalogue"),
    path("services/add/", views.service_add, name="service_add"),
    path("sanctions/", views.sanction_list, name="sanctions"),
    path("sanctions/<int:sanction>/end/", views.sanction_end, name="sanction_end"),
    path("remote-learning/", views.approval_list, name="approvals"),
    path("remote-learning/<int:approval>/sign/", views.approval_sign, name="approval_sign"),
]
