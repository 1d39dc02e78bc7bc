"""Forms of the purchasing screens: list filters, an order with its lines, the supplier's
confirmation, a receipt, a bill, a catalogue entry with its price breaks, and match notes.

The services name the fields they refuse (``lines[1].quantity``, ``breaks[0].unit_price``,
``confirmations[2].date``, ``prices.17``); :func:`show_refusal` puts each message on the
row and field it names, so the buyer or the clerk sees it where it was typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms

from crossdock.core.errors import DomainError
from crossdock.masterdata.models import Company, Partner, Product, Warehouse
from crossdock.purchasing.models import ExceptionKind, MatchStatus, OrderState
from crossdock.purchasing.selectors import MAX_PERIOD_DAYS
from crossdock.purchasing.services.catalogue import OfferDraft, PriceBreakDraft
from crossdock.purchasing.services.orders import OrderDraft, OrderLineDraft

DATE = forms.DateInput(attrs={"type": "date"})


def _number(label: str, *, required: bool = False, **extra: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, max_digits=24, decimal_places=6, **extra
    )


ROW_NAME = re.compile(
    r"^(?P<group>[a-z_]+)(?:\[(?P<index>\d+)\]|\.(?P<key>\d+))(?:\.(?P<field>\w+))?$"
)


def _suppliers(user: Any) -> Any:
    return (
        Partner.objects.in_scope_of(user)
        .filter(is_supplier=True, active=True)
        .exclude(approval_status="rejected")
        .order_by("code")
    )


def _warehouses(user: Any) -> Any:
    return Warehouse.objects.in_scope_of(user).select_related("company").order_by("code")


def _labelled(form: forms.Form) -> None:
    for field in form.fields.values():
        field.widget.attrs.setdefault("aria-label", field.label)


# -- list filters -------------------------------------------------------------------------------


class OrderFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "All"), ("open", "Open"), *OrderState.choices]
    )
    supplier = forms.ModelChoiceField(
        label="Supplier", queryset=Partner.objects.none(), required=False, empty_label="All"
    )
    warehouse = forms.ModelChoiceField(
        label="Warehouse", queryset=Warehouse.objects.none(), required=False, empty_label="All"
    )
    late = forms.BooleanField(label="Late only", required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = _suppliers(user)  # type: ignore[attr-defined]
        self.fields["warehouse"].queryset = _warehouses(user)  # type: ignore[attr-defined]


class ReceiptFilterForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label="Warehouse", queryset=Warehouse.objects.none(), required=False, empty_label="All"
    )
    until = forms.DateField(label="Due until", required=False, widget=DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses(user)  # type: ignore[attr-defined]


class CatalogueFilterForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label="Supplier", queryset=Partner.objects.none(), required=False, empty_label="All"
    )
    product = forms.CharField(label="Product", max_length=60, required=False)
    contract = forms.ChoiceField(
        label="Contract",
        required=False,
        choices=[("", "All"), ("on", "On contract"), ("off", "No contract")],
    )
    active = forms.ChoiceField(
        label="Active", required=False, choices=[("", "All"), ("yes", "Yes"), ("no", "No")]
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = _suppliers(user)  # type: ignore[attr-defined]


class MatchFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All exceptions"), *MatchStatus.choices]
    )


class ScorecardPeriodForm(forms.Form):
    """The company and period of the scorecards (defaults: the current company, 90 days)."""

    company = forms.ModelChoiceField(
        label="Company", queryset=Company.objects.none(), required=False, empty_label="Current"
    )
    start = forms.DateField(label="From", required=False, widget=DATE)
    end = forms.DateField(label="To", required=False, widget=DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        companies = Company.objects.in_scope_of(user).order_by("code")
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end is before the start.")
        elif start and end and (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("start", f"A period is at most {MAX_PERIOD_DAYS} days; start later.")
        return data


class ExceptionFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All"), *ExceptionKind.choices]
    )
    mine = forms.BooleanField(label="I'm on it (mine)", required=False)


# -- an order and its lines ---------------------------------------------------------------------


class OrderForm(forms.Form):
    """The header of an order; on an existing order supplier and warehouse stay."""

    supplier = forms.ModelChoiceField(label="Supplier", queryset=Partner.objects.none())
    warehouse = forms.ModelChoiceField(label="Warehouse", queryset=Warehouse.objects.none())
    expected_date = forms.DateField(label="Expected on", widget=DATE, required=False)
    note = forms.CharField(label="Note", max_length=200, required=False)
    reason = forms.CharField(label="Reason for the change", max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = _suppliers(user)  # type: ignore[attr-defined]
        self.fields["warehouse"].queryset = _warehouses(user)  # type: ignore[attr-defined]
        if editing:
            self.fields["supplier"].disabled = True
            self.fields["warehouse"].disabled = True
        else:
            del self.fields["reason"]
            del self.fields["version"]
        _labelled(self)


class OrderLineForm(forms.Form):
    sku = forms.CharField(label="Product SKU", max_length=40, required=False)
    quantity = _number("Quantity", required=False)
    unit_price = _number("Unit price", required=False, help_text="Empty: the catalogue price.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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

    def line(self) -> OrderLineDraft:
        data = self.cleaned_data
        return OrderLineDraft(
            product_id=data["sku"].pk if data["sku"] else 0,
            quantity=data["quantity"] if data["quantity"] is not None else Decimal(0),
            unit_price=data["unit_price"],
        )


class BaseRowFormSet(forms.BaseFormSet):
    """Rows that may be left empty: :func:`filled` skips them."""


def filled(formset: Any) -> list[Any]:
    """The rows of a valid formset that were typed in, in order."""
    return [form for form in formset.forms if not form.is_blank()]


OrderLineFormSet = forms.formset_factory(
    OrderLineForm, formset=BaseRowFormSet, extra=3, max_num=200, validate_max=True
)


def order_draft(form: OrderForm, rows: list[OrderLineForm]) -> OrderDraft:
    data = form.cleaned_data
    return OrderDraft(
        supplier_id=data["supplier"].pk,
        warehouse_id=data["warehouse"].pk,
        lines=[row.line() for row in rows],
        expected_date=data["expected_date"],
        note=data["note"],
    )


# -- working an order ---------------------------------------------------------------------------


class ConfirmLineForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity = _number("Confirmed quantity", required=True)
    date = forms.DateField(label="Confirmed date", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _labelled(self)


ConfirmFormSet = forms.formset_factory(ConfirmLineForm, extra=0, max_num=2000)


class ReceiveLineForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity = _number("Received", required=False)
    lot = forms.CharField(label="Lot or serial", max_length=60, required=False)
    expires_on = forms.DateField(label="Expires on", widget=DATE, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _labelled(self)
        self.fields["quantity"].widget.attrs["inputmode"] = "decimal"

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return data.get("quantity") in (None, 0) and not self.errors


ReceiveFormSet = forms.formset_factory(
    ReceiveLineForm, formset=BaseRowFormSet, extra=0, max_num=2000
)


class BillForm(forms.Form):
    partner_reference = forms.CharField(label="Supplier's bill number", max_length=60)
    date = forms.DateField(label="Bill date", widget=DATE, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _labelled(self)


class BillPriceForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    unit_price = _number("Bill price", required=False, help_text="Empty: the order price.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _labelled(self)


BillPriceFormSet = forms.formset_factory(BillPriceForm, extra=0, max_num=2000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=200, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label="Note", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _labelled(self)


# -- the supplier catalogue ---------------------------------------------------------------------


class OfferForm(forms.Form):
    supplier = forms.ModelChoiceField(label="Supplier", queryset=Partner.objects.none())
    sku = forms.CharField(label="Product SKU", max_length=40)
    supplier_sku = forms.CharField(label="Supplier's SKU", max_length=60, required=False)
    minimum_quantity = _number("Minimum order quantity", required=True, initial=0)
    order_multiple = _number("Pack size", required=True, initial=1)
    lead_time_days = forms.IntegerField(label="Lead time (days)", initial=7, min_value=0)
    valid_from = forms.DateField(label="Valid from", widget=DATE, required=False)
    valid_to = forms.DateField(label="Valid to", widget=DATE, required=False)
    contract_reference = forms.CharField(label="Contract", max_length=60, required=False)
    preference = forms.IntegerField(label="Preference (1 first)", initial=1, min_value=1)
    estimated_landed_cost_percent = _number(
        "Expected landed cost (%)",
        required=False,
        initial=0,
        help_text="Freight, duty and handling on top of the price, for margin planning.",
    )
    free_freight_value = _number(
        "Free freight from (order value)",
        required=False,
        help_text="In the entry's currency; replenishment fills orders up to it when it pays.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = _suppliers(user)  # type: ignore[attr-defined]
        if editing:
            self.fields["supplier"].disabled = True
            self.fields["sku"].disabled = True
        _labelled(self)

    def clean_sku(self) -> Product:
        sku = self.cleaned_data["sku"].strip()
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise forms.ValidationError(f"No product with SKU {sku}.")
        return product


class BreakForm(forms.Form):
    min_quantity = _number("From quantity", required=False)
    unit_price = _number("Unit price", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _labelled(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("min_quantity") is not None and data.get("unit_price") is None:
            self.add_error("unit_price", "Give the price from this quantity.")
        return data

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return (
            data.get("min_quantity") is None and data.get("unit_price") is None and not self.errors
        )


BreakFormSet = forms.formset_factory(
    BreakForm, formset=BaseRowFormSet, extra=3, max_num=50, validate_max=True
)


def offer_draft(
    company_id: int, currency_id: int | None, form: OfferForm, rows: list[BreakForm]
) -> OfferDraft:
    data = form.cleaned_data
    return OfferDraft(
        company_id=company_id,
        supplier_id=data["supplier"].pk,
        product_id=data["sku"].pk,
        currency_id=currency_id,
        breaks=[
            PriceBreakDraft(
                row.cleaned_data["min_quantity"] or Decimal(0), row.cleaned_data["unit_price"]
            )
            for row in rows
        ],
        supplier_sku=data["supplier_sku"],
        minimum_quantity=data["minimum_quantity"],
        order_multiple=data["order_multiple"],
        lead_time_days=data["lead_time_days"],
        valid_from=data["valid_from"],
        valid_to=data["valid_to"],
        contract_reference=data["contract_reference"],
        preference=data["preference"],
        estimated_landed_cost_percent=data["estimated_landed_cost_percent"] or Decimal(0),
        free_freight_value=data["free_freight_value"],
    )


# -- refusals on the fields they name -----------------------------------------------------------

ALIASES: dict[str, str | None] = {"product": "sku", "line": None, "lot_name": "lot"}


def show_refusal(
    error: DomainError,
    form: forms.Form,
    rows: Mapping[str, Sequence[Any]] | None = None,
    keyed: Mapping[str, Mapping[int, Any]] | None = None,
    field_aliases: dict[str, str] | None = None,
) -> None:
    """Put each message of a refusal on the field it names; the rest on the form.

    ``rows`` maps a group (``lines``) to the row forms in the order the service saw them;
    ``keyed`` maps a group (``prices``) to row forms by the id the service names.
    ``field_aliases`` maps a header field of the service to one of the form.
    """
    shown = False
    aliases = field_aliases or {}
    for name, problems in error.fields.items():
        target: forms.Form | None = None
        field: str | None = None
        match = ROW_NAME.match(name)
        if match is not None:
            group = match["group"]
            if match["index"] is not None:
                position = int(match["index"])
                found = (rows or {}).get(group, [])
                target = found[position] if position < len(found) else None
            else:
                target = (keyed or {}).get(group, {}).get(int(match["key"]))
            if target is not None:
                visible = [n for n, f in target.fields.items() if not f.widget.is_hidden]
                mapped = ALIASES.get(match["field"] or "", match["field"])
                if match["field"] is None:
                    field = visible[-1] if visible else None
                else:
                    field = mapped if mapped in visible else None
        else:
            wanted = aliases.get(name, name)
            if wanted in form.fields and not form.fields[wanted].disabled:
                target, field = form, wanted
            elif wanted in form.fields:
                target, field = form, None
        for problem in problems:
            if target is not None:
                target.add_error(field, problem)
            else:
                form.add_error(None, problem)
            shown = True
    if not shown:
        form.add_error(None, error.message)


# -- purchasing settings ------------------------------------------------------------------------


class PurchasingSettingsForm(forms.Form):
    """A company's tolerances and reminder period; the service checks the ranges."""

    over_receipt_percent = _number(
        "Over-receipt tolerance (%)",
        required=True,
        help_text="How much more than ordered a receipt may bring in.",
    )
    price_tolerance_percent = _number(
        "Price tolerance (%)",
        required=True,
        help_text="A bill price this much above the order price still matches.",
    )
    quantity_tolerance_percent = _number(
        "Quantity tolerance (%)",
        required=True,
        help_text="Billed this much above received still matches.",
    )
    confirmation_reminder_days = forms.IntegerField(
        label="Confirmation reminder (days)",
        help_text="Days after sending before an unconfirmed order opens an exception.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if read_only:
            for field in self.fields.values():
                field.disabled = True
        _labelled(self)
