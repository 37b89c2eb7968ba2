"""Forms for reporting and for the case page. They validate input; services act."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from safesocial.concerns import files
from safesocial.concerns.categories import RULES, Category
from safesocial.concerns.models import (
    Concern,
    Involvement,
    Measure,
    ParentCommunication,
    Proposal,
    Referral,
    RetentionDecision,
)
from safesocial.people.models import Person, School

TEXT = {"class": "govuk-textarea", "rows": 5}
INPUT = {"class": "govuk-input"}
SELECT = {"class": "govuk-select"}
DATE = {"class": "govuk-input govuk-input--width-10", "type": "date"}
DATETIME = {"class": "govuk-input govuk-input--width-20", "type": "datetime-local"}


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(
            attrs={"class": "govuk-input govuk-input--width-20"}, format="%Y-%m-%dT%H:%M"
        )


def _category_choices(public: bool) -> list[tuple[str, str]]:
    return [(code, label) for code, label in Category.choices if RULES[code].public or not public]


def _person_label(person: Person) -> str:
    return f"{person.full_name} ({person.get_kind_display()})"


def people_choice(
    queryset: QuerySet[Person], label: str, *, required: bool = False
) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        queryset=queryset,
        required=required,
        label=label,
        empty_label="Choose",
        widget=forms.Select(attrs=SELECT),
    )
    field.label_from_instance = _person_label  # type: ignore[method-assign,assignment]
    return field


class AttachmentMixin(forms.Form):
    attachment = forms.FileField(
        required=False,
        label="Attach a file (optional)",
        widget=forms.ClearableFileInput(attrs={"class": "govuk-file-upload"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachment"].help_text = files.help_text()

    def clean_attachment(self) -> files.CheckedFile | None:
        upload = self.cleaned_data.get("attachment")
        if not upload:
            return None
        try:
            return files.check_upload(upload)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["attachment"]) from None


class PublicReportForm(AttachmentMixin):
    ABOUT_HEAD = [("no", "No"), ("yes", "Yes"), ("unsure", "I am not sure")]
    REPORTER_KINDS = [
        (Concern.ReporterKind.LEARNER, "I am a learner at the school"),
        (Concern.ReporterKind.PARENT, "I am a parent or carer"),
        (Concern.ReporterKind.OTHER, "Someone else"),
        (Concern.ReporterKind.ANONYMOUS, "I want to stay anonymous"),
    ]

    category = forms.ChoiceField(
        label="What is it about?",
        choices=[("", "Choose"), *_category_choices(public=True)],
        widget=forms.Select(attrs=SELECT),
    )
    what = forms.CharField(
        label="What happened?",
        help_text="Say what you saw or heard. You do not need to have proof.",
        max_length=10000,
        widget=forms.Textarea(attrs=TEXT),
    )
    occurred_on = forms.DateField(
        label="When did it happen? (optional)", required=False, widget=forms.DateInput(attrs=DATE)
    )
    where = forms.CharField(
        label="Where did it happen? (optional)",
        help_text="For example the name of the app, game or website.",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=INPUT),
    )
    subject_name = forms.CharField(
        label="If it is about an adult at the school, who? (optional)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=INPUT),
    )
    about_headteacher = forms.ChoiceField(
        label="Is it about the headteacher?",
        choices=ABOUT_HEAD,
        initial="no",
        widget=forms.RadioSelect,
    )
    reporter_kind = forms.ChoiceField(
        label="Who are you?", choices=REPORTER_KINDS, widget=forms.RadioSelect
    )
    reporter_name = forms.CharField(
        label="Your name (optional)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={**INPUT, "autocomplete": "name"}),
    )
    reporter_contact = forms.CharField(
        label="How can we contact you? (optional)",
        help_text="An email address or phone number, if you want us to get back to you.",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=INPUT),
    )
    # Spam resistance: a field people never see or fill, and a signed, time-stamped token.
    website = forms.CharField(required=False, max_length=200)
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reporter_kind") == Concern.ReporterKind.ANONYMOUS:
            data["reporter_name"] = ""
            data["reporter_contact"] = ""
        if data.get("category") == Category.ALLEGATION and not data.get("subject_name"):
            self.add_error("subject_name", "Say which adult at the school this is about.")
        return data


class StaffReportForm(AttachmentMixin):
    category = forms.ChoiceField(
        label="What is it about?",
        choices=[("", "Choose"), *_category_choices(public=False)],
        widget=forms.Select(attrs=SELECT),
    )
    what = forms.CharField(
        label="What happened?", max_length=10000, widget=forms.Textarea(attrs=TEXT)
    )
    occurred_on = forms.DateField(
        label="When did it happen? (optional)", required=False, widget=forms.DateInput(attrs=DATE)
    )
    where = forms.CharField(
        label="Where did it happen? (optional)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=INPUT),
    )
    self_report = forms.BooleanField(
        label="This is about my own content or account (a self-report)", required=False
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = Person.objects.for_school(school)
        self.fields["learner"] = people_choice(
            people.filter(kind=Person.Kind.LEARNER), "Learner affected (optional)"
        )
        self.fields["subject_staff"] = people_choice(
            people.filter(kind__in=[*Person.STAFF_KINDS, Person.Kind.VOLUNTEER]),
            "For an allegation: which member of staff is it about?",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("category") == Category.ALLEGATION and not data.get("subject_staff"):
            self.add_error("subject_staff", "Choose the member of staff this is about.")
        return data


class InvolvementForm(forms.Form):
    part = forms.ChoiceField(
        label="Part", choices=Involvement.Part.choices, widget=forms.Select(attrs=SELECT)
    )
    name = forms.CharField(
        label="Name, if not on the school's records",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=INPUT),
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"] = people_choice(Person.objects.for_school(school), "Person")
        self.order_fields(["person", "name", "part"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("person") and not data.get("name"):
            self.add_error("person", "Choose a person or write a name.")
        return data


class ChronologyForm(forms.Form):
    happened_at = forms.DateTimeField(label="When", widget=DateTimeLocal())
    text = forms.CharField(
        label="What was done", max_length=5000, widget=forms.Textarea(attrs=TEXT)
    )
    backdate_reason = forms.CharField(
        label="If this is recorded later than it happened, why?",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs=INPUT),
    )


class DecisionForm(forms.Form):
    decision = forms.CharField(label="Decision", max_length=3000, widget=forms.Textarea(attrs=TEXT))
    reasons = forms.CharField(label="Reasons", max_length=5000, widget=forms.Textarea(attrs=TEXT))
    outcome = forms.ChoiceField(
        label="Outcome (optional)",
        choices=Concern.Outcome.choices,
        required=False,
        widget=forms.Select(attrs=SELECT),
    )


class ReferralForm(forms.Form):
    agency = forms.ChoiceField(
        label="Agency", choices=Referral.Agency.choices, widget=forms.Select(attrs=SELECT)
    )
    agency_name = forms.CharField(
        label="Agency name (for another agency)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=INPUT),
    )
    contacted_on = forms.DateField(label="Date of contact", widget=forms.DateInput(attrs=DATE))
    agency_reference = forms.CharField(
        label="Their reference (optional)",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs=INPUT),
    )
    advice = forms.CharField(
        label="Advice given", required=False, max_length=5000, widget=forms.Textarea(attrs=TEXT)
    )


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind", choices=Measure.Kind.choices, widget=forms.Select(attrs=SELECT)
    )
    starts_at = forms.DateTimeField(label="Starts", widget=DateTimeLocal())
    ends_at = forms.DateTimeField(
        label="Ends (needed for removal of internet access)", required=False, widget=DateTimeLocal()
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs=TEXT)
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"] = people_choice(
            Person.objects.for_school(school), "For", required=True
        )
        self.order_fields(["person", "kind", "starts_at", "ends_at", "notes"])


class ParentCommunicationForm(forms.Form):
    informed = forms.TypedChoiceField(
        label="Were parents or carers told?",
        choices=[("yes", "Yes"), ("no", "No, and here is why")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    informed_at = forms.DateTimeField(
        label="When (if told)", required=False, widget=DateTimeLocal()
    )
    method = forms.ChoiceField(
        label="How (if told)",
        choices=ParentCommunication.Method.choices,
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    reason_not_informed = forms.CharField(
        label="Reason for not telling them (if not told)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs=TEXT),
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label="Evidence file",
        widget=forms.ClearableFileInput(attrs={"class": "govuk-file-upload"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = files.help_text()

    def clean_file(self) -> files.CheckedFile:
        try:
            return files.check_upload(self.cleaned_data["file"], field="file")
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["file"]) from None


class CaseMemberForm(forms.Form):
    """Add someone to an allegation's case; the service says who can be (the help text too)."""

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adults = Person.objects.for_school(school).filter(
            kind__in=[*Person.STAFF_KINDS, Person.Kind.TRUSTEE]
        )
        self.fields["person"] = people_choice(adults, "Person", required=True)


