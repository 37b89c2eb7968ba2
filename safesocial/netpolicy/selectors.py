"""Reads that need care: the school's catalogue, groups of people, where snapshots go."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from safesocial.netpolicy.catalogue import CatalogueEntry, project_catalogue
from safesocial.netpolicy.models import (
    AddressAssignment,
    CompiledSnapshot,
    CustomService,
    Group,
    RemoteLearningApproval,
    Rule,
    Sanction,
)
from safesocial.people.models import Person, School

GROUP_OF_KIND: dict[str, str] = {
    Person.Kind.LEARNER: Group.LEARNERS,
    Person.Kind.TEACHING_STAFF: Group.STAFF,
    Person.Kind.SUPPORT_STAFF: Group.STAFF,
    Person.Kind.VOLUNTEER: Group.VOLUNTEERS,
}


def service_minimum_age(service_id: str, *, school: School | None = None) -> int | None:
    """The lowest age a service's terms allow (None: unknown service or no stated age).

    With `school`, the school's own entries count too (the project's entry wins on a clash).
    """
    for entry in project_catalogue():
        if entry.id == service_id:
            return entry.minimum_age
    if school is not None:
        custom = CustomService.objects.for_school(school).filter(service_id=service_id).first()
        if custom is not None:
            return custom.minimum_age
    return None


def _custom_entry(custom: CustomService) -> CatalogueEntry:
    return CatalogueEntry(
        id=custom.service_id,
        name=custom.name,
        category=custom.category,
        domains=tuple(custom.domain_list()),
        minimum_age=custom.minimum_age,
        terms_url=custom.terms_url,
        school_entry=True,
    )


def school_catalogue(school: School) -> list[CatalogueEntry]:
    """The project's entries, then the school's own (by category, name)."""
    project = list(project_catalogue())
    known = {e.id for e in project}
    own = [
        _custom_entry(c)
        for c in CustomService.objects.for_school(school)
        if c.service_id not in known
    ]
    return project + own


def service_choices(school: School) -> list[tuple[str, str]]:
    return [(e.id, e.name) for e in school_catalogue(school)]


def category_choices(school: School) -> list[tuple[str, str]]:
    categories = sorted({e.category for e in school_catalogue(school)})
    return [(c, c) for c in categories]


def school_rules(school: School) -> QuerySet[Rule]:
    return Rule.objects.for_school(school).prefetch_related("people", "segments")


def network_people(school: School, *, on: dt.date | None = None) -> QuerySet[Person]:
    """People known to the network: a network username, a network group, not yet left."""
    today = on or timezone.localdate()
    return (
        Person.objects.for_school(school)
        .exclude(network_username="")
        .filter(kind__in=list(GROUP_OF_KIND))
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=today))
    )


def address_register(school: School) -> QuerySet[AddressAssignment]:
    return AddressAssignment.objects.for_school(school).select_related("person")


def current_sanctions(school: School, *, at: dt.datetime | None = None) -> QuerySet[Sanction]:
    """Sanctions in force now or later (ended ones are history)."""
    now = at or timezone.now()
    return (
        Sanction.objects.for_school(school)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("person")
    )


def approvals(school: School) -> QuerySet[RemoteLearningApproval]:
    return RemoteLearningApproval.objects.for_school(school).select_related(
        "proposed_by", "dsl_signed_by", "head_signed_by"
    )


def latest_snapshot(school: School) -> CompiledSnapshot | None:
    return CompiledSnapshot.objects.for_school(school).first()


def snapshot_dir() -> Path:
    configured = getattr(settings, "SAFESOCIAL_SNAPSHOT_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "netpolicy"


def snapshot_path(school: School) -> Path:
    """Where the web app writes the school's snapshot for the Squid helper to read."""
    return snapshot_dir() / f"{school.slug}.snap"
