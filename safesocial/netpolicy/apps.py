from django.apps import AppConfig


class NetpolicyConfig(AppConfig):
    name = "safesocial.netpolicy"
    label = "netpolicy"
    verbose_name = "Network policy"
