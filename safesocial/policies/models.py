"""The school's policies: register, versions and sign-off, reviews and the action plan,
acknowledgements, training records, requests for copies, and notices (F1-F4, 2, 4, 7)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from safesocial.people.models import Person, SchoolScoped


class PolicyKind(models.TextChoices):
    SOCIAL_MEDIA = "social_media", "Social media policy"
    ANTI_BULLYING = "anti_bullying", "Anti-bullying policy"
    ACCEPTABLE_USE = "acceptable_use", "Acceptable use policy"
    BEHAVIOUR = "behaviour", "Behaviour policy"
    CHILD_PROTECTION = "child_protection", "Child protection policy"
    CODE_OF_CONDUCT = "code_of_conduct", "Staff code of conduct"
    CONFIDENTIALITY = "confidentiality", "Confidentiality policy"
    CURRICULUM = "curriculum", "Curriculum policy (PSHE, citizenship, RSE)"
    DATA_SECURITY = "data_security", "Data security policy"
    MOBILE_TECHNOLOGY = "mobile_technology", "Mobile and smart technology policy"
    ONLINE_SAFETY = "online_safety", "Online safety policy"
    REMOTE_LEARNING = "remote_learning", "Remote learning policy"
    IMAGE_USE = "image_use", "Image use policy"
    COMPLAINTS = "complaints", "Complaints procedure"
    WHISTLEBLOWING = "whistleblowing", "Whistleblowing procedure"
    ALLEGATIONS = "allegations", "Allegations against staff procedure"


# Staff and volunteers read and accept the current version of these (clause 4).
ACKNOWLEDGED_KINDS: tuple[str, ...] = (
    PolicyKind.CODE_OF_CONDUCT,
    PolicyKind.ACCEPTABLE_USE,
    PolicyKind.SOCIAL_MEDIA,
)


class Policy(SchoolScoped):
    """One entry of the school's policy register."""

    kind = models.CharField(max_length=30, choices=PolicyKind.choices)
    slug = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    number = models.CharField("policy number", max_length=30, blank=True)
    owner = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_cycle_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    is_public = models.BooleanField("published on the public page", default=True)
    current_version = models.ForeignKey(
        "PolicyVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_reviewed_on = models.DateField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["school", "slug"], name="policy_unique_slug"),
            models.UniqueConstraint(fields=["school", "kind"], name="policy_one_per_kind"),
        ]

    def __str__(self) -> str:
        return self.title


class PolicyVersion(SchoolScoped):
    """The text of a policy at one version: Markdown with numbered sections and clauses.

    A draft may change; once both sign-offs are in it is approved and never changes again.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    body = models.TextField()
    change_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    reviewed_on = models.DateField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} version {self.number}"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    def clean(self) -> None:
        from safesocial.policies.structure import parse_policy

        problems = parse_policy(self.body).problems
        if problems:
            raise ValidationError({"body": [str(problem) for problem in problems]})


class SignOffRole(models.TextChoices):
    HEADTEACHER = "headteacher", "Headteacher"
    CHAIR = "chair", "Chair of trustees"


class SignOff(SchoolScoped):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="sign_offs")
    role = models.CharField(max_length=20, choices=SignOffRole.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "role"], name="sign_off_one_per_role"),
            models.UniqueConstraint(fields=["version", "person"], name="sign_off_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} sign-off of {self.version}"


class ReviewTrigger(SchoolScoped):
    """A reason to review before the due date (F3, 7): each brings the due date forward."""

    class Kind(models.TextChoices):
        LEGISLATION = "legislation", "Change in legislation"
        REGULATION = "regulation", "Change in regulatory requirements"
        BEST_PRACTICE = "best_practice", "Change in best-practice guidance"
        SYSTEMS = "systems", "Significant change to systems or arrangements"
        LOCAL_CONCERN = "local_concern", "Local concern"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="triggers")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField()
    occurred_on = models.DateField()
    # The review date before the trigger and the (earlier) one it set.
    due_before = models.DateField(null=True, blank=True)
    due_after = models.DateField()
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    logged_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.occurred_on:%Y-%m-%d})"


# The longest period of an annual review pack (as the pack's own form, safesocial.reviews.forms).
PACK_MAX_DAYS = 2 * 366


def pack_period_problems(pack_from: dt.date | None, pack_to: dt.date | None) -> dict[str, str]:
    """What is wrong with a review pack's period, by field: both days or neither, in order,
    at most two years."""
    if pack_from is None and pack_to is None:
        return {}
    if pack_to is None:
        return {"pack_to": "Give the last day of the review pack's period too."}
    if pack_from is None:
        return {"pack_from": "Give the first day of the review pack's period too."}
    if pack_to < pack_from:
        return {"pack_to": "The pack's last day must be on or after its first day."}
    if (pack_to - pack_from).days >= PACK_MAX_DAYS:
        return {"pack_to": "The review pack's period can be at most two years."}
    return {}


class FormalReview(SchoolScoped):
    """The trustees' formal review, recorded in writing (F3)."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", "Policy confirmed without change"
        REVISE = "revise", "Policy to be revised"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="reviews")
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    held_on = models.DateField()
    trustees_present = models.ManyToManyField(Person, related_name="+")
    discussion = models.TextField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    # The annual review pack (safesocial.reviews) attached to the record: its period, or none.
    pack_from = models.DateField("review pack from", null=True, blank=True)
    pack_to = models.DateField("review pack to", null=True, blank=True)

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"Review of {self.policy} on {self.held_on:%Y-%m-%d}"

    def clean(self) -> None:
        problems = pack_period_problems(self.pack_from, self.pack_to)
        if problems:
            raise ValidationError(problems)


