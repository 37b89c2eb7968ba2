"""Background work: alert emails (a link, never the content) and the allegation clock."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from safesocial.concerns.models import Alert, Concern
from safesocial.jobs.services import job_handler

SUBJECTS = {
    Alert.Kind.NEW_CONCERN: "A new concern needs your attention",
    Alert.Kind.ALLEGATION: "An allegation needs your attention today",
    Alert.Kind.CLOCK_OVERDUE: "An allegation is overdue for LADO consultation",
}


def alert_email_body(alert: Alert) -> str:
    link = settings.SITE_URL + reverse(
        "concerns:case", kwargs={"school": alert.concern.school.slug, "pk": alert.concern_id}
    )
    return (
        "Something in safesocial needs your attention.\n\n"
        f"Open it here (you will be asked to sign in): {link}\n\n"
        "For confidentiality this email does not say what it is about.\n"
    )


def _address(alert: Alert) -> str:
    person = alert.recipient
    if person.email:
        return person.email
    return person.user.email if person.user is not None else ""


@job_handler("concerns.send_alerts")
def send_alerts(payload: dict[str, Any]) -> None:
    alerts = Alert.objects.filter(pk__in=payload.get("alert_ids", []), emailed_at__isnull=True)
    for alert in alerts.select_related("concern__school", "recipient__user"):
        address = _address(alert)
        if address:
            send_mail(
                SUBJECTS.get(alert.kind, "safesocial needs your attention"),
                alert_email_body(alert),
                None,
                [address],
            )
        alert.emailed_at = timezone.now()
        alert.save(update_fields=["emailed_at"])


@job_handler("concerns.check_clock")
def check_clock(payload: dict[str, Any]) -> None:
    from safesocial.concerns.services import clock_escalate

    concern = Concern.objects.filter(pk=int(payload.get("concern_id", 0))).first()
    if concern is not None:
        clock_escalate(concern=concern)
