from django.urls import URLPattern, URLResolver

app_name = "reviews"
# Signed-in pages, under /s/<school>/reviews/.
urlpatterns: list[URLPattern | URLResolver] = []
