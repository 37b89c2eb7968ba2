"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from django.db import models


class ChainHead(models.Model):
    """One row that every writer locks, so two writers can never extend the chain at once."""

    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"chain head at {self.last_sequence}"


class AuditEntry(models.Model):
    sequence = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    school_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=80)
    model = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # Names of the fields that changed, never their values: the trail must not copy
    # safeguarding content into a second place.
    fields = models.JSONField(default=list, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["school_id", "at"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"
