from django.urls import URLPattern, URLResolver

app_name = "monitoring"
# Signed-in pages, under /s/<school>/monitoring/.
urlpatterns: list[URLPattern | URLResolver] = []
