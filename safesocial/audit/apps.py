from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "safesocial.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from safesocial.audit import signals  # noqa: F401  (connects the sign-in and lockout receivers)
