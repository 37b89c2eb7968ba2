from django.urls import path

from safesocial.people import views

app_name = "people"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("people/", views.people_list, name="list"),
    path("people/import/", views.people_import_page, name="import"),
    path("people/<int:person>/", views.person_detail, name="person"),
    path("people/<int:person>/roles/", views.person_role_assign, name="role_assign"),
    path("people/roles/<int:assignment>/end/", views.person_role_end, name="role_end"),
]
