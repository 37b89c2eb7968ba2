from django.apps import AppConfig


class ConcernsConfig(AppConfig):
    name = "safesocial.concerns"
    label = "concerns"
    verbose_name = "Concerns and breaches"

    def ready(self) -> None:
        # Object rules and job handlers register themselves on import.
        from safesocial.concerns import jobs, rules  # noqa: F401
