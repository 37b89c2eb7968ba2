from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "safesocial.policies"
    label = "policies"
    verbose_name = "Policies"
