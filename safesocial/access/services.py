"""Account-security actions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from safesocial.access.models import AccountSecurity
from safesocial.audit.services import audit_record


@transaction.atomic
def sessions_end(
    *, user: User, actor: Any, school: Any, request: HttpRequest | None = None
) -> None:
    """End every session of `user` at its next request."""
    security, _ = AccountSecurity.objects.get_or_create(user=user)
    security.sessions_revoked_at = timezone.now()
    security.save(update_fields=["sessions_revoked_at"])
    audit_record(
        action="auth.sessions_ended",
        actor=actor,
        school=school,
        obj=user,
        request=request,
        fields=["sessions_revoked_at"],
    )
