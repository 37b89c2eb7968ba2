"""Memberships, capabilities and object rules: the access decisions themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q
from django.http import Http404
from django.utils import timezone

from safesocial.access.capabilities import (
    CAPABILITIES,
    COMMUNITY_ROLE_OF_KIND,
    ROLE_CAPABILITIES,
    TWO_FACTOR_CAPABILITIES,
    TWO_FACTOR_ROLES,
)
from safesocial.people.models import Person, RoleAssignment, School


class NotAMember(Http404):
    """The user holds no current place in this school: the school looks as if it isn't there."""


class TwoFactorRequired(PermissionDenied):
    """The capability needs a second factor that this session has not given yet."""


@dataclass(frozen=True)
class Membership:
    """A user's current place in one school: who they are there and what they may do."""

    school: School
    person: Person
    roles: frozenset[str]
    capabilities: frozenset[str]
    verified: bool

    @property
    def needs_two_factor(self) -> bool:
        return bool(self.roles & TWO_FACTOR_ROLES)

    def has(self, capability: str) -> bool:
        return capability in self.capabilities


# An object rule says whether a member may use a capability on one record. Returning False
# hides the record (404): a person kept off a case must not learn that it exists.
ObjectRule = Callable[[Membership, str, Any], bool]
_OBJECT_RULES: dict[type[Model], ObjectRule] = {}


def register_object_rule(model: type[Model]) -> Callable[[ObjectRule], ObjectRule]:
    def register(rule: ObjectRule) -> ObjectRule:
        _OBJECT_RULES[model] = rule
        return rule

    return register


def _is_verified(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


def _build(person: Person, today: dt.date, verified: bool) -> Membership:
    roles = {COMMUNITY_ROLE_OF_KIND[person.kind]}
    roles.update(
        RoleAssignment.objects.current(today).filter(person=person).values_list("role", flat=True)
    )
    capabilities: set[str] = set()
    for role in roles:
        capabilities |= ROLE_CAPABILITIES.get(role, frozenset())
    return Membership(
        school=person.school,
        person=person,
        roles=frozenset(roles),
        capabilities=frozenset(capabilities),
        verified=verified,
    )


def _current_people(user: Any) -> Any:
    today = timezone.localdate()
    return (
        Person.objects.filter(user=user)
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=today))
        .select_related("school", "school__organisation")
    )


def memberships(user: Any) -> list[Membership]:
    """Every school where the user currently belongs, cached on the user for one request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cached: list[Membership] | None = getattr(user, "_safesocial_memberships", None)
    if cached is None:
        today = timezone.localdate()
        verified = _is_verified(user)
        cached = [_build(person, today, verified) for person in _current_people(user)]
        user._safesocial_memberships = cached
    return cached


def membership(user: Any, school: School) -> Membership | None:
    for candidate in memberships(user):
        if candidate.school.pk == school.pk:
            return candidate
    return None


def require(user: Any, capability: str, *, school: School, obj: Any = None) -> Membership:
    """Return the user's membership when allowed; raise otherwise.

    Not a member -> NotAMember (404); member without the capability -> PermissionDenied (403);
    allowed but needing a second factor -> TwoFactorRequired; an object rule saying no -> 404.
    """
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")
    member = membership(user, school)
    if member is None:
        raise NotAMember("not a member of this school")
    if not member.has(capability):
        raise PermissionDenied(capability)
    if member.needs_two_factor and capability in TWO_FACTOR_CAPABILITIES and not member.verified:
        raise TwoFactorRequired(capability)
    if obj is not None:
        if getattr(obj, "school_id", school.pk) != school.pk:
            raise Http404("not in this school")
        rule = _OBJECT_RULES.get(type(obj))
        if rule is not None and not rule(member, capability, obj):
            raise Http404("not found")
    return member


def can(user: Any, capability: str, *, school: School, obj: Any = None) -> bool:
    try:
        require(user, capability, school=school, obj=obj)
    except (PermissionDenied, Http404):
        return False
    return True
