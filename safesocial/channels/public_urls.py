from django.urls import URLPattern, URLResolver, path

from safesocial.channels import public_views

# Public pages (no sign-in), under /p/<school>/.
urlpatterns: list[URLPattern | URLResolver] = [
    path("news/", public_views.news, name="news"),
    path("news/feed.atom", public_views.NewsFeed(), name="news_feed"),
    path("news/images/<int:image>/", public_views.news_image, name="news_image"),
]
