from django.urls import path

from safesocial.people import views

app_name = "people"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("people/", views.people_list, name="list"),
    path("people/import/", views.people_import_page, name="import"),
]
