"""Forms of the fulfilment screens: wave, packing and shipping input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from crossdock.inventory.forms import INPUT
from crossdock.inventory.models import PackageType
from crossdock.inventory.models.fulfilment import DIMENSION_SCALE, WEIGHT_SCALE
from crossdock.masterdata.models import Warehouse


class PickWaveForm(forms.Form):
    """A wave of every ready transfer of a warehouse, optionally for one carrier or up to a day."""

    warehouse = forms.ModelChoiceField(label="Warehouse", queryset=Warehouse.objects.none())
    carrier = forms.CharField(label="Carrier", required=False, max_length=60)
    scheduled_until = forms.DateField(
        label="Scheduled up to",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    transfers = forms.CharField(
        label="Only these references",
        required=False,
        max_length=5000,
        help_text="Space or comma separated; empty: every ready transfer.",
    )

    def __init__(self, *args: Any, warehouses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses  # type: ignore[attr-defined]
        self.fields["carrier"].widget.attrs.update(INPUT)

    def references(self) -> list[str]:
        text = self.cleaned_data.get("transfers") or ""
        return [r for r in text.replace(",", " ").split() if r]


def _size(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=DIMENSION_SCALE,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )


class PackageForm(forms.Form):
    """Closing the package being filled: its weight, type, size and (optionally) number."""

    weight = forms.DecimalField(
        label="Weight (kg)",
        max_digits=12,
        decimal_places=WEIGHT_SCALE,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.001"}),
    )
    package_type = forms.ChoiceField(label="Type", choices=PackageType.choices)
    number = forms.CharField(label="Number", required=False, max_length=40)
    length = _size("Length (cm)")
    width = _size("Width (cm)")
    height = _size("Height (cm)")


class ShipForm(forms.Form):
    carrier = forms.CharField(label="Carrier", max_length=60)
    service_level = forms.CharField(label="Service level", required=False, max_length=60)
    tracking_number = forms.CharField(label="Tracking number", max_length=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("carrier", "service_level", "tracking_number"):
            self.fields[name].widget.attrs.update(INPUT)
