"""Price-list screens: the lists, one list with its items and changes, proposing new prices
(a few rows: product, quantity break, new price or removal), and a change with its lines and
its approval, submitted from there."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.approvals.services import request_for
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata import pricing
from crossdock.masterdata.models import PriceChangeState, PriceList, PriceListChange, Product
from crossdock.web.views.common import render_page

FORM_ROWS = 5
HUNDRED = Decimal(100)


def _require(user: Any, model: type[Any], action: str = "view") -> None:
    if not has_model_permission(user, model, action):
        raise PermissionDenied(f"Your role does not allow you to {action} price lists.")


def _price_list(request: HttpRequest, pk: int) -> PriceList:
    _require(request.user, PriceList)
    found = (
        PriceList.objects.restrict(request.user)
        .select_related("company", "currency")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such price list.")
    return found


def _change(request: HttpRequest, pk: int, action: str = "view") -> PriceListChange:
    _require(request.user, PriceListChange, action)
    found = (
        PriceListChange.objects.restrict(request.user, action)
        .select_related("price_list__currency", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such price change.")
    return found


@login_required
@require_safe
def price_list_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, PriceList)
    rows = (
        PriceList.objects.restrict(request.user)
        .select_related("company", "currency")
        .annotate(item_count=Count("items"))
        .order_by("company__code", "code")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render_page(
        request, "masterdata/price_list_list.html", {"title": "Price lists", "page": page}
    )


@login_required
@require_safe
def price_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = _price_list(request, pk)
    items = price_list.items.select_related("product").order_by(
        "product__sku", "min_quantity", "valid_from"
    )
    changes = (
        PriceListChange.objects.restrict(request.user)
        .filter(price_list=price_list)
        .annotate(line_count=Count("lines"))
        .order_by("-pk")[:20]
    )
    context = {
        "title": str(price_list),
        "price_list": price_list,
        "page": Paginator(items, 100).get_page(request.GET.get("page")),
        "changes": changes,
        "can_propose": has_model_permission(request.user, PriceListChange, "add"),
    }
    return render_page(request, "masterdata/price_list_detail.html", context)


class PriceRowForm(forms.Form):
    """One proposed change: a product by SKU, its quantity break, and a new price or removal."""

    sku = forms.CharField(label="SKU", max_length=40, required=False)
    min_quantity = forms.DecimalField(
        label="From quantity", min_value=Decimal(0), decimal_places=6, max_digits=18,
        initial=Decimal(1), required=False,
    )  # fmt: skip
    new_price = forms.DecimalField(
        label="New price", min_value=Decimal(0), decimal_places=6, max_digits=18, required=False
    )
    remove = forms.BooleanField(label="Remove", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("sku") and data.get("new_price") is None and not data.get("remove"):
            self.add_error("new_price", "Give the new price, or tick Remove.")
        return data


PriceRowFormSet = forms.formset_factory(PriceRowForm, extra=FORM_ROWS, max_num=50)


def _lines(formset: Any) -> tuple[list[pricing.PriceLine], list[str]]:
    rows = [row for row in formset.cleaned_data if row.get("sku")]
    skus = {row["sku"].strip() for row in rows}
    products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
    unknown = sorted(skus - set(products))
    lines = [
        pricing.PriceLine(
            product_id=products.get(row["sku"].strip(), 0),
            new_price=None if row.get("remove") else row["new_price"],
            min_quantity=row.get("min_quantity") or Decimal(1),
        )
        for row in rows
    ]
    return lines, unknown


@login_required
@require_http_methods(["GET", "POST"])
def price_change_create(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = _price_list(request, pk)
    _require(request.user, PriceListChange, "add")
    formset = PriceRowFormSet(request.POST or None, prefix="rows")
    note = forms.CharField(max_length=200, required=False).clean(request.POST.get("note", ""))
    error = ""
    if request.method == "POST" and formset.is_valid():
        lines, unknown = _lines(formset)
        if unknown:
            error = f"No product with SKU {unknown[0]}."
        else:
            try:
                change = pricing.propose_price_changes(
                    Actor.of(request.user), price_list.pk, lines, note
                )
            except DomainError as refused:
                error = refused.message
            else:
                messages.success(request, f"{change} drafted; check it and submit it.")
                return redirect("prices:change_detail", pk=change.pk)
    context = {
        "title": f"Propose prices — {price_list}",
        "price_list": price_list,
        "formset": formset,
        "note": note,
        "error": error,
    }
    return render_page(request, "masterdata/price_change_form.html", context)


def _line_rows(change: PriceListChange) -> list[dict[str, Any]]:
    rows = []
    for line in change.lines.select_related("product").order_by("pk"):
        delta = None
        if line.old_price and line.new_price is not None:
            delta = ((line.new_price - line.old_price) / line.old_price * HUNDRED).quantize(
                pricing.PERCENT
            )
        rows.append({"line": line, "delta": delta})
    return rows


@login_required
@require_safe
def price_change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = _change(request, pk)
    context = {
        "title": str(change),
        "change": change,
        "rows": _line_rows(change),
        "approval": request_for(pricing.PRICE_LIST_CHANGE, change.pk),
        "can_submit": change.state == PriceChangeState.DRAFT
        and has_model_permission(request.user, PriceListChange, "change"),
    }
    return render_page(request, "masterdata/price_change_detail.html", context)


@login_required
@require_POST
def price_change_submit(request: HttpRequest, pk: int) -> HttpResponse:
    change = _change(request, pk, "change")
    try:
        done = pricing.submit_price_change(Actor.of(request.user), change.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if done.state == PriceChangeState.APPLIED:
            messages.success(request, "No approval needed: the new prices apply now.")
        else:
            messages.success(request, "Submitted for approval; the prices change once approved.")
    return redirect("prices:change_detail", pk=change.pk)
