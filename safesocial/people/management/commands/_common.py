"""Shared pieces of the project's management commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from safesocial.people.models import School


class UsageError(CommandError):
    """A clear one-line error; management commands exit with code 2 for it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=2)


def school_from_slug(slug: str) -> School:
    school = School.objects.filter(slug=slug).first()
    if school is None:
        known = ", ".join(School.objects.values_list("slug", flat=True)[:10]) or "none yet"
        raise UsageError(f"no school with the slug {slug!r} (known: {known})")
    return school
