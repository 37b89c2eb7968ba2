from django.urls import URLPattern, URLResolver

app_name = "concerns"
# Signed-in pages, under /s/<school>/concerns/.
urlpatterns: list[URLPattern | URLResolver] = []
