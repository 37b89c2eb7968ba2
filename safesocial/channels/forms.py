"""Forms for the channel pages: they validate input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone

from safesocial.channels.models import Channel, Consent, CustodyEvent, ModerationItem, Risk
from safesocial.netpolicy.selectors import service_choices
from safesocial.people.models import Person, School

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

GOVUK_CLASS = {
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "selectmultiple": "govuk-select app-select--multiple",
    "clearablefile": "govuk-file-upload",
    "file": "govuk-file-upload",
    "date": "govuk-input govuk-input--width-10",
    "datetime": "govuk-input govuk-input--width-20",
}


class GovukForm(forms.Form):
    """Gives each widget its GOV.UK Frontend class, so templates render fields with {{ field }}."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            kind = type(widget).__name__.lower().removesuffix("input").removesuffix("widget")
            if kind in ("checkbox", "radioselect"):
                continue
            widget.attrs.setdefault("class", GOVUK_CLASS.get(kind, "govuk-input"))
            if kind == "selectmultiple":
                widget.attrs.setdefault("size", "8")


def _learners(school: School) -> Any:
    today = timezone.localdate()
    return (
        Person.objects.for_school(school)
        .filter(kind=Person.Kind.LEARNER)
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=today))
    )


def _staff(school: School) -> Any:
    return Person.objects.for_school(school).filter(kind__in=Person.STAFF_KINDS)


class ChannelForm(GovukForm):
    service_id = forms.ChoiceField(label="Platform")
    account_name = forms.CharField(label="Account name", max_length=120)
    address = forms.URLField(label="Account address", max_length=300, assume_scheme="https")
    purpose = forms.CharField(label="Purpose", widget=forms.Textarea)
    objectives = forms.CharField(
        label="Educational or community-engagement objectives", widget=forms.Textarea
    )
    intended_outcomes = forms.CharField(label="Intended outcomes", widget=forms.Textarea)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_id"].choices = [("", "Choose"), *service_choices(school)]  # type: ignore[attr-defined]


class RiskForm(GovukForm):
    risk = forms.CharField(label="Risk", widget=forms.Textarea)
    likelihood = forms.TypedChoiceField(
        label="Likelihood", coerce=int, choices=[("", "Choose"), *Risk.Level.choices]
    )
    impact = forms.TypedChoiceField(
        label="Impact", coerce=int, choices=[("", "Choose"), *Risk.Level.choices]
    )
    mitigations = forms.CharField(label="Mitigations", widget=forms.Textarea)


class ApproveForm(GovukForm):
    note = forms.CharField(label="Note on the approval (optional)", required=False)


class CloseForm(GovukForm):
    reason = forms.CharField(
        label="Why is the channel being closed?",
        widget=forms.Textarea,
        max_length=2000,
        help_text="Kept on the channel's record and in the audit trail.",
        error_messages={"required": "Say why the channel is being closed."},
    )


class ManagerForm(GovukForm):
    person = forms.ModelChoiceField(label="Member of staff", queryset=Person.objects.none())

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _staff(school)  # type: ignore[attr-defined]


class CustodyForm(GovukForm):
    kind = forms.ChoiceField(label="What happened", choices=CustodyEvent.Kind.choices)
    holder = forms.ModelChoiceField(label="Person", queryset=Person.objects.none())
    from_person = forms.ModelChoiceField(
        label="Handed over by (for a handover)", queryset=Person.objects.none(), required=False
    )
    on = forms.DateField(label="Date", widget=DATE)
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=200,
        help_text="Never write the password here.",
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = _staff(school)  # type: ignore[attr-defined]
        self.fields["from_person"].queryset = _staff(school)  # type: ignore[attr-defined]


class ConnectorForm(GovukForm):
    connector = forms.ChoiceField(label="Publish to", choices=Channel.Connector.choices)
    enabled = forms.BooleanField(label="Send approved posts to the platform", required=False)
    facebook_page_id = forms.CharField(label="Facebook Page id", required=False, max_length=60)
    facebook_token = forms.CharField(
        label="Page access token",
        required=False,
        widget=forms.PasswordInput,
        help_text="Stored encrypted. Leave blank to keep the stored token.",
    )


class PostForm(GovukForm):
    text = forms.CharField(label="Text of the post", widget=forms.Textarea, max_length=5000)
    publish_at = forms.DateTimeField(
        label="Publish at (optional)",
        required=False,
        help_text="Leave blank to publish as soon as it is approved.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class ImageForm(GovukForm):
    image = forms.FileField(label="Image (PNG or JPEG)")
    description = forms.CharField(label="Describe the image (alt text)", max_length=300)
    learners = forms.ModelMultipleChoiceField(
        label="Learners pictured", queryset=Person.objects.none(), required=False
    )
    no_learners = forms.BooleanField(label="No learners are pictured", required=False)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["learners"].queryset = _learners(school)  # type: ignore[attr-defined]


class ReviewForm(GovukForm):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("approve", "Approve"), ("return", "Send back to the author")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Note to the author", required=False, widget=forms.Textarea)


class ConsentForm(GovukForm):
    learner = forms.ModelChoiceField(label="Learner", queryset=Person.objects.none())
    purpose = forms.ChoiceField(label="Purpose", choices=[("", "Choose"), *Consent.Purpose.choices])
    given_by = forms.ModelChoiceField(
        label="Given by (parent or carer)", queryset=Person.objects.none()
    )
    evidence = forms.ChoiceField(
        label="Written evidence", choices=[("", "Choose"), *Consent.Evidence.choices]
    )
    upload = forms.FileField(label="Signed form (PDF, PNG or JPEG)", required=False)
    form_reference = forms.CharField(
        label="Reference of the signed paper form", required=False, max_length=100
    )
    given_on = forms.DateField(label="Date given", widget=DATE)
    expires_on = forms.DateField(
        label="Expires on (optional)",
        required=False,
        widget=DATE,
        help_text="Leave blank for the end of the academic year (31 August).",
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = _learners(school)  # type: ignore[attr-defined]
        self.fields["given_by"].queryset = Person.objects.for_school(school).filter(  # type: ignore[attr-defined]
            kind=Person.Kind.PARENT
        )


class WithdrawForm(GovukForm):
    on = forms.DateField(label="Withdrawn on", widget=DATE)
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)


class TakeDownForm(GovukForm):
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)


class ModerationForm(GovukForm):
    channel = forms.ModelChoiceField(label="Channel", queryset=Channel.objects.none())
    kind = forms.ChoiceField(label="What was it", choices=ModerationItem.Kind.choices)
    received_on = forms.DateField(label="Date received", widget=DATE)
    summary = forms.CharField(label="Summary", widget=forms.Textarea)
    learners = forms.ModelMultipleChoiceField(
        label="Learners involved", queryset=Person.objects.none(), required=False
    )
    action = forms.ChoiceField(label="Action taken", choices=ModerationItem.Action.choices)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.for_school(school)  # type: ignore[attr-defined]
        self.fields["learners"].queryset = _learners(school)  # type: ignore[attr-defined]


class LearnerAccountForm(GovukForm):
    learner = forms.ModelChoiceField(label="Learner", queryset=Person.objects.none())
    service_id = forms.ChoiceField(label="Service")
    purpose = forms.CharField(label="What the account is for", max_length=200)
    created_on = forms.DateField(label="Date created", widget=DATE)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = _learners(school)  # type: ignore[attr-defined]
        self.fields["service_id"].choices = [("", "Choose"), *service_choices(school)]  # type: ignore[attr-defined]
