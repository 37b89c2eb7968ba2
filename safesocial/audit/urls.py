from django.urls import path

from safesocial.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("head.txt", views.audit_head, name="head"),
]
