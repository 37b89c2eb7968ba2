"""`safesocial channels-publish-due`: publish scheduled posts whose time has come.

Run it every few minutes (cron or a systemd timer). Each post's checks and consent are run
again first; a post that fails them goes back to draft instead of being published.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from safesocial.channels.services import posts_publish_due


class Command(BaseCommand):
    help = "Publish scheduled official-channel posts that are due."

    def handle(self, *args: Any, **options: Any) -> None:
        published, held = posts_publish_due()
        self.stdout.write(f"published {published}, held back {held}")
