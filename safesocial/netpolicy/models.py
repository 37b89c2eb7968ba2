"""The network policy of a school, as data: segments, rules, approvals, sanctions, compiles.

What the enforcement points read is never these tables but the snapshot compiled from them
(`netpolicy-compile`, see compile.py). The catalogue of services ships as a data file
(data/services.json); a school's own entries and imported domain lists are `CustomService`.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from safesocial.people.models import Person, SchoolScoped

SLUG = RegexValidator(r"^[a-z0-9][a-z0-9-]*$", "Use lower-case letters, digits and dashes.")


class Group(models.TextChoices):
    """Who a rule is about; a person's group comes from their kind (see selectors)."""

    LEARNERS = "learners", "Learners"
    STAFF = "staff", "Staff"
    VOLUNTEERS = "volunteers", "Volunteers"
    GUESTS = "guests", "Guests"


class Clause(models.TextChoices):
    """The policy clauses network rules carry out (docs/POLICY-MAP.md)."""

    GENERAL = "3", "3: control of social media on school devices and systems"
    STAFF = "4", "4: no personal social media for staff in school hours"
    OFFICIAL = "5", "5: official channels"
    LEARNERS = "6", "6: no personal social media for learners in school hours"


class CustomService(SchoolScoped):
    """A school's own catalogue entry, or a domain list imported as a category."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Added by the school"
        IMPORT = "import", "Imported domain list"

    service_id = models.CharField("id", max_length=60, validators=[SLUG])
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=60, validators=[SLUG])
    domains = models.TextField(help_text="One domain per line.")
    minimum_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(21)]
    )
    terms_url = models.URLField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "service_id"], name="custom_service_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def domain_list(self) -> list[str]:
        return [d for d in self.domains.split("\n") if d]


class Segment(SchoolScoped):
    """A part of the network, by address ranges: school-owned, personal or guest devices."""

    class Kind(models.TextChoices):
        SCHOOL_OWNED = "school-owned", "School-owned devices"
        PERSONAL = "personal", "Personal devices"
        GUEST = "guest", "Guest devices"

    name = models.CharField(max_length=60, validators=[SLUG])
    label = models.CharField(max_length=120)
    cidrs = models.TextField("address ranges", help_text="One CIDR per line, e.g. 10.20.0.0/16.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    expected_groups = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="segment_unique")]

    def __str__(self) -> str:
        return self.label

    def cidr_list(self) -> list[str]:
        return [c for c in self.cidrs.split("\n") if c]


def normalise_address(text: str) -> str:
    """An IPv4/IPv6 address or CIDR range in its canonical form (10.20.1.7, 10.20.0.0/16)."""
    value = text.strip()
    try:
        if "/" in value:
            return str(ipaddress.ip_network(value, strict=True))
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValidationError(
            f"{value or 'This'} is not an IP address such as 10.20.1.7 or a range such as "
            "10.20.4.0/24 (a range's host part is zero).",
            code="invalid_address",
        ) from None


def address_network(address: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The addresses an entry of the register covers (one address is a /32 or /128)."""
    return ipaddress.ip_network(address, strict=False)


class AddressAssignment(SchoolScoped):
    """The device and address register: a fixed address or range for a person or a device.

    For clients with no proxy login (a DHCP reservation, a shared device); the compile puts
    the register into the snapshot's address map.
    """

    address = models.CharField(max_length=50)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True)
    device = models.CharField(max_length=120, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(fields=["school", "address"], name="address_unique"),
            models.CheckConstraint(
                condition=(Q(person__isnull=True) & ~Q(device=""))
                | (Q(person__isnull=False) & Q(device="")),
                name="address_person_or_device",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    def clean(self) -> None:
        if self.address:
            try:
                self.address = normalise_address(self.address)
            except ValidationError as error:
                raise ValidationError({"address": error.messages}) from None
        if self.person_id is not None and self.device:
            raise ValidationError({"device": "Give a person or a device name, not both."})
        if self.person_id is None and not self.device:
            raise ValidationError({"person": "Choose a person or give a device name."})


class Rule(SchoolScoped):
    """One network rule; the school's rules apply in `position` order, first match decides."""

    class Action(models.TextChoices):
        DENY = "deny", "Block"
        ALLOW = "allow", "Allow"

    class When(models.TextChoices):
        SCHOOL_HOURS = "school_hours", "In school hours"
        OUTSIDE = "outside_school_hours", "Outside school hours"
        ALWAYS = "always", "At all times"

    position = models.PositiveIntegerField(default=0)
    action = models.CharField(max_length=10, choices=Action.choices)
    when = models.CharField(max_length=30, choices=When.choices, default=When.SCHOOL_HOURS)
    groups = models.JSONField(default=list, blank=True)
    people = models.ManyToManyField(Person, blank=True, related_name="+")
    segments = models.ManyToManyField(Segment, blank=True, related_name="rules")
    services = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    clause = models.CharField(max_length=4, choices=Clause.choices)
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.reason

    @property
    def snapshot_id(self) -> str:
        return f"rule-{self.pk}"


class ChannelPlatformAccess(SchoolScoped):
    """A channel manager may reach the platform of the official channel they run (clause 5).

    The channels app owns the register of channels and managers; it creates and ends these
    records through `channel_access_grant` and `channel_access_end` (a renamed channel's are
    ended and granted again under the new name). They name the channel by its label, not by a
    key, so that network policy does not depend on the channels app (which depends on it).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    service_id = models.CharField(max_length=60)
    channel = models.CharField("channel", max_length=120)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["starts_on"]

    def __str__(self) -> str:
        return f"{self.channel} ({self.service_id})"


class RemoteLearningApproval(SchoolScoped):
    """A platform approved for remote learning after a risk assessment (clause 3).

    In force only once both the DSL and the headteacher have signed, two different people.
    """

    service_id = models.CharField(max_length=60)
    groups = models.JSONField(default=list)
    purpose = models.CharField(max_length=200)
    risk_assessment = models.TextField()
    proposed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    dsl_signed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dsl_signed_at = models.DateTimeField(null=True, blank=True)
    head_signed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    head_signed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at"]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.purpose}"

    @property
    def in_force(self) -> bool:
        return (
            self.dsl_signed_at is not None
            and self.head_signed_at is not None
            and self.withdrawn_at is None
        )

    def clean(self) -> None:
        if self.dsl_signed_by_id is not None and self.dsl_signed_by_id == self.head_signed_by_id:
            raise ValidationError("The DSL and the headteacher sign-offs need two people.")


class Sanction(SchoolScoped):
    """Removal of internet access for a person from `starts_at` until `ends_at` (clause 3)."""

    class Source(models.TextChoices):
        DIRECT = "direct", "Set directly"
        CONCERN = "concern", "From a concern"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DIRECT)
    source_ref = models.PositiveIntegerField("concern id", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="sanction_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Sanction for {self.person}"

    def clean(self) -> None:
        if self.ends_at is not None and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must be after the start."})
        if self.source == self.Source.CONCERN and self.source_ref is None:
            raise ValidationError({"source_ref": "A sanction from a concern names the concern."})


class CompiledSnapshot(SchoolScoped):
    """One compile of the school's policy: its version, checksum and where it was written."""

    version = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=500)
    compiled_at = models.DateTimeField()
    compiled_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["school", "version"], name="snapshot_version_unique")
        ]

    def __str__(self) -> str:
        return f"version {self.version}"
