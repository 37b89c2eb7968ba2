from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "safesocial.policies"
    label = "policies"
    verbose_name = "Policies"

    def ready(self) -> None:
        from safesocial.policies import jobs  # noqa: F401  (registers the job handler)
