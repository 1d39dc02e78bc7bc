"""Forms of the sales screens: list filters, an order with its lines, and the reason of a cancel.

The forms parse the shape of the input; pricing, sourcing and every business rule are the
services'. A refusal names its fields (``customer``, ``lines[1].quantity``,
``lines[0].unit_price``); :func:`show_refusal` puts each message on the row and field it
names, so the sales rep sees it where it was typed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms

from crossdock.core.errors import DomainError
from crossdock.masterdata.models import Partner, Product, Warehouse
from crossdock.sales.models import Channel, SalesOrderState
from crossdock.sales.services.orders import SalesLineDraft, SalesOrderDraft

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LINE_FIELD = re.compile(r"^lines\[(?P<index>\d+)\](?:\.(?P<field>\w+))?$")
# The service's name of a line field -> the form's.
LINE_ALIASES = {"product": "sku"}


def _number(label: str, **extra: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=24,
        decimal_places=6,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **extra,
    )


def customers_of(user: Any) -> Any:
    return (
        Partner.objects.in_scope_of(user)
        .filter(is_customer=True, active=True)
        .select_related("company")
        .order_by("code")
    )


def _labelled(form: forms.Form) -> None:
    for field in form.fields.values():
        field.widget.attrs.setdefault("aria-label", field.label)


class OrderFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "All"), ("open", "Open"), *SalesOrderState.choices],
    )
    customer = forms.ModelChoiceField(
        label="Customer", queryset=Partner.objects.none(), required=False, empty_label="All"
    )
    channel = forms.ChoiceField(
        label="Channel", required=False, choices=[("", "All"), *Channel.choices]
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers_of(user)  # type: ignore[attr-defined]


class AllocationFilterForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label="Warehouse", queryset=Warehouse.objects.none(), required=False, empty_label="All"
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = (  # type: ignore[attr-defined]
            Warehouse.objects.in_scope_of(user).order_by("code")
        )


class SalesOrderForm(forms.Form):
    """The header of a quotation; an existing quotation keeps its customer."""

    customer = forms.ModelChoiceField(label="Customer", queryset=Partner.objects.none())
    channel = forms.ChoiceField(label="Channel", choices=Channel.choices, initial=Channel.FIELD)
    requested_date = forms.DateField(label="Requested for", widget=DATE, required=False)
    customer_reference = forms.CharField(
        label="Customer's reference", max_length=60, required=False
    )
    note = forms.CharField(label="Note", max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers_of(user)  # type: ignore[attr-defined]
        if editing:
            self.fields["customer"].disabled = True
        else:
            del self.fields["version"]
        _labelled(self)


class SalesLineForm(forms.Form):
    sku = forms.CharField(label="Product SKU", max_length=40, required=False)
    quantity = _number("Quantity")
    unit_price = _number("Unit price", help_text="Empty: the price list's price.")
    discount_percent = _number("Discount %")
    warehouse = forms.ModelChoiceField(
        label="Ship from",
        queryset=Warehouse.objects.none(),
        required=False,
        empty_label="By sourcing policy",
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["warehouse"].queryset = (  # type: ignore[attr-defined]
                Warehouse.objects.in_scope_of(user).filter(active=True).order_by("code")
            )
        self.fields["sku"].widget.attrs["autocomplete"] = "off"
        _labelled(self)

    def clean_sku(self) -> Product | None:
        sku = self.cleaned_data["sku"].strip()
        if not sku:
            return None
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise forms.ValidationError(f"No product with SKU {sku}.")
        return product

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("sku") and data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", "How many?")
        return data

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        typed = any(data.get(name) not in (None, "") for name in self.fields)
        return not typed and not self.errors

    def line(self) -> SalesLineDraft:
        data = self.cleaned_data
        return SalesLineDraft(
            product_id=data["sku"].pk if data["sku"] else 0,
            quantity=data["quantity"] if data["quantity"] is not None else Decimal(0),
            unit_price=data["unit_price"],
            discount_percent=data["discount_percent"],
            warehouse_id=data["warehouse"].pk if data["warehouse"] else None,
        )


class BaseRowFormSet(forms.BaseFormSet):
    """Rows that may be left empty: :func:`filled` skips them."""


def filled(formset: Any) -> list[Any]:
    """The rows of a valid formset that were typed in, in order."""
    return [form for form in formset.forms if not form.is_blank()]


SalesLineFormSet = forms.formset_factory(
    SalesLineForm, formset=BaseRowFormSet, extra=3, max_num=500, validate_max=True
)


def order_draft(
    form: SalesOrderForm, rows: list[SalesLineForm], customer: Any = None
) -> SalesOrderDraft:
    data = form.cleaned_data
    return SalesOrderDraft(
        customer_id=(customer or data["customer"]).pk,
        lines=[row.line() for row in rows],
        channel=data["channel"],
        requested_date=data["requested_date"],
        customer_reference=data["customer_reference"],
        note=data["note"],
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=200, required=False)


def show_refusal(error: DomainError, form: forms.Form, rows: list[SalesLineForm]) -> None:
    """Put each message of a refusal on the field it names; the rest above the form.

    ``rows`` are the line forms in the order the service saw them (blank rows left out).
    """
    shown = False
    for name, problems in error.fields.items():
        target: forms.Form = form
        field: str | None = None
        match = LINE_FIELD.match(name)
        if match is not None:
            index = int(match["index"])
            if index < len(rows):
                target = rows[index]
                wanted = LINE_ALIASES.get(match["field"] or "", match["field"] or "")
                field = wanted if wanted in target.fields else None
        elif name in form.fields and not form.fields[name].disabled:
            field = name
        for problem in problems:
            target.add_error(field, problem)
            shown = True
    if not shown:
        form.add_error(None, error.message)
