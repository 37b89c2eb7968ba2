from django.urls import URLPattern, URLResolver, path

from safesocial.reviews import views

app_name = "reviews"
# Signed-in pages, under /s/<school>/reviews/.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.compliance, name="map"),
    path("pack/", views.pack_page, name="pack"),
    path("pack.pdf", views.pack_download, name="pack_pdf"),
    path("trust/", views.trust, name="trust"),
]
