from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "safesocial.channels"
    label = "channels"
    verbose_name = "Official channels"