class CloseForm(forms.Form):
    what_happened = forms.CharField(
        label="Debrief: what happened", max_length=5000, widget=forms.Textarea(attrs=TEXT)
    )
    lessons = forms.CharField(
        label="Lessons learnt", max_length=5000, widget=forms.Textarea(attrs=TEXT)
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=Concern.Outcome.choices,
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    proposal_kind = forms.ChoiceField(
        label="Proposed change (optional): kind",
        choices=[("", "None"), *Proposal.Kind.choices],
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    proposal_text = forms.CharField(
        label="Proposed change", required=False, max_length=3000, widget=forms.Textarea(attrs=TEXT)
    )
    proposal_becomes = forms.ChoiceField(
        label="The proposal becomes",
        choices=Proposal.Becomes.choices,
        required=False,
        widget=forms.Select(attrs=SELECT),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("proposal_kind") and not data.get("proposal_text"):
            self.add_error("proposal_text", "Describe the proposed change.")
        if data.get("proposal_text") and not data.get("proposal_kind"):
            self.add_error("proposal_kind", "Say whether it changes policy or curriculum.")
        return data


class DeclarationForm(forms.Form):
    relationship = forms.CharField(
        label="The relationship or situation",
        help_text="For example: a relative, a neighbour, a family friend from before you joined.",
        max_length=2000,
        widget=forms.Textarea(attrs=TEXT),
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["learner"] = people_choice(
            Person.objects.for_school(school).filter(kind=Person.Kind.LEARNER),
            "Learner (or the learner whose family it is)",
            required=True,
        )
        self.order_fields(["learner", "relationship"])


class DeclarationDecisionForm(forms.Form):
    discussion = forms.CharField(
        label="Discussion", max_length=5000, widget=forms.Textarea(attrs=TEXT)
    )
    decision = forms.CharField(label="Decision", max_length=3000, widget=forms.Textarea(attrs=TEXT))
    advice = forms.CharField(
        label="Advice given", required=False, max_length=3000, widget=forms.Textarea(attrs=TEXT)
    )
    review_on = forms.DateField(label="Review date", widget=forms.DateInput(attrs=DATE))


class RetentionForm(forms.Form):
    record_type = forms.CharField(widget=forms.HiddenInput)
    record_id = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(
        label="Decision", choices=RetentionDecision.Action.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs=TEXT))
    review_again_on = forms.DateField(
        label="Review again on (if kept)", required=False, widget=forms.DateInput(attrs=DATE)
    )


def public_category_choices() -> list[tuple[str, str]]:
    """The categories a learner or parent may choose on the public form."""
    return _category_choices(public=True)
