"""The supplier catalogue: saving offers with their price breaks, and reading prices.

An offer (:class:`SupplierProduct`) is saved whole — header and price breaks
in one transaction, audited with the breaks before and after. :func:`offer_for`
finds the offer of a supplier for a product valid on a day, :func:`catalogue_price`
the unit price of the highest break not above a quantity, and
:func:`check_pack` refuses a quantity under the MOQ or not a whole number of
packs, naming the nearest quantities that would be accepted.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError, StaleVersionError, refuse_if
from crossdock.core.fields import MONEY_SCALE, PRICE_SCALE, QUANTITY_SCALE
from crossdock.core.inputs import exact
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company, Currency, Partner, Product
from crossdock.purchasing.models import SupplierPriceBreak, SupplierProduct


@dataclass(frozen=True)
class PriceBreakDraft:
    min_quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class OfferDraft:
    """A catalogue entry as a buyer or an import gives it."""

    company_id: int
    supplier_id: int
    product_id: int
    currency_id: int | None
    breaks: Sequence[PriceBreakDraft]
    supplier_sku: str = ""
    minimum_quantity: Decimal = Decimal(0)
    order_multiple: Decimal = Decimal(1)
    lead_time_days: int = 7
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    contract_reference: str = ""
    preference: int = 1
    estimated_landed_cost_percent: Decimal = Decimal(0)
    free_freight_value: Decimal | None = None


def _check(draft: OfferDraft) -> dict[str, Any]:
    problems: dict[str, list[str]] = {}
    company = Company.objects.filter(pk=draft.company_id).first()
    if company is None:
        problems["company"] = ["Unknown company."]
    supplier = Partner.objects.filter(pk=draft.supplier_id).first()
    if supplier is None:
        problems["supplier"] = ["Unknown supplier."]
    elif not supplier.is_supplier:
        problems["supplier"] = [f"{supplier.code} is not a supplier."]
    elif company is not None and supplier.company_id not in (None, company.pk):
        problems["supplier"] = [f"{supplier.code} belongs to another company."]
    product = Product.objects.filter(pk=draft.product_id).first()
    if product is None:
        problems["product"] = ["Unknown product."]
    currency = None
    if draft.currency_id is not None:
        currency = Currency.objects.filter(pk=draft.currency_id).first()
        if currency is None:
            problems["currency"] = ["Unknown currency."]
    elif supplier is not None:
        currency = supplier.currency
    moq = exact(draft.minimum_quantity, QUANTITY_SCALE, "minimum_quantity", problems)
    multiple = exact(
        draft.order_multiple, QUANTITY_SCALE, "order_multiple", problems, positive=True
    )
    landed = exact(
        draft.estimated_landed_cost_percent, 4, "estimated_landed_cost_percent", problems
    )
    if landed is not None and landed > 1000:
        problems["estimated_landed_cost_percent"] = ["At most 1000 %."]
    free_freight = None
    if draft.free_freight_value is not None:
        free_freight = exact(
            draft.free_freight_value, MONEY_SCALE, "free_freight_value", problems, positive=True
        )
    if not isinstance(draft.lead_time_days, int) or draft.lead_time_days < 0:
        problems["lead_time_days"] = ["A whole number of days, zero or more."]
    if draft.valid_from and draft.valid_to and draft.valid_to < draft.valid_from:
        problems["valid_to"] = ["Must be on or after valid_from."]
    if not draft.breaks:
        problems["breaks"] = ["Give at least one price."]
    breaks: list[tuple[Decimal, Decimal]] = []
    for index, item in enumerate(draft.breaks):
        low = exact(item.min_quantity, QUANTITY_SCALE, f"breaks[{index}].min_quantity", problems)
        price = exact(item.unit_price, PRICE_SCALE, f"breaks[{index}].unit_price", problems)
        if low is not None and price is not None:
            if any(low == seen for seen, _ in breaks):
                problems[f"breaks[{index}].min_quantity"] = ["Two prices for the same quantity."]
            breaks.append((low, price))
    refuse_if(problems)
    return {
        "company": company,
        "supplier": supplier,
        "product": product,
        "currency": currency,
        "minimum_quantity": moq,
        "order_multiple": multiple,
        "landed": landed,
        "free_freight": free_freight,
        "breaks": sorted(breaks),
    }


def _picture(offer: SupplierProduct) -> dict[str, Any]:
    return {
        **audit.snapshot(offer),
        "breaks": [
            [str(b.min_quantity), str(b.unit_price)] for b in offer.breaks.order_by("min_quantity")
        ],
    }


def save_offer(
    actor: Actor,
    draft: OfferDraft,
    *,
    offer_id: int | None = None,
    expected_version: int | None = None,
) -> SupplierProduct:
    """Create or replace a catalogue entry with its price breaks, all or nothing."""
    checked = _check(draft)
    with transaction.atomic():
        before = None
        if offer_id is None:
            offer = SupplierProduct(
                company=checked["company"], supplier=checked["supplier"], product=checked["product"]
            )
            action = "add"
            clash = SupplierProduct.objects.filter(
                company=checked["company"], supplier=checked["supplier"], product=checked["product"]
            ).first()
            if clash is not None:
                message = "This supplier already has an entry for this product; edit it instead."
                raise DomainError(f"product: {message}", fields={"product": [message]})
        else:
            found = (
                SupplierProduct.objects.select_for_update(of=("self",)).filter(pk=offer_id).first()
            )
            if found is None:
                raise NotFoundError(f"No catalogue entry with id {offer_id}.")
            offer = found
            require(actor, offer, "change")
            if expected_version is not None and offer.version != expected_version:
                raise StaleVersionError(
                    "This catalogue entry was changed by someone else; reload and try again."
                )
            before = _picture(offer)
            action = "change"
            if (offer.supplier_id, offer.product_id) != (draft.supplier_id, draft.product_id):
                message = "Supplier and product of an entry cannot change; add a new entry."
                raise DomainError(f"product: {message}", fields={"product": [message]})
            offer.version += 1
        offer.currency = checked["currency"]
        offer.supplier_sku = draft.supplier_sku.strip()
        offer.minimum_quantity = checked["minimum_quantity"]
        offer.order_multiple = checked["order_multiple"]
        offer.lead_time_days = draft.lead_time_days
        offer.valid_from = draft.valid_from
        offer.valid_to = draft.valid_to
        offer.contract_reference = draft.contract_reference.strip()
        offer.preference = draft.preference
        offer.estimated_landed_cost_percent = checked["landed"]
        offer.free_freight_value = checked["free_freight"]
        require(actor, offer, action)
        offer.save()
        offer.breaks.all().delete()
        SupplierPriceBreak.objects.bulk_create(
            SupplierPriceBreak(offer=offer, min_quantity=low, unit_price=price)
            for low, price in checked["breaks"]
        )
        audit.record(
            actor,
            audit.Change("create" if before is None else "update", offer, before, _picture(offer)),
        )
        events.publish(
            events.RecordChanged(
                "purchasing.supplierproduct",
                str(offer.pk),
                "created" if before is None else "updated",
                actor.user_id,
                company_id=offer.company_id,
            )
        )
        return offer


def offer_for(
    company_id: int, supplier_id: int, product_id: int, on: datetime.date
) -> SupplierProduct | None:
    """The supplier's active catalogue entry for the product, valid on ``on``."""
    return (
        SupplierProduct.objects.filter(
            company_id=company_id, supplier_id=supplier_id, product_id=product_id, active=True
        )
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .first()
    )


