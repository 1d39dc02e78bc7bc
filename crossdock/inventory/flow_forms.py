"""Forms of the stock-flow screens (return, dispatch, arrival, scrap, putaway rules).

They check the input's shape and turn typed SKUs and location paths into ids
within the user's scope; the services decide everything else.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from crossdock.core.fields import QUANTITY_SCALE
from crossdock.inventory.forms import INPUT
from crossdock.masterdata.models import Location, Product, ProductCategory, Warehouse


def _quantity(label: str = "Quantity", required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0.000001"),
        max_digits=18,
        decimal_places=QUANTITY_SCALE,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )


class ProductField(forms.CharField):
    """A product typed by SKU (exactly)."""

    def clean(self, value: Any) -> Product | None:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        product = Product.objects.filter(sku__iexact=text).first()
        if product is None:
            raise forms.ValidationError(f"No product with SKU {text}.")
        return product


class ReturnForm(forms.Form):
    """One quantity field per returnable line (``line_<move>_<lot>``), where to, and why."""

    location = forms.ModelChoiceField(label="Location", queryset=Location.objects.none())
    reason = forms.CharField(label="Reason", required=False, max_length=100)

    def __init__(self, *args: Any, rows: list[Any], locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.rows = rows
        for row in rows:
            self.fields[row.field] = _quantity(f"{row.sku} {row.lot}".strip(), required=False)

    def lines(self) -> list[tuple[int, int | None, Decimal]]:
        return [
            (row.move_id, row.lot_id, self.cleaned_data[row.field])
            for row in self.rows
            if self.cleaned_data.get(row.field)
        ]


class DispatchForm(forms.Form):
    from_warehouse = forms.ModelChoiceField(label="From", queryset=Warehouse.objects.none())
    to_warehouse = forms.ModelChoiceField(label="To", queryset=Warehouse.objects.none())
    product = ProductField(label="Product (SKU)", max_length=60)
    quantity = _quantity()
    expected_on = forms.DateField(
        label="Expected arrival", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, senders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_warehouse"].queryset = senders  # type: ignore[attr-defined]
        self.fields["to_warehouse"].queryset = Warehouse.objects.filter(  # type: ignore[attr-defined]
            active=True
        ).select_related("company")
        self.fields["product"].widget.attrs.update(INPUT)


class ArrivalForm(forms.Form):
    location = forms.ModelChoiceField(
        label="Receive into", queryset=Location.objects.none(), required=False
    )

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]


class ScrapForm(forms.Form):
    SCRAP, DAMAGE = "scrap", "damage"

    action = forms.ChoiceField(
        label="What",
        choices=[(SCRAP, "Scrap (write off)"), (DAMAGE, "Set aside as damaged")],
        widget=forms.RadioSelect,
        initial=SCRAP,
    )
    location = forms.ModelChoiceField(label="From location", queryset=Location.objects.none())
    product = ProductField(label="Product (SKU)", max_length=60)
    quantity = _quantity()
    lot = forms.CharField(label="Lot or serial", required=False, max_length=60)
    reason = forms.CharField(label="Reason", max_length=100)

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["product"].widget.attrs.update(INPUT)
        self.fields["lot"].widget.attrs.update(INPUT)


class PutawayRuleForm(forms.Form):
    warehouse = forms.ModelChoiceField(label="Warehouse", queryset=Warehouse.objects.none())
    product = ProductField(label="Product (SKU)", max_length=60, required=False)
    category = forms.ModelChoiceField(
        label="or category", queryset=ProductCategory.objects.order_by("path"), required=False
    )
    location = forms.ModelChoiceField(label="Put away into", queryset=Location.objects.none())
    sequence = forms.IntegerField(label="Sequence", min_value=0, initial=10)

    def __init__(self, *args: Any, warehouses: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses  # type: ignore[attr-defined]
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["product"].widget.attrs.update(INPUT)
