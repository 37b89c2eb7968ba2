"""Optional sign-in through OpenID Connect (Microsoft Entra ID, Google Workspace).

The provider vouches for an email address; safesocial decides who that is. Only an existing,
active account with exactly that (verified) address may sign in: no account is ever created
by signing in, and roles that need a second factor still confirm their TOTP code here.
"""

from __future__ import annotations

from typing import Any

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class SchoolAccountOIDCBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # A provider that says the address is unverified is not vouching for it.
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        email = str(claims.get("email", "")).strip()
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, is_active=True)

    def create_user(self, claims: dict[str, Any]) -> None:
        return None

    def get_user(self, user_id: int) -> Any:
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
