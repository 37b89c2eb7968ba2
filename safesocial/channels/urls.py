from django.urls import URLPattern, URLResolver

app_name = "channels"
# Signed-in pages, under /s/<school>/channels/.
urlpatterns: list[URLPattern | URLResolver] = []
