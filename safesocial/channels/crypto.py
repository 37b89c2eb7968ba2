"""Page tokens for publishing connectors, encrypted at rest with Fernet.

The key comes from settings.SAFESOCIAL_CHANNEL_TOKEN_KEY (a urlsafe base64 32-byte key, as
`Fernet.generate_key()` makes). Without a key no token can be stored or read.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError


def _fernet() -> Fernet:
    key = getattr(settings, "SAFESOCIAL_CHANNEL_TOKEN_KEY", "")
    if not key:
        raise ImproperlyConfigured(
            "SAFESOCIAL_CHANNEL_TOKEN_KEY is not set: page tokens cannot be stored."
        )
    try:
        return Fernet(key)
    except ValueError as error:
        raise ImproperlyConfigured(
            "SAFESOCIAL_CHANNEL_TOKEN_KEY must be 32 url-safe base64-encoded bytes."
        ) from error


def token_encrypt(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def token_decrypt(encrypted: str) -> str:
    try:
        return _fernet().decrypt(encrypted.encode()).decode()
    except InvalidToken:
        raise ValidationError(
            {"facebook_token": "The stored page token cannot be read: enter it again."}
        ) from None
