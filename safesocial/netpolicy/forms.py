"""Forms of the network pages: they validate field by field; the services act."""

from __future__ import annotations

import ipaddress
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from safesocial.netpolicy.catalogue import project_catalogue, valid_domain
from safesocial.netpolicy.models import Clause, Group, Rule, Segment, normalise_address
from safesocial.netpolicy.selectors import category_choices, network_people, service_choices
from safesocial.people.models import Person, School


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.network_username})"


class RuleForm(forms.Form):
    action = forms.ChoiceField(label="Allow or block", choices=Rule.Action.choices)
    when = forms.ChoiceField(label="When", choices=Rule.When.choices)
    groups = forms.MultipleChoiceField(
        label="Groups", choices=Group.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    people = PersonChoiceField(
        label="Individual people",
        queryset=Person.objects.none(),
        required=False,
        help_text="Only people with a network username are listed.",
    )
    segments = forms.ModelMultipleChoiceField(
        label="On these parts of the network",
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for the whole network.",
    )
    services = forms.MultipleChoiceField(
        label="Services", choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    categories = forms.MultipleChoiceField(
        label="Categories of service",
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave services and categories empty for every website.",
    )
    clause = forms.ChoiceField(label="Policy clause behind the rule", choices=Clause.choices)
    reason = forms.CharField(
        label="Reason shown on the block page",
        max_length=200,
        help_text="Plain words a learner or colleague will understand.",
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people_field: Any = self.fields["people"]
        people_field.queryset = network_people(school)
        segments_field: Any = self.fields["segments"]
        segments_field.queryset = Segment.objects.for_school(school)
        services_field: Any = self.fields["services"]
        services_field.choices = service_choices(school)
        categories_field: Any = self.fields["categories"]
        categories_field.choices = category_choices(school)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("action") == Rule.Action.DENY
            and not data.get("services")
            and not data.get("categories")
            and not data.get("groups")
            and not data.get("people")
            and not data.get("segments")
        ):
            raise ValidationError(
                "A rule that blocks every website for everyone would stop the whole network. "
                "Choose who, where, or which services it is about."
            )
        return data


def _cidr_lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValidationError("Enter at least one address range.")
    for number, line in enumerate(lines, start=1):
        try:
            ipaddress.ip_network(line, strict=True)
        except ValueError:
            raise ValidationError(
                f"Line {number}: {line} is not an address range such as 10.20.0.0/16."
            ) from None
    return lines


class SegmentForm(forms.Form):
    label = forms.CharField(label="Name", max_length=120)
    name = forms.SlugField(
        label="Short name",
        max_length=60,
        help_text="Lower-case letters, digits and dashes; used in the DNS zones.",
    )
    kind = forms.ChoiceField(label="Devices on it", choices=Segment.Kind.choices)
    cidrs = forms.CharField(
        label="Address ranges", widget=forms.Textarea(attrs={"rows": 3}), help_text="One a line."
    )
    expected_groups = forms.MultipleChoiceField(
        label="Who is normally on it",
        choices=Group.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_cidrs(self) -> list[str]:
        return _cidr_lines(self.cleaned_data["cidrs"])


class NetworkPersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.network_username})"


class AddressForm(forms.Form):
    address = forms.CharField(
        label="Address or range",
        max_length=50,
        help_text="An IPv4 or IPv6 address such as 10.20.1.7, or a range such as 10.20.4.0/24.",
    )
    person = NetworkPersonField(
        label="Person",
        queryset=Person.objects.none(),
        required=False,
        help_text="Current learners, staff and volunteers with a network username.",
    )
    device = forms.CharField(
        label="Or a school device",
        max_length=120,
        required=False,
        help_text="A name for a device nobody signs in on, such as Library kiosk 2.",
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=200,
        required=False,
        help_text="For example where the DHCP reservation is kept.",
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person_field: Any = self.fields["person"]
        person_field.queryset = network_people(school)
        person_field.empty_label = "No one: a school device"

    def clean_address(self) -> str:
        return normalise_address(self.cleaned_data["address"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        person, device = data.get("person"), data.get("device")
        if "person" in data and "device" in data:
            if person is not None and device:
                self.add_error("device", "Give a person or a device name, not both.")
            elif person is None and not device:
                self.add_error("person", "Choose a person or give a device name.")
        return data


class SanctionForm(forms.Form):
    person = forms.ModelChoiceField(label="Person", queryset=Person.objects.none())
    starts_at = forms.DateTimeField(
        label="Starts", help_text="For example 2025-03-04 09:00.", input_formats=["%Y-%m-%d %H:%M"]
    )
    ends_at = forms.DateTimeField(
        label="Ends",
        help_text="For example 2025-03-11 15:30.",
        input_formats=["%Y-%m-%d %H:%M"],
    )
    reason = forms.CharField(label="Reason (kept on record; not shown on the block page)")

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person_field: Any = self.fields["person"]
        person_field.queryset = network_people(school)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The end must be after the start.")
        return data


class ApprovalForm(forms.Form):
    service_id = forms.ChoiceField(label="Platform", choices=())
    groups = forms.MultipleChoiceField(
        label="Who may use it", choices=Group.choices, widget=forms.CheckboxSelectMultiple
    )
    purpose = forms.CharField(label="What it is for", max_length=200)
    risk_assessment = forms.CharField(
        label="Risk assessment", widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service_field: Any = self.fields["service_id"]
        service_field.choices = service_choices(school)


class CustomServiceForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    service_id = forms.SlugField(label="Short name", max_length=60)
    category = forms.SlugField(label="Category", max_length=60, help_text="For example social.")
    domains = forms.CharField(
        label="Domains", widget=forms.Textarea(attrs={"rows": 4}), help_text="One a line."
    )
    minimum_age = forms.IntegerField(
        label="Minimum age in its terms", required=False, min_value=1, max_value=21
    )
    terms_url = forms.URLField(label="Address of its terms", required=False, assume_scheme="https")

    def clean_service_id(self) -> str:
        value: str = self.cleaned_data["service_id"]
        if value in {e.id for e in project_catalogue()} or value.startswith("list-"):
            raise ValidationError("That short name is taken by the catalogue; choose another.")
        return value

    def clean_domains(self) -> list[str]:
        lines = [d.strip().lower() for d in self.cleaned_data["domains"].splitlines() if d.strip()]
        if not lines:
            raise ValidationError("Enter at least one domain.")
        for number, line in enumerate(lines, start=1):
            if not valid_domain(line):
                raise ValidationError(f"Line {number}: {line} is not a domain such as example.com.")
        return lines
