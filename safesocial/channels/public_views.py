"""The school's public news page and Atom feed: every published post, for everyone (clause 5:
nobody is left out for not using social media). No sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from safesocial.channels import files
from safesocial.channels.models import Post, PostImage
from safesocial.channels.selectors import image_publicly_visible, published_posts
from safesocial.people.models import School

FEED_ITEMS = 30
PAGE_ITEMS = 50


def news(request: HttpRequest, school: str) -> HttpResponse:
    school_obj = get_object_or_404(School, slug=school)
    today = timezone.localdate()
    items = []
    for post in published_posts(school_obj)[:PAGE_ITEMS]:
        images = [i for i in post.images.all() if image_publicly_visible(i, on=today)]
        items.append({"post": post, "images": images})
    return render(request, "channels/news.html", {"school": school_obj, "items": items})


def news_image(request: HttpRequest, school: str, image: int) -> HttpResponse:
    school_obj = get_object_or_404(School, slug=school)
    obj = get_object_or_404(
        PostImage.objects.for_school(school_obj).select_related("post"),
        pk=image,
        post__status=Post.Status.PUBLISHED,
    )
    if not image_publicly_visible(obj, on=timezone.localdate()):
        raise Http404("not available")
    path = files.path_of(obj.stored_name)
    if not path.exists():
        raise Http404("file missing")
    response = HttpResponse(path.read_bytes(), content_type=obj.content_type)
    response["Cache-Control"] = "public, max-age=300"
    return response


class NewsFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, school: str) -> School:
        return get_object_or_404(School, slug=school)

    def title(self, obj: School) -> str:
        return f"News from {obj.name}"

    def link(self, obj: School) -> str:
        return reverse("channels_public:news", kwargs={"school": obj.slug})

    def subtitle(self, obj: School) -> str:
        return f"Everything {obj.name} posts on its official channels."

    def items(self, obj: School) -> Any:
        return published_posts(obj)[:FEED_ITEMS]

    def item_title(self, item: Post) -> str:
        first_line = item.text.strip().splitlines()[0] if item.text.strip() else "News"
        return first_line if len(first_line) <= 80 else first_line[:77] + "..."

    def item_description(self, item: Post) -> str:
        return item.text

    def item_link(self, item: Post) -> str:
        url = reverse("channels_public:news", kwargs={"school": item.channel.school.slug})
        return f"{url}#post-{item.pk}"

    def item_pubdate(self, item: Post) -> Any:
        return item.published_at

    def item_updateddate(self, item: Post) -> Any:
        return item.published_at
