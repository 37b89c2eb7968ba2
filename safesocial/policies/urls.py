from django.urls import URLPattern, URLResolver

app_name = "policies"
# Signed-in pages, under /s/<school>/policies/.
urlpatterns: list[URLPattern | URLResolver] = []
