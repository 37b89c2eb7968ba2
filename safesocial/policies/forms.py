"""Forms validate input only; services act."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone

from safesocial.people.models import Person, School
from safesocial.policies.models import (
    ActionItem,
    CopyRequest,
    FormalReview,
    ReviewTrigger,
    pack_period_problems,
)
from safesocial.policies.models import TrainingRecord as TrainingModel
from safesocial.policies.selectors import acknowledgement_people
from safesocial.policies.structure import parse_policy

MAX_POLICY_CHARS = 200_000


def _current_people(school: School) -> Any:
    today = timezone.localdate()
    return Person.objects.for_school(school).filter(
        Q(leaving_date__isnull=True) | Q(leaving_date__gt=today)
    )


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.get_kind_display()})"


class PolicyForm(forms.Form):
    title = forms.CharField(max_length=200)
    number = forms.CharField(label="Policy number", max_length=30, required=False)
    owner = PersonChoice(queryset=Person.objects.none(), required=False, label="Owner")
    review_cycle_months = forms.IntegerField(
        label="Review every (months, at most 12)", min_value=1, max_value=12
    )
    is_public = forms.BooleanField(label="Publish on the school's public page", required=False)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = _current_people(school).filter(
            kind__in=[*Person.STAFF_KINDS, Person.Kind.TRUSTEE]
        )


class VersionForm(forms.Form):
    body = forms.CharField(
        label="Policy text (Markdown with numbered sections and clauses)",
        widget=forms.Textarea(attrs={"rows": 30, "class": "govuk-textarea"}),
        max_length=MAX_POLICY_CHARS,
    )
    change_note = forms.CharField(label="What changed", max_length=300, required=False)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].replace("\r\n", "\n")
        problems = parse_policy(body).problems
        if problems:
            raise forms.ValidationError([str(problem) for problem in problems])
        return body


class TriggerForm(forms.Form):
    kind = forms.ChoiceField(label="What changed", choices=ReviewTrigger.Kind.choices)
    description = forms.CharField(
        label="Describe the change", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    occurred_on = forms.DateField(label="Date of the change (YYYY-MM-DD)")
    review_by = forms.DateField(label="Review by (YYYY-MM-DD, optional)", required=False)


class ReviewForm(forms.Form):
    held_on = forms.DateField(label="Date of the review meeting (YYYY-MM-DD)")
    trustees_present = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        label="Trustees present",
        widget=forms.CheckboxSelectMultiple,
    )
    discussion = forms.CharField(
        label="The discussion, in writing",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
    )
    outcome = forms.ChoiceField(choices=FormalReview.Outcome.choices, label="Outcome")
    deficiencies = forms.CharField(
        label="Deficiencies found (one a line; each becomes an action)",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=10000,
    )
    action_owner = PersonChoice(
        queryset=Person.objects.none(), required=False, label="Owner of the actions"
    )
    action_due_on = forms.DateField(label="Actions due by (YYYY-MM-DD)", required=False)
    pack_from = forms.DateField(
        label="Annual review pack attached: first day of its period (YYYY-MM-DD, optional)",
        required=False,
    )
    pack_to = forms.DateField(
        label="Annual review pack attached: last day of its period (YYYY-MM-DD, optional)",
        required=False,
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        trustees = self.fields["trustees_present"]
        owner = self.fields["action_owner"]
        assert isinstance(trustees, forms.ModelMultipleChoiceField)
        assert isinstance(owner, forms.ModelChoiceField)
        trustees.queryset = _current_people(school).filter(kind=Person.Kind.TRUSTEE)
        owner.queryset = _current_people(school).filter(kind__in=Person.STAFF_KINDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lines = [line for line in (data.get("deficiencies") or "").splitlines() if line.strip()]
        data["deficiency_lines"] = lines
        if lines and not data.get("action_owner"):
            self.add_error("action_owner", "Choose who owns the actions for the deficiencies.")
        if lines and not data.get("action_due_on"):
            self.add_error("action_due_on", "Give the date the actions are due by.")
        held_on = data.get("held_on")
        if isinstance(held_on, dt.date) and held_on > timezone.localdate():
            self.add_error("held_on", "The review date cannot be in the future.")
        if not self.has_error("pack_from") and not self.has_error("pack_to"):
            problems = pack_period_problems(data.get("pack_from"), data.get("pack_to"))
            for field, problem in problems.items():
                self.add_error(field, problem)
        return data


class ActionItemForm(forms.Form):
    owner = PersonChoice(queryset=Person.objects.none(), label="Owner")
    due_on = forms.DateField(label="Due by (YYYY-MM-DD)")
    status = forms.ChoiceField(choices=ActionItem.Status.choices, label="Status")
    evidence = forms.CharField(
        label="Evidence of completion",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=10000,
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = _current_people(school).filter(
            kind__in=[*Person.STAFF_KINDS, Person.Kind.TRUSTEE]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("status") == ActionItem.Status.DONE
            and not (data.get("evidence") or "").strip()
        ):
            self.add_error("evidence", "Describe the evidence that the action is done.")
        return data


class AcknowledgeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label="I have read this version of the policy and I accept it",
        error_messages={"required": "Tick the box to say you have read and accept the policy."},
    )


class TrainingForm(forms.Form):
    person = PersonChoice(queryset=Person.objects.none(), label="Member of staff or volunteer")
    kind = forms.ChoiceField(choices=TrainingModel.Kind.choices, label="Training")
    completed_on = forms.DateField(label="Date completed (YYYY-MM-DD)")
    expires_on = forms.DateField(
        label="Expires on (YYYY-MM-DD, optional: 12 months if left empty)", required=False
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.fields["person"]
        assert isinstance(person, forms.ModelChoiceField)
        person.queryset = acknowledgement_people(school)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        completed, expires = data.get("completed_on"), data.get("expires_on")
        if isinstance(completed, dt.date) and completed > timezone.localdate():
            self.add_error("completed_on", "The training date cannot be in the future.")
        if isinstance(completed, dt.date) and isinstance(expires, dt.date) and expires <= completed:
            self.add_error("expires_on", "The expiry date must be after the training date.")
        return data


class CopyRequestForm(forms.Form):
    format = forms.ChoiceField(
        choices=CopyRequest.Format.choices,
        label="Which format would help you?",
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label="Anything else we should know (for example, which language)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    name = forms.CharField(label="Your name", max_length=200)
    contact = forms.CharField(label="Email address, phone number or postal address", max_length=254)
