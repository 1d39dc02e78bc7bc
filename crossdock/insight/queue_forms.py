"""The forms of the queue screen: give an item to a person, snooze it until a day.

They check the input's shape and the choices the screen offers; the queue services
(:func:`~crossdock.insight.queues.services.assign_item`,
:func:`~crossdock.insight.queues.services.snooze_item`) check the rest.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ItemAssignForm(forms.Form):
    """``owner``: one of the users of the item's owner role in its company; empty: the role."""

    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, candidates: list[tuple[int, str]], role: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        field.choices = [("", f"Role: {role or 'none'}"), *candidates]  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = (
            f"Not an active {role or 'owner'} user with access to the item's company."
        )


class ItemSnoozeForm(forms.Form):
    """Hide the item until the start of ``until`` (a day after today), saying why."""

    until = forms.DateField(
        widget=DATE_INPUT,
        error_messages={"invalid": "Not a date (YYYY-MM-DD).", "required": "Pick a day."},
    )
    reason = forms.CharField(
        max_length=200, strip=True, error_messages={"required": "Say why the item can wait."}
    )

    def clean_until(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["until"]
        if day <= timezone.localdate():
            raise forms.ValidationError("Pick a day after today.")
        return day

    def until_time(self) -> datetime.datetime:
        day = self.cleaned_data["until"]
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def first_error(form: forms.Form) -> str:
    """The form's first problem, named by its field's label ("Until: Pick a day …")."""
    for name, errors in form.errors.items():
        label = form.fields[name].label or name.replace("_", " ").capitalize()
        return f"{label}: {errors[0]}"
    return ""
