"""Concerns and their cases, allegations, declarations and retention decisions.

Every record belongs to one school. Who may see a case is decided by the object rules in
rules.py, through the access module; nothing here checks a role.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from safesocial.concerns.categories import Category, Route
from safesocial.people.models import Person, SchoolScoped


class Concern(SchoolScoped):
    class Status(models.TextChoices):
        OPEN = "open", "New"
        INVESTIGATING = "investigating", "Being looked into"
        CLOSED = "closed", "Closed"

    class ReporterKind(models.TextChoices):
        STAFF = "staff", "Member of staff"
        LEARNER = "learner", "Learner"
        PARENT = "parent", "Parent or carer"
        OTHER = "other", "Someone else"
        ANONYMOUS = "anonymous", "Anonymous"

    class Outcome(models.TextChoices):
        NONE = "", "Not decided"
        SUBSTANTIATED = "substantiated", "Substantiated"
        UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"
        UNFOUNDED = "unfounded", "Unfounded"
        FALSE = "false", "False"
        MALICIOUS = "malicious", "Malicious"
        NO_FURTHER_ACTION = "nfa", "No further action needed"

    reference = models.CharField(max_length=12, unique=True)
    category = models.CharField(max_length=30, choices=Category.choices)
    route = models.CharField(max_length=20, choices=Route.choices)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, default="")
    what = models.TextField("what happened", max_length=10000)
    occurred_on = models.DateField("when it happened", null=True, blank=True)
    where = models.CharField("where it happened", max_length=200, blank=True)
    reported_at = models.DateTimeField(default=timezone.now)
    reporter_kind = models.CharField(max_length=10, choices=ReporterKind.choices)
    reporter = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_contact = models.CharField(max_length=200, blank=True)
    self_report = models.BooleanField(default=False)
    # The member of staff an allegation is about (also listed as a subject below).
    subject_staff = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handler = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A keyed hash of the public form's address, for rate limiting; never the address itself.
    source_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # The allegation clock: consult the LADO within one school working day.
    clock_due_at = models.DateTimeField(null=True, blank=True)
    clock_stopped_at = models.DateTimeField(null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["school", "status", "category"]),
            models.Index(fields=["school", "reported_at"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_allegation(self) -> bool:
        return self.category == Category.ALLEGATION

    @property
    def clock_overdue(self) -> bool:
        return (
            self.clock_due_at is not None
            and self.clock_stopped_at is None
            and self.clock_due_at < timezone.now()
        )


class Involvement(SchoolScoped):
    class Part(models.TextChoices):
        SUBJECT = "subject", "Subject"
        REPORTER = "reporter", "Reporter"
        WITNESS = "witness", "Witness"
        AFFECTED = "affected", "Affected"

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="involvements")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True)
    name = models.CharField("name, when not on the school's records", max_length=200, blank=True)
    part = models.CharField(max_length=10, choices=Part.choices)

    class Meta:
        ordering = ["part", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | ~Q(name=""), name="involvement_names_someone"
            ),
            models.UniqueConstraint(
                fields=["concern", "person", "part"],
                condition=Q(person__isnull=False),
                name="involvement_once_per_part",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_part_display()} in {self.concern_id}"

    @property
    def label(self) -> str:
        return self.person.full_name if self.person else self.name


class CaseMember(SchoolScoped):
    """Someone added to an allegation's case (escalation, or by the handler)."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="team")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["concern", "person"], name="case_member_once")
        ]

    def __str__(self) -> str:
        return f"member {self.person_id} of {self.concern_id}"


class ChronologyEntry(SchoolScoped):
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="chronology")
    happened_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    text = models.TextField(max_length=5000)
    backdate_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["happened_at", "pk"]

    def __str__(self) -> str:
        return f"entry {self.pk} of {self.concern_id}"


class Decision(SchoolScoped):
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="decisions")
    decided_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    decision = models.TextField(max_length=3000)
    reasons = models.TextField(max_length=5000)

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"decision {self.pk} of {self.concern_id}"


