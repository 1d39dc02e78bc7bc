"""Forms of the quality screens: the plan header and its check rows."""

from __future__ import annotations

from typing import Any

from django import forms

from crossdock.masterdata.models import Company, Partner, Product, ProductCategory
from crossdock.quality.models import CheckKind, Sampling

CHECK_ROWS = 6


class PlanForm(forms.Form):
    company = forms.ModelChoiceField(queryset=Company.objects.none())
    name = forms.CharField(max_length=100)
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False)
    category = forms.ModelChoiceField(queryset=ProductCategory.objects.none(), required=False)
    supplier = forms.ModelChoiceField(queryset=Partner.objects.none(), required=False)
    sampling = forms.ChoiceField(choices=Sampling.choices)
    sample_size = forms.DecimalField(required=False, decimal_places=6, min_value=0)
    sample_percent = forms.DecimalField(required=False, decimal_places=4, min_value=0)
    instructions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        companies = Company.objects.in_scope_of(user).order_by("code")
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]
        self.fields["product"].queryset = Product.objects.order_by("sku")  # type: ignore[attr-defined]
        self.fields["category"].queryset = ProductCategory.objects.order_by("path")  # type: ignore[attr-defined]
        self.fields["supplier"].queryset = Partner.objects.filter(  # type: ignore[attr-defined]
            company__in=companies, is_supplier=True
        ).order_by("name")


class CheckForm(forms.Form):
    name = forms.CharField(max_length=100, required=False)
    kind = forms.ChoiceField(choices=CheckKind.choices, initial=CheckKind.PASS_FAIL)
    target = forms.DecimalField(required=False, decimal_places=6)
    min_value = forms.DecimalField(required=False, decimal_places=6)
    max_value = forms.DecimalField(required=False, decimal_places=6)
    unit = forms.CharField(max_length=20, required=False)


CheckFormSet = forms.formset_factory(CheckForm, extra=0, max_num=50)
