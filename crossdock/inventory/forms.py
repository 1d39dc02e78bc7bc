"""Forms of the warehouse screens: they check the input's shape; the services decide the rest."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from crossdock.core.fields import QUANTITY_SCALE
from crossdock.inventory.models import AbcClass, CountScope, MoveState, TransferKind
from crossdock.masterdata.models import Company, Warehouse

INPUT = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}


def _blank(choices: Any, label: str = "All") -> list[tuple[str, str]]:
    return [("", label), *[(str(value), str(text)) for value, text in choices]]


class TransferFilterForm(forms.Form):
    """The transfer list's filters: kind, state, warehouse and a reference search."""

    q = forms.CharField(label="Reference", required=False, max_length=100)
    kind = forms.ChoiceField(label="Kind", required=False, choices=_blank(TransferKind.choices))
    state = forms.ChoiceField(label="State", required=False)
    warehouse = forms.ModelChoiceField(
        label="Warehouse", required=False, queryset=Warehouse.objects.none(), empty_label="All"
    )

    OPEN = "open"

    def __init__(self, *args: Any, warehouses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses  # type: ignore[attr-defined]
        self.fields["state"].choices = [  # type: ignore[attr-defined]
            ("", "All"),
            (self.OPEN, "Open (to do)"),
            *[(str(v), str(t)) for v, t in MoveState.choices],
        ]
        self.fields["q"].widget.attrs.update({**INPUT, "type": "search", "placeholder": "IN/000…"})


class ScanForm(forms.Form):
    """One scan; lot/serial and expiry may be typed for a barcode that does not carry them."""

    barcode = forms.CharField(label="Scan", max_length=500, strip=False)
    lot = forms.CharField(label="Lot or serial", required=False, max_length=60)
    expires_on = forms.DateField(
        label="Expiry", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    count = forms.DecimalField(
        label="Count",
        required=False,
        min_value=Decimal(1),
        max_digits=18,
        decimal_places=QUANTITY_SCALE,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "placeholder": "1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["barcode"].widget.attrs.update(
            {**INPUT, "autofocus": True, "enterkeyhint": "done", "placeholder": "Scan or type…"}
        )
        self.fields["lot"].widget.attrs.update(INPUT)


class StockLookupForm(forms.Form):
    product = forms.CharField(
        label="Product (SKU, barcode or name)", required=False, max_length=200
    )
    location = forms.CharField(label="Location (barcode or path)", required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update(INPUT)


class LotSearchForm(forms.Form):
    q = forms.CharField(label="Lot or serial", required=False, max_length=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({**INPUT, "type": "search"})


class AvailabilityForm(forms.Form):
    product = forms.CharField(label="Product (SKU, barcode or name)", max_length=200)
    quantity = forms.DecimalField(
        label="Quantity wanted",
        required=False,
        min_value=Decimal("0.000001"),
        max_digits=18,
        decimal_places=QUANTITY_SCALE,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    group_by = forms.ChoiceField(
        label="By",
        required=False,
        choices=[("warehouse", "Warehouse"), ("region", "Region"), ("group", "Whole group")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].widget.attrs.update(INPUT)


class ValuationForm(forms.Form):
    company = forms.ModelChoiceField(label="Company", queryset=Company.objects.none())
    as_of = forms.DateField(
        label="As of (end of day)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for now.",
    )

    def __init__(self, *args: Any, companies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]


class CountSheetForm(forms.Form):
    """A new count sheet: where (locations by path or barcode) or which ABC class; blind or not."""

    warehouse = forms.ModelChoiceField(label="Warehouse", queryset=Warehouse.objects.none())
    scope = forms.ChoiceField(label="Count", choices=CountScope.choices, widget=forms.RadioSelect)
    locations = forms.CharField(
        label="Locations (path or barcode, one per line)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, **INPUT}),
        help_text="Each location is counted with every location below it.",
    )
    abc_class = forms.ChoiceField(
        label="ABC class", required=False, choices=_blank(AbcClass.choices, "—")
    )
    blind = forms.BooleanField(
        label="Blind count (counters do not see the expected quantities)",
        required=False,
        initial=True,
    )
    note = forms.CharField(label="Note", required=False, max_length=200)

    def __init__(self, *args: Any, warehouses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses  # type: ignore[attr-defined]


class CountScanForm(forms.Form):
    """One count: a location (kept between scans), a product scan, its lot, and a quantity."""

    location = forms.CharField(label="Location", required=False, max_length=500)
    barcode = forms.CharField(label="Scan", max_length=500, strip=False)
    lot = forms.CharField(label="Lot or serial", required=False, max_length=60)
    quantity = forms.DecimalField(
        label="Counted quantity",
        required=False,
        min_value=Decimal(0),
        max_digits=18,
        decimal_places=QUANTITY_SCALE,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
        help_text="Typed: the quantity counted (replaces). Empty: each scan adds its units.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["barcode"].widget.attrs.update(
            {**INPUT, "autofocus": True, "enterkeyhint": "done", "placeholder": "Scan or type…"}
        )
        self.fields["location"].widget.attrs.update({**INPUT, "placeholder": "Scan the bin first…"})
        self.fields["lot"].widget.attrs.update(INPUT)