class ActionItem(SchoolScoped):
    """One line of the school's action plan: from a review, a concern, monitoring or elsewhere."""

    class Source(models.TextChoices):
        REVIEW = "review", "Formal review"
        CONCERN = "concern", "Concern or breach"
        MONITORING = "monitoring", "Monitoring"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    title = models.CharField(max_length=300)
    source = models.CharField(max_length=20, choices=Source.choices)
    # An id in the source app ("concern 12"), never its content.
    source_reference = models.CharField(max_length=100, blank=True)
    review = models.ForeignKey(
        FormalReview, on_delete=models.PROTECT, null=True, blank=True, related_name="deficiencies"
    )
    policy = models.ForeignKey(
        Policy, on_delete=models.SET_NULL, null=True, blank=True, related_name="action_items"
    )
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    evidence = models.TextField("evidence of completion", blank=True)
    completed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | (Q(completed_on__isnull=False) & ~Q(evidence="")),
                name="action_item_done_has_evidence",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Acknowledgement(SchoolScoped):
    """A member of staff or volunteer read and accepted one version of a policy (clause 4)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    accepted_at = models.DateTimeField()

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["person", "version"], name="acknowledgement_once"),
        ]

    def __str__(self) -> str:
        return f"acknowledgement {self.pk}"


class TrainingRecord(SchoolScoped):
    """Induction or refresher on safe and professional social media use (clause 4)."""

    class Kind(models.TextChoices):
        INDUCTION = "induction", "Induction"
        REFRESHER = "refresher", "Refresher"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    completed_on = models.DateField()
    expires_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-completed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("completed_on")),
                name="training_expires_after_completion",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.completed_on:%Y-%m-%d}"


class CopyRequest(SchoolScoped):
    """A request from the public for a policy in another format (F1), for the school office."""

    class Format(models.TextChoices):
        LARGE_PRINT = "large_print", "Large print on paper"
        PAPER = "paper", "Standard print on paper"
        BRAILLE = "braille", "Braille"
        AUDIO = "audio", "Audio"
        EASY_READ = "easy_read", "Easy read"
        LANGUAGE = "language", "Another language"
        OTHER = "other", "Something else"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="copy_requests")
    format = models.CharField(max_length=20, choices=Format.choices)
    name = models.CharField(max_length=200)
    contact = models.CharField("how to reach you", max_length=254)
    details = models.TextField(blank=True)
    created_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A keyed hash of the sender's address, to limit requests per address; never the address.
    source_hash = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["handled_at", "-created_at"]

    def __str__(self) -> str:
        return f"copy request {self.pk}"


class Notice(SchoolScoped):
    """A dashboard notice for one person; `key` makes each reminder happen once."""

    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    message = models.CharField(max_length=300)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notice_once_per_key"),
        ]

    def __str__(self) -> str:
        return f"notice {self.pk}"
