from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "safesocial.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring and evaluation"

    def ready(self) -> None:
        from safesocial.monitoring import jobs  # noqa: F401  (registers the job handlers)
