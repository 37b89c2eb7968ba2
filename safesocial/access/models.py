"""Per-account security state that Django's user model does not hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AccountSecurity(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security"
    )
    # Sessions that began before this moment are ended at their next request.
    sessions_revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"security of user {self.user_id}"
