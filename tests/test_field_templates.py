"""The GOV.UK field templates the apps share in shape: errors announced with their field."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string


def test_every_error_of_a_field_is_read_with_it() -> None:
    """All of a field's messages sit in the one element its aria-describedby names."""

    class TwoErrors(forms.Form):
        note = forms.CharField()
        agree = forms.BooleanField()

    form = TwoErrors(data={"agree": ""})
    form.is_valid()
    form.add_error("note", "Say more.")
    for template in ("concerns/_field.html", "channels/_field.html"):
        for name in ("note", "agree"):
            html = render_to_string(template, {"field": form[name]})
            assert html.count("govuk-error-message") == 1, (template, name)
            assert f'id="id_{name}_error"' in html and f'aria-describedby="id_{name}_error' in html
        note = render_to_string(template, {"field": form["note"]})
        assert "This field is required." in note and "Say more." in note