class Referral(SchoolScoped):
    class Agency(models.TextChoices):
        LADO = "lado", "LADO"
        POLICE = "police", "Police"
        SOCIAL_CARE = "social_care", "Children's social care"
        OTHER = "other", "Other agency"

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="referrals")
    agency = models.CharField(max_length=15, choices=Agency.choices)
    agency_name = models.CharField(max_length=200, blank=True)
    contacted_on = models.DateField()
    agency_reference = models.CharField(max_length=100, blank=True)
    advice = models.TextField(max_length=5000, blank=True)
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contacted_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_agency_display()} referral {self.pk}"


class Measure(SchoolScoped):
    """A sanction, or pastoral or welfare support, for one person."""

    class Kind(models.TextChoices):
        INTERNET_REMOVAL = "internet_removal", "Removal of internet access"
        OTHER_SANCTION = "sanction", "Other sanction"
        PASTORAL = "pastoral", "Pastoral support"
        WELFARE = "welfare", "Welfare support"

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="measures")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="measure_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(kind="internet_removal") | Q(ends_at__isnull=False),
                name="internet_removal_has_end",
            ),
        ]
        indexes = [models.Index(fields=["school", "kind", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class ParentCommunication(SchoolScoped):
    class Method(models.TextChoices):
        NONE = "", "Not told"
        PHONE = "phone", "Phone call"
        MEETING = "meeting", "Meeting"
        LETTER = "letter", "Letter"
        EMAIL = "email", "Email"

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="parent_comms")
    informed = models.BooleanField()
    informed_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    reason_not_informed = models.TextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(informed=True) & Q(informed_at__isnull=False) & ~Q(method=""))
                | (Q(informed=False) & ~Q(reason_not_informed="")),
                name="parent_comm_when_how_or_why_not",
            )
        ]

    def __str__(self) -> str:
        return f"parent communication {self.pk}"


class Evidence(SchoolScoped):
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="evidence")
    # A random name under PRIVATE_FILES_DIR/concerns/; never inside the web root.
    stored_name = models.CharField(max_length=64, unique=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"evidence {self.pk}"


class Debrief(SchoolScoped):
    concern = models.OneToOneField(Concern, on_delete=models.CASCADE, related_name="debrief")
    what_happened = models.TextField(max_length=5000)
    lessons = models.TextField("lessons learnt", max_length=5000)
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"debrief of {self.concern_id}"


class Proposal(SchoolScoped):
    class Kind(models.TextChoices):
        POLICY = "policy", "Policy change"
        CURRICULUM = "curriculum", "Curriculum change"

    class Becomes(models.TextChoices):
        ACTION_ITEM = "action_item", "An action-plan item"
        EARLY_REVIEW = "early_review", "A trigger for an early policy review"

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="proposals")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField(max_length=3000)
    becomes = models.CharField(max_length=15, choices=Becomes.choices)
    # Filled when the policies app has taken the proposal on (its record's id).
    linked_id = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"proposal {self.pk}"


class Alert(SchoolScoped):
    class Kind(models.TextChoices):
        NEW_CONCERN = "new", "New concern"
        ALLEGATION = "allegation", "New allegation"
        CLOCK_OVERDUE = "overdue", "Allegation clock overdue"

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="alerts")
    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "seen_at"])]

    def __str__(self) -> str:
        return f"alert {self.pk}"


class Declaration(SchoolScoped):
    """A member of staff's pre-existing relationship with a learner or their family (4.2)."""

    staff = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    relationship = models.TextField(max_length=2000)
    declared_at = models.DateTimeField(default=timezone.now)
    discussion = models.TextField(max_length=5000, blank=True)
    decision = models.TextField(max_length=3000, blank=True)
    advice = models.TextField(max_length=3000, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-declared_at"]

    def __str__(self) -> str:
        return f"declaration {self.pk}"


class RetentionDecision(SchoolScoped):
    class Action(models.TextChoices):
        DESTROY = "destroy", "Destroy now"
        KEEP = "keep", "Keep, and review again later"

    record_type = models.CharField(max_length=30)
    record_id = models.PositiveBigIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.TextField(max_length=2000)
    review_again_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.record_type} {self.record_id}"
