from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "safesocial.access"
    label = "access"
    verbose_name = "Access control"

    def ready(self) -> None:
        # Connects the sign-in receiver that stamps the session's start (12-hour limit).
        from safesocial.access import middleware  # noqa: F401
