from django.apps import AppConfig


class NetpolicyConfig(AppConfig):
    name = "safesocial.netpolicy"
    label = "netpolicy"
    verbose_name = "Network policy"

    def ready(self) -> None:
        # Job handlers register themselves on import.
        from safesocial.netpolicy import jobs, services  # noqa: F401