def offers_for(
    company_id: int, supplier_id: int, product_ids: list[int], on: datetime.date
) -> dict[int, SupplierProduct]:
    """The supplier's valid entries for many products at once, with their price breaks."""
    found = (
        SupplierProduct.objects.filter(
            company_id=company_id, supplier_id=supplier_id, product_id__in=product_ids, active=True
        )
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .prefetch_related("breaks")
    )
    return {offer.product_id: offer for offer in found}


def catalogue_price(breaks: Iterable[SupplierPriceBreak], quantity: Decimal) -> Decimal | None:
    """The unit price of the highest break whose minimum is not above ``quantity``."""
    best = None
    for item in breaks:
        if item.min_quantity <= quantity and (
            best is None or item.min_quantity > best.min_quantity
        ):
            best = item
    return None if best is None else best.unit_price


def check_pack(offer: SupplierProduct, quantity: Decimal) -> str | None:
    """Why ``quantity`` breaks the offer's MOQ or pack size, or ``None`` when it is fine."""
    if quantity < offer.minimum_quantity:
        return (
            f"{quantity.normalize():f} is below the supplier's minimum order quantity of "
            f"{offer.minimum_quantity.normalize():f}."
        )
    multiple = offer.order_multiple
    if multiple and quantity % multiple != 0:
        packs = quantity / multiple
        down = packs.to_integral_value(ROUND_FLOOR) * multiple
        up = packs.to_integral_value(ROUND_CEILING) * multiple
        nearest = " or ".join(
            f"{q.normalize():f}" for q in (down, up) if q > 0 and q >= offer.minimum_quantity
        )
        return (
            f"{quantity.normalize():f} is not a whole number of packs of "
            f"{multiple.normalize():f}; order {nearest}."
        )
    return None
