from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "safesocial.access"
    label = "access"
    verbose_name = "Access control"
