from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "safesocial.reviews"
    label = "reviews"
    verbose_name = "Compliance map and annual review"
