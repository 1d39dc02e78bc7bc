"""Forms of the sales settings screen: the company's policies and one margin floor.

The forms parse the shape of the input only; numbers are read as text and checked by the
services (exact decimals, ranges), whose refusals name the field they concern.
"""

from __future__ import annotations

from typing import Any

from django import forms

from crossdock.core.errors import DomainError
from crossdock.masterdata.models import ProductCategory
from crossdock.sales.models.settings import InvoicePolicy, SourcingPolicy


def _text(label: str, help_text: str = "", *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=30,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def _read_only(form: forms.Form, read_only: bool) -> None:
    for field in form.fields.values():
        field.widget.attrs.setdefault("aria-label", field.label)
        if read_only:
            field.disabled = True


class SalesSettingsForm(forms.Form):
    """A company's sales policies; the service checks the ranges."""

    sourcing_policy = forms.ChoiceField(
        label="Sourcing", choices=SourcingPolicy.choices, help_text="Where order lines ship from."
    )
    invoice_policy = forms.ChoiceField(
        label="Invoicing", choices=InvoicePolicy.choices, help_text="When customers are invoiced."
    )
    overdue_hold_days = _text(
        "Overdue hold (days)", "An invoice overdue by more than this holds new orders."
    )
    max_discount_percent = _text(
        "Discount limit (%)", "A larger discount needs a sales manager's approval."
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _read_only(self, read_only)


class MarginFloorForm(forms.Form):
    """One margin floor: its category (when adding), minimum margin and discount limit."""

    category = forms.ModelChoiceField(
        label="Category", queryset=ProductCategory.objects.order_by("path"), required=True
    )
    min_margin_percent = _text("Minimum margin (%)")
    max_discount_percent = _text("Discount limit (%)", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, adding: bool = True, read_only: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not adding:
            del self.fields["category"]
        _read_only(self, read_only)


def show_refusal(error: DomainError, form: forms.Form) -> None:
    """Put each message of a refusal on the field it names; the rest above the form."""
    shown = False
    for name, problems in error.fields.items():
        field = name if name in form.fields and not form.fields[name].disabled else None
        for problem in problems:
            form.add_error(field, problem)
            shown = True
    if not shown:
        form.add_error(None, error.message)
