"""Background work for channels, run by the worker after the transaction that queued it commits:
sending a published post to its platform, and telling managers about take-down tasks (a link,
never the content)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from safesocial.channels.models import TakeDownTask
from safesocial.channels.selectors import current_managers, login_holders
from safesocial.channels.services import posts_publish_due
from safesocial.jobs.services import job_handler
from safesocial.people.models import Person


@job_handler("channels.push_post")
def push_post(payload: dict[str, Any]) -> None:
    from safesocial.channels.services import post_push

    post_push(post_id=int(payload["post_id"]))


def _address(person: Person) -> str:
    if person.email:
        return person.email
    return person.user.email if person.user is not None else ""


@job_handler("channels.take_down_alerts")
def take_down_alerts(payload: dict[str, Any]) -> None:
    tasks = TakeDownTask.objects.filter(pk__in=payload.get("task_ids", [])).select_related(
        "post__channel__school"
    )
    today = timezone.localdate()
    recipients: dict[str, str] = {}
    for task in tasks.filter(Q(done_at__isnull=True)):
        channel = task.post.channel
        link = settings.SITE_URL + reverse(
            "channels:take_downs", kwargs={"school": channel.school.slug}
        )
        people = [m.person for m in current_managers(channel, on=today)] + login_holders(channel)
        for person in people:
            address = _address(person)
            if address:
                recipients[address] = link
    for address, link in recipients.items():
        send_mail(
            "A post must be taken down from an official channel",
            "Consent for a learner pictured in a published post has been withdrawn.\n\n"
            f"Open the take-down tasks here (you will be asked to sign in): {link}\n\n"
            "For confidentiality this email does not say which post or learner.\n",
            None,
            [address],
        )


@job_handler("channels.publish_due")
def publish_due(payload: dict[str, Any]) -> None:
    """Queued every few minutes by the worker's schedule (safesocial/jobs/schedule.py)."""
    posts_publish_due()
