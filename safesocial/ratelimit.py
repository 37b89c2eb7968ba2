"""Per-address limits for the public pages that need no sign-in (the concern report form, policy
copy requests and PDFs), shared so that each works the same way.

The address itself is never stored: only a keyed hash of it (HMAC with SECRET_KEY), different
for each purpose. Where each accepted request leaves a record (a concern, a copy request), the
caller counts its records carrying that hash in the window, which holds across app processes.
Where nothing is recorded (a PDF), `hit` counts in Django's cache, per process unless the
deployment configures a shared cache. A limit of 0 turns the limit off (load tests only).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from safesocial.audit.services import client_ip

HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Limit:
    """At most `setting` (default `default`) requests for `purpose` per address per `window`."""

    purpose: str
    setting: str
    default: int
    window: dt.timedelta = HOUR

    @property
    def allowed(self) -> int:
        return int(getattr(settings, self.setting, self.default))

    def source(self, request: HttpRequest) -> str:
        """The keyed hash standing for the request's address (kept on records for counting)."""
        address = client_ip(request) or "unknown"
        if ":" in address:
            # One IPv6 client usually holds a whole /64 and can change address at will.
            with contextlib.suppress(ValueError):
                address = str(ipaddress.ip_network(f"{address}/64", strict=False))
        message = f"{self.purpose}:{address}".encode()
        return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()

    def reached_by(self, records: QuerySet[Any], source: str, *, made_at: str) -> bool:
        """True when the `records` carrying `source` as their `source_hash`, made (field
        `made_at`) within the window, leave no room for one more."""
        if self.allowed <= 0:
            return False
        since = timezone.now() - self.window
        recent = records.filter(source_hash=source, **{f"{made_at}__gte": since})
        return recent.count() >= self.allowed

    def hit(self, request: HttpRequest) -> bool:
        """Count this request in the cache; True when it goes over the limit."""
        if self.allowed <= 0:
            return False
        key = f"safesocial:ratelimit:{self.purpose}:{self.source(request)}"
        seconds = int(self.window.total_seconds())
        cache.add(key, 0, timeout=seconds)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds)
            count = 1
        return count > self.allowed


def too_many(
    request: HttpRequest, template: str, context: dict[str, Any], limit: Limit
) -> HttpResponse:
    """The "try again later" page: HTTP 429, with Retry-After for clients that read it."""
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(int(limit.window.total_seconds()))
    return response
