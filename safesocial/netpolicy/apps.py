from django.apps import AppConfig


class NetpolicyConfig(AppConfig):
    name = "safesocial.netpolicy"
    label = "netpolicy"
    verbose_name = "Network policy"

    def ready(self) -> None:
        from safesocial.netpolicy import services  # noqa: F401  (registers the recompile job)
