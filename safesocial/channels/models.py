"""Official channels (clause 5): the register, risk assessments, login custody, posts and their
checks, image consent, take-down tasks, moderation, and school-created learner accounts (6)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from safesocial.people.models import Person, SchoolScoped

APPROVAL_VALID_DAYS = 365


class Channel(SchoolScoped):
    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting", "Awaiting the headteacher's approval"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    class Connector(models.TextChoices):
        NEWS_PAGE = "news_page", "School news page only"
        FACEBOOK_PAGE = "facebook_page", "Facebook Page (and the school news page)"

    service_id = models.CharField("platform", max_length=60)
    account_name = models.CharField(max_length=120)
    address = models.URLField("account address", max_length=300)
    purpose = models.TextField()
    objectives = models.TextField(
        "educational or community-engagement objectives",
    )
    intended_outcomes = models.TextField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.AWAITING_APPROVAL
    )
    approved_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_on = models.DateField(null=True, blank=True)
    approval_note = models.TextField(blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closure_reason = models.TextField("reason for closing", blank=True)
    connector = models.CharField(
        max_length=20, choices=Connector.choices, default=Connector.NEWS_PAGE
    )
    connector_enabled = models.BooleanField(default=False)
    facebook_page_id = models.CharField(max_length=60, blank=True)
    facebook_token_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "service_id", "account_name"], name="channel_unique_account"
            )
        ]

    def __str__(self) -> str:
        return self.account_name

    @property
    def reapproval_due_on(self) -> dt.date | None:
        if self.approved_on is None:
            return None
        return self.approved_on + dt.timedelta(days=APPROVAL_VALID_DAYS)

    def is_active(self, on: dt.date) -> bool:
        due = self.reapproval_due_on
        return self.status == self.Status.ACTIVE and due is not None and on <= due


class Risk(SchoolScoped):
    class Level(models.IntegerChoices):
        LOW = 1, "Low"
        MEDIUM = 2, "Medium"
        HIGH = 3, "High"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="risks")
    risk = models.TextField("the risk")
    likelihood = models.PositiveSmallIntegerField(choices=Level.choices)
    impact = models.PositiveSmallIntegerField(choices=Level.choices)
    mitigations = models.TextField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.risk[:60]

    @property
    def rating(self) -> int:
        return self.likelihood * self.impact


class ChannelManager(SchoolScoped):
    """A member of staff who runs a channel (drafts posts, moderates)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="managers")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["starts_on"]

    def __str__(self) -> str:
        return f"{self.person} manages {self.channel}"


class CustodyEvent(SchoolScoped):
    """Who holds a channel's login details, and when they changed hands. Never the password."""

    class Kind(models.TextChoices):
        ISSUED = "issued", "Login details given to"
        HANDOVER = "handover", "Handed over to"
        RETURNED = "returned", "Given back by"
        ROTATED = "rotated", "Password changed by"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="custody")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    holder = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    from_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.holder}"


class Post(SchoolScoped):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "Awaiting review by a colleague"
        APPROVED = "approved", "Approved, not yet published"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"
        TAKEN_DOWN = "taken_down", "Taken down"

    class External(models.TextChoices):
        NONE = "", "Not sent"
        PENDING = "pending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=5000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    findings = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    taken_down_at = models.DateTimeField(null=True, blank=True)
    external_status = models.CharField(
        max_length=10, choices=External.choices, default=External.NONE, blank=True
    )
    external_id = models.CharField(max_length=120, blank=True)
    external_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return f"Post {self.pk} on {self.channel}"

    @property
    def blocking(self) -> list[dict[str, str]]:
        return [f for f in self.findings if f.get("severity") == "block"]

    @property
    def warnings(self) -> list[dict[str, str]]:
        return [f for f in self.findings if f.get("severity") == "warn"]


class PostImage(SchoolScoped):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    stored_name = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    description = models.CharField("image description (alt text)", max_length=300)
    learners = models.ManyToManyField(Person, blank=True, related_name="+")
    no_learners = models.BooleanField("no learners are pictured", default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class Consent(SchoolScoped):
    """A parent's or carer's written consent to use a learner's image for one purpose."""

    class Purpose(models.TextChoices):
        WEBSITE = "website", "School website and news page"
        SOCIAL_MEDIA = "social_media", "Official social media"
        PRESS = "press", "Press and media"
        DISPLAYS = "displays", "Displays in school"

    class Evidence(models.TextChoices):
        UPLOAD = "upload", "Scanned or photographed form (uploaded)"
        SIGNED_FORM = "signed_form", "Signed paper form kept on file"

    learner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=15, choices=Purpose.choices)
    given_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    evidence = models.CharField(max_length=12, choices=Evidence.choices)
    evidence_file = models.CharField(max_length=64, blank=True)
    evidence_file_name = models.CharField(max_length=200, blank=True)
    form_reference = models.CharField("signed form reference", max_length=100, blank=True)
    given_on = models.DateField()
    expires_on = models.DateField()
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawn_note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-given_on", "pk"]
        indexes = [models.Index(fields=["school", "learner", "purpose"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=models.F("given_on")), name="consent_expires_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} consent for {self.learner}"

    def in_force(self, on: dt.date) -> bool:
        return self.given_on <= on <= self.expires_on and (
            self.withdrawn_on is None or self.withdrawn_on > on
        )


class TakeDownTask(SchoolScoped):
    """A published post that must come down from its channel (consent withdrawn)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="take_downs")
    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="take_downs")
    opened_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["done_at", "-opened_at"]

    def __str__(self) -> str:
        return f"Take down post {self.post_id}"


class ModerationItem(SchoolScoped):
    """A comment or message on an official channel, logged for moderation."""

    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        MESSAGE = "message", "Direct message"
        MENTION = "mention", "Mention or tag"

    class Action(models.TextChoices):
        NONE = "none", "No action needed"
        HIDDEN = "hidden", "Hidden"
        DELETED = "deleted", "Deleted"
        REPORTED = "reported", "Reported as a concern"
        REFERRED = "referred", "Passed to the DSL"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="moderation")
    post = models.ForeignKey(
        Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="moderation"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    received_on = models.DateField()
    summary = models.TextField()
    learners = models.ManyToManyField(Person, blank=True, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    logged_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.channel}"


class LearnerAccount(SchoolScoped):
    """An account the school created for a learner on a service (clause 6)."""

    learner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    service_id = models.CharField("service", max_length=60)
    purpose = models.CharField(max_length=200)
    created_on = models.DateField()
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    age_on_creation = models.PositiveSmallIntegerField()
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_on"]

    def __str__(self) -> str:
        return f"{self.service_id} account for {self.learner}"
