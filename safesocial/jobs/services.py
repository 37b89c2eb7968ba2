"""Queue and run background jobs."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from safesocial.jobs.models import Job

logger = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any]], None]
_HANDLERS: dict[str, Handler] = {}
# Kinds whose handler makes its own transactions (one per school, say), so that one failure
# does not roll back work already done and published (a snapshot file, a sent email).
_OWN_TRANSACTIONS: set[str] = set()
MAX_ATTEMPTS = 5


def job_handler(kind: str, *, atomic: bool = True) -> Callable[[Handler], Handler]:
    """Register the handler of a job kind. With `atomic=False` the handler is not wrapped in
    one transaction and must make its own, each small enough to stand on its own."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[kind] = handler
        if not atomic:
            _OWN_TRANSACTIONS.add(kind)
        return handler

    return register


def job_handler_exists(kind: str) -> bool:
    return kind in _HANDLERS


def job_enqueue(*, kind: str, payload: dict[str, Any] | None = None) -> Job:
    """Queue a job; it is visible to the worker only once the caller's transaction commits."""
    return Job.objects.create(kind=kind, payload=payload or {})


def job_claim_next() -> Job | None:
    """Claim one due job with a conditional update, so two workers never run the same job."""
    now = timezone.now()
    for candidate in Job.objects.filter(status=Job.Status.QUEUED, run_after__lte=now).order_by(
        "run_after", "pk"
    )[:5]:
        claimed = Job.objects.filter(pk=candidate.pk, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING, claimed_at=now, attempts=candidate.attempts + 1
        )
        if claimed:
            candidate.refresh_from_db()
            return candidate
    return None


def job_run(job: Job) -> None:
    handler = _HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        if job.kind in _OWN_TRANSACTIONS:
            handler(job.payload)
        else:
            with transaction.atomic():
                handler(job.payload)
    except Exception as error:
        # Keep the job and the reason; retry later with a growing delay.
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        job.error = f"{type(error).__name__}: {error}"[:300]
        if job.attempts >= MAX_ATTEMPTS:
            job.status = Job.Status.FAILED
        else:
            job.status = Job.Status.QUEUED
            job.run_after = timezone.now() + dt.timedelta(minutes=2**job.attempts)
        job.save(update_fields=["error", "status", "run_after"])
        return
    job.status = Job.Status.DONE
    job.finished_at = timezone.now()
    job.error = ""
    job.save(update_fields=["status", "finished_at", "error"])
