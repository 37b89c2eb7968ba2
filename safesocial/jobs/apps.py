from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "safesocial.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
