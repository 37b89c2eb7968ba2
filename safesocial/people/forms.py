from __future__ import annotations

from django import forms

from safesocial.people.importing import KINDS
from safesocial.people.models import Role

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file exported from your MIS")
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[("", "Work it out from the columns")] + [(k, k.capitalize()) for k in KINDS],
        required=False,
    )
    partial = forms.BooleanField(
        label="This is not a full export: do not mark missing people as left", required=False
    )
    apply = forms.BooleanField(
        label="Import now (leave unticked to see what would change first)", required=False
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB. Split it by year group.")
        return bytes(upload.read())


class RoleAssignForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=[("", "Choose a role"), *Role.choices])
    starts_on = forms.DateField(
        label="Starts on",
        widget=forms.DateInput(
            attrs={"type": "date", "class": "govuk-input govuk-input--width-10"}
        ),
    )
    ends_on = forms.DateField(
        label="Ends on (leave empty if open-ended)",
        required=False,
        widget=forms.DateInput(
            attrs={"type": "date", "class": "govuk-input govuk-input--width-10"}
        ),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The end date must be on or after the start date.")
        return data
