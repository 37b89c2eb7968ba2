"""Forms of the monitoring pages: the date range, and the finding to put on the action plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

MAX_DAYS = 366
DATE_HELP = "For example, 2025-03-04 (year-month-day)"


class RangeForm(forms.Form):
    """Local school days, both ends included; both or neither."""

    date_from = forms.DateField(
        label="From", required=False, input_formats=["%Y-%m-%d"], help_text=DATE_HELP
    )
    date_to = forms.DateField(
        label="To", required=False, input_formats=["%Y-%m-%d"], help_text=DATE_HELP
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in (("date_from", "first"), ("date_to", "last")):
            self.fields[name].error_messages["invalid"] = (
                f"Enter the {label} day as a date, for example 2025-03-04"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first: dt.date | None = data.get("date_from")
        last: dt.date | None = data.get("date_to")
        if self.errors:
            return data
        if (first is None) != (last is None):
            missing = "date_to" if last is None else "date_from"
            self.add_error(missing, "Enter both days, or neither for everything ingested")
        elif first and last:
            if first > last:
                self.add_error("date_to", "The last day must be the same as or after the first")
            elif (last - first).days >= MAX_DAYS:
                self.add_error("date_to", f"Choose at most {MAX_DAYS} days")
        return data


class FindingForm(RangeForm):
    """A finding of the evaluation, named by its key, for the period it was found in."""

    key = forms.CharField(max_length=200)
