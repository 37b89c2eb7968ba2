from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "safesocial.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring and evaluation"
