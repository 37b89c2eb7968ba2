from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "safesocial.channels"
    label = "channels"
    verbose_name = "Official channels"

    def ready(self) -> None:
        from safesocial.channels import jobs  # noqa: F401  (registers the job handlers)
