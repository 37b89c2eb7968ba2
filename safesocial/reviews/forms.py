"""The pack's date range, checked with errors in words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from safesocial.policies.models import PACK_MAX_DAYS

MAX_DAYS = PACK_MAX_DAYS  # a pack of any period shown here can be attached to a formal review


class RangeForm(forms.Form):
    date_from = forms.DateField(
        label="From",
        input_formats=["%Y-%m-%d"],
        error_messages={
            "required": "Enter the first day of the period",
            "invalid": "Enter the first day as a date like 2025-09-01",
        },
    )
    date_to = forms.DateField(
        label="To",
        input_formats=["%Y-%m-%d"],
        error_messages={
            "required": "Enter the last day of the period",
            "invalid": "Enter the last day as a date like 2026-08-31",
        },
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        if data is not None:  # the query string says from= and to=
            data = {"date_from": data.get("from", ""), "date_to": data.get("to", "")}
        super().__init__(data, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: dt.date | None = cleaned.get("date_from")
        end: dt.date | None = cleaned.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "The last day must be on or after the first day")
            elif (end - start).days >= MAX_DAYS:
                self.add_error("date_to", "Choose a period of at most two years")
        return cleaned
