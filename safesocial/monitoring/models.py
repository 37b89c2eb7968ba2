"""What the web side keeps of monitoring: alerts raised from the logs, and monthly summaries.

The logs themselves stay in the school's DuckDB file (see engine/); these rows hold only ids
(a network person id such as "p12", a day), never hosts, addresses or names.
"""

from __future__ import annotations

from django.db import models

from safesocial.people.models import SchoolScoped


class MonitoringAlert(SchoolScoped):
    """One alert from the standard report, stored (and emailed) once per key."""

    class Kind(models.TextChoices):
        REPEATED_BLOCKED_SOCIAL = "repeated_blocked_social", "Repeated blocked social media"
        FILTER_AVOIDANCE = "filter_avoidance", "VPN, DNS-over-HTTPS or proxy avoidance"
        SANCTIONED_TRAFFIC = "sanctioned_traffic", "Traffic during a sanction"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    # The network policy's person id ("p12"), blank when the logs did not say who.
    person_id = models.CharField(max_length=40, blank=True)
    day = models.DateField(null=True, blank=True)
    key = models.CharField(max_length=200)
    count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["school", "key"], name="monitoring_alert_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.key})"


class MonthlySummary(SchoolScoped):
    """A month's summary was sent to the DSL and the headteacher (once per school and month)."""

    month = models.CharField(max_length=7)  # YYYY-MM
    requests = models.PositiveBigIntegerField(default=0)
    social_media_requests = models.PositiveBigIntegerField(default=0)
    blocked = models.PositiveBigIntegerField(default=0)
    alerts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["school", "month"], name="monitoring_summary_once"),
        ]

    def __str__(self) -> str:
        return f"Monitoring summary {self.month}"
