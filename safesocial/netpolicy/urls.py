from django.urls import URLPattern, URLResolver

app_name = "netpolicy"
# Signed-in pages, under /s/<school>/netpolicy/.
urlpatterns: list[URLPattern | URLResolver] = []
