"""Publishing connectors: where an approved post goes besides the school's own news page.

The news page is built in: a published post is on it at once (clause 5: nobody is excluded).
The Facebook Page connector posts the text through the Graph API: `POST /{page-id}/feed` with
`message` and `access_token`; success is `{"id": "..."}`, failure `{"error": {...}}`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
TIMEOUT_SECONDS = 15


class PublishError(Exception):
    """The platform refused or could not be reached; the message says why, in words."""


@dataclass(frozen=True)
class Published:
    external_id: str


class Connector(Protocol):
    name: str

    def publish(self, *, text: str) -> Published: ...


class NewsPageConnector:
    name = "news page"

    def publish(self, *, text: str) -> Published:
        return Published(external_id="")


class FacebookPageConnector:
    name = "Facebook Page"

    def __init__(self, *, page_id: str, token: str, base_url: str | None = None) -> None:
        self.page_id = page_id
        self.token = token
        self.base_url = (
            base_url or getattr(settings, "SAFESOCIAL_FACEBOOK_GRAPH_URL", "") or DEFAULT_GRAPH_URL
        ).rstrip("/")

    def publish(self, *, text: str) -> Published:
        url = f"{self.base_url}/{urllib.parse.quote(self.page_id, safe='')}/feed"
        if not url.startswith(("https://", "http://")):
            raise PublishError("The Graph API address must start with https://.")
        body = urllib.parse.urlencode({"message": text, "access_token": self.token}).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                payload = json.loads(response.read().decode() or "{}")
        except urllib.error.HTTPError as error:
            try:
                payload = json.loads(error.read().decode() or "{}")
            except ValueError:
                payload = {}
            raise PublishError(_error_text(payload, f"HTTP {error.code}")) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise PublishError(f"Facebook could not be reached: {error}") from None
        except ValueError:
            raise PublishError("Facebook answered with something that is not JSON.") from None
        if isinstance(payload, dict) and "error" in payload:
            raise PublishError(_error_text(payload, "an error"))
        post_id = payload.get("id") if isinstance(payload, dict) else None
        if not isinstance(post_id, str) or not post_id:
            raise PublishError("Facebook did not say which post it created.")
        return Published(external_id=post_id)


def _error_text(payload: object, fallback: str) -> str:
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "no message")
        code = error.get("code")
        return f"Facebook refused the post: {message}" + (f" (code {code})" if code else "")
    return f"Facebook refused the post ({fallback})."
