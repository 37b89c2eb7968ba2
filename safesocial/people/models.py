"""Tenants (organisations and schools), the people of a school's community, and their roles."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Organisation(models.Model):
    class Kind(models.TextChoices):
        TRUST = "trust", "Multi-academy trust"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        STANDALONE = "standalone", "Single school"

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TRUST)

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        unique=True,
        validators=[
            RegexValidator(r"^[a-z0-9][a-z0-9-]*$", "Use lower-case letters, digits and dashes.")
        ],
    )
    urn = models.CharField("unique reference number", max_length=20, blank=True)
    office_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SchoolScopedQuerySet(models.QuerySet[Any]):
    def for_school(self, school: School) -> Self:
        return self.filter(school=school)


class SchoolScoped(models.Model):
    """Every record of every feature belongs to exactly one school."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Person(SchoolScoped):
    class Kind(models.TextChoices):
        TEACHING_STAFF = "teaching_staff", "Teaching staff"
        SUPPORT_STAFF = "support_staff", "Support staff"
        VOLUNTEER = "volunteer", "Volunteer"
        LEARNER = "learner", "Learner"
        PARENT = "parent", "Parent or carer"
        TRUSTEE = "trustee", "Trustee or governor"

    STAFF_KINDS = (Kind.TEACHING_STAFF, Kind.SUPPORT_STAFF)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    mis_id = models.CharField("MIS id", max_length=64, blank=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    network_username = models.CharField(max_length=150, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    year_group = models.PositiveSmallIntegerField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    leaving_date = models.DateField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "mis_id"], condition=~Q(mis_id=""), name="person_unique_mis_id"
            ),
            models.UniqueConstraint(
                fields=["school", "user"],
                condition=Q(user__isnull=False),
                name="person_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["school", "network_username"],
                condition=~Q(network_username=""),
                name="person_unique_network_username",
            ),
        ]
        indexes = [models.Index(fields=["school", "kind"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_staff_member(self) -> bool:
        return self.kind in self.STAFF_KINDS

    def has_left(self, on: dt.date | None = None) -> bool:
        today = on or dt.date.today()
        return self.leaving_date is not None and self.leaving_date <= today


class ParentLink(SchoolScoped):
    parent = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="children_links")
    learner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="parent_links")
    relationship = models.CharField(max_length=50, blank=True)
    parental_responsibility = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "learner"], name="parent_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.parent} ({self.relationship or 'contact'}) of {self.learner}"


class Role(models.TextChoices):
    HEADTEACHER = "headteacher", "Headteacher"
    DSL = "dsl", "Designated Safeguarding Lead"
    DEPUTY_DSL = "deputy_dsl", "Deputy DSL"
    LEADERSHIP = "leadership", "Leadership team"
    CHAIR_OF_TRUSTEES = "chair", "Chair of trustees"
    SAFEGUARDING_TRUSTEE = "safeguarding_trustee", "Safeguarding trustee"
    NETWORK_MANAGER = "network_manager", "Network manager"
    CHANNEL_MANAGER = "channel_manager", "Channel manager"
    SCHOOL_OFFICE = "office", "School office"


class RoleAssignmentQuerySet(SchoolScopedQuerySet):
    def current(self, on: dt.date | None = None) -> Self:
        today = on or dt.date.today()
        return self.filter(starts_on__lte=today).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today)
        )


class RoleAssignment(SchoolScoped):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=30, choices=Role.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["role", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="role_assignment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.person}"


class Term(SchoolScoped):
    """A term of the school year; school days fall inside terms, less closures."""

    name = models.CharField(max_length=60)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="term_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Closure(SchoolScoped):
    """A day inside term when learners are not in: INSET day, polling day, snow day."""

    class Kind(models.TextChoices):
        INSET = "inset", "INSET day"
        OTHER = "other", "Other closure"

    date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INSET)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "date"], name="closure_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%Y-%m-%d}"


class SessionTime(SchoolScoped):
    """The school day's opening hours for one weekday (0 = Monday)."""

    weekday = models.PositiveSmallIntegerField()
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["school", "weekday"], name="session_time_one_per_day"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="session_time_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"day {self.weekday}: {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


def user_people(user: User) -> models.QuerySet[Person]:
    return Person.objects.filter(user=user).select_related("school")
