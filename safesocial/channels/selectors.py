"""Reads about official channels that pages, services and other apps share."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db.models import Q, QuerySet
from django.utils import timezone

from safesocial.channels.checks import Roster
from safesocial.channels.models import (
    Channel,
    ChannelManager,
    Consent,
    CustodyEvent,
    Post,
    PostImage,
    TakeDownTask,
)
from safesocial.people.models import Person, Role, RoleAssignment, School

# Every published post appears on the school's news page (the school website) as well as on
# its channel, so a learner pictured needs consent for both.
REQUIRED_PURPOSES: tuple[str, ...] = (Consent.Purpose.SOCIAL_MEDIA, Consent.Purpose.WEBSITE)
LOGIN_HOLDER_ROLES = (Role.LEADERSHIP, Role.HEADTEACHER)
MANAGER_ROLES = (Role.CHANNEL_MANAGER, Role.LEADERSHIP, Role.HEADTEACHER)


def public_channels(school: School, *, on: dt.date | None = None) -> list[Channel]:
    """The school's official channels in use now: for the public school page (clause 5)."""
    today = on or timezone.localdate()
    channels = Channel.objects.for_school(school).filter(status=Channel.Status.ACTIVE)
    return [c for c in channels if c.is_active(today)]


def published_posts(school: School) -> QuerySet[Post]:
    return (
        Post.objects.for_school(school)
        .filter(status=Post.Status.PUBLISHED)
        .select_related("channel")
        .prefetch_related("images", "images__learners")
        .order_by("-published_at", "-pk")
    )


def channel_register(school: School) -> QuerySet[Channel]:
    return Channel.objects.for_school(school).prefetch_related("risks")


def due_for_reapproval(school: School, *, on: dt.date, within_days: int = 30) -> list[Channel]:
    limit = on + dt.timedelta(days=within_days)
    return [
        c
        for c in Channel.objects.for_school(school).filter(status=Channel.Status.ACTIVE)
        if c.reapproval_due_on is not None and c.reapproval_due_on <= limit
    ]


def holds_role(person: Person, roles: tuple[str, ...], *, on: dt.date) -> bool:
    return RoleAssignment.objects.current(on).filter(person=person, role__in=roles).exists()


def current_managers(channel: Channel, *, on: dt.date) -> QuerySet[ChannelManager]:
    return (
        ChannelManager.objects.filter(channel=channel, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("person")
    )


def is_channel_manager(person: Person, channel: Channel, *, on: dt.date) -> bool:
    return current_managers(channel, on=on).filter(person=person).exists()


def managed_channels(person: Person, *, on: dt.date) -> QuerySet[Channel]:
    ids = (
        ChannelManager.objects.filter(person=person, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .values("channel_id")
    )
    return Channel.objects.filter(pk__in=ids)


def login_holders(channel: Channel) -> list[Person]:
    """Who holds the login details now, replayed from the custody log."""
    holders: dict[int, Person] = {}
    for event in CustodyEvent.objects.filter(channel=channel).select_related(
        "holder", "from_person"
    ):
        if event.kind == CustodyEvent.Kind.RETURNED:
            holders.pop(event.holder_id, None)
            continue
        if event.kind == CustodyEvent.Kind.HANDOVER and event.from_person_id is not None:
            holders.pop(event.from_person_id, None)
        holders[event.holder_id] = event.holder
    return list(holders.values())


def consent_problem(learner: Person, purpose: str, *, on: dt.date) -> str:
    """Why a learner's image may not be used for this purpose on this day ("" when it may)."""
    consents = list(Consent.objects.filter(learner=learner, purpose=purpose))
    if any(c.in_force(on) for c in consents):
        return ""
    label = Consent.Purpose(purpose).label.lower()
    withdrawn = [c for c in consents if c.withdrawn_on is not None and c.withdrawn_on <= on]
    if withdrawn:
        when = max(c.withdrawn_on for c in withdrawn if c.withdrawn_on is not None)
        return f"consent for {label} was withdrawn on {when:%-d %B %Y}"
    expired = [c for c in consents if c.expires_on < on]
    if expired:
        when = max(c.expires_on for c in expired)
        return f"consent for {label} expired on {when:%-d %B %Y}"
    return f"there is no written parental consent for {label}"


def image_publicly_visible(image: PostImage, *, on: dt.date) -> bool:
    """An image stays off the news page once any learner in it lacks consent."""
    return all(
        not consent_problem(learner, purpose, on=on)
        for learner in image.learners.all()
        for purpose in REQUIRED_PURPOSES
    )


def review_queue(school: School, person: Person) -> QuerySet[Post]:
    """Posts waiting for a second colleague: never one's own."""
    return (
        Post.objects.for_school(school)
        .filter(status=Post.Status.IN_REVIEW)
        .exclude(author=person)
        .select_related("channel", "author")
    )


def open_take_downs(school: School) -> QuerySet[TakeDownTask]:
    return (
        TakeDownTask.objects.for_school(school)
        .filter(done_at__isnull=True)
        .select_related("post", "post__channel", "consent", "consent__learner")
    )


_ROSTERS: dict[int, tuple[str, Roster]] = {}


def school_roster(school: School, *, on: dt.date) -> Roster:
    """The school's current learners' names, compiled once per change of roster."""
    names = list(
        Person.objects.for_school(school)
        .filter(kind=Person.Kind.LEARNER)
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=on))
        .order_by("pk")
        .values_list("first_name", "last_name")
    )
    digest = hashlib.sha256(repr(names).encode()).hexdigest()
    cached = _ROSTERS.get(school.pk)
    if cached is not None and cached[0] == digest:
        return cached[1]
    roster = Roster(names)
    _ROSTERS[school.pk] = (digest, roster)
    return roster
