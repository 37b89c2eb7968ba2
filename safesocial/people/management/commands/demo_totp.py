"""`safesocial demo-totp`: print the current code for the demo's second factor."""

from __future__ import annotations

import base64
import time
from typing import Any

from django.core.management.base import BaseCommand
from django_otp.oath import totp

from safesocial.people.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current six-digit code of the demo TOTP secret (demo accounts only)."

    def handle(self, *args: Any, **options: Any) -> None:
        key = base64.b32decode(DEMO_TOTP_SECRET)
        code = totp(key, t0=0, step=30, digits=6, drift=0)
        self.stdout.write(f"{code:06d} (valid for {30 - int(time.time()) % 30} s)")
