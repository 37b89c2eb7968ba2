from __future__ import annotations

from django import forms

from safesocial.people.importing import KINDS

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
