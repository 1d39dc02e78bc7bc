"""Read-side queries for master data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q

from crossdock.core.permissions import Access
from crossdock.masterdata.models import PriceList, PriceListItem, Product, UserAccess


def access_for_user(user: Any) -> Access:
    """Companies and warehouses ``user`` may see; no access row means none at all."""
    access = UserAccess.objects.filter(user=user).first()
    if access is None:
        return Access(frozenset(), frozenset())
    companies = frozenset(access.companies.values_list("pk", flat=True))
    warehouses = frozenset(access.warehouses.values_list("pk", flat=True))
    return Access(companies, warehouses or None)


@dataclass(frozen=True)
class PriceQuote:
    """The price a list gives a product at a quantity on a date, and the break it came from."""

    unit_price: Decimal
    min_quantity: Decimal
    item_id: int


def price_for(
    product: Product | int,
    price_list: PriceList | int,
    quantity: Decimal,
    on_date: datetime.date,
) -> PriceQuote | None:
    """The best quantity-break price valid on ``on_date``: the highest break not above ``quantity``.

    Among items of the same break valid that day, the latest start wins. ``None``
    when the list is inactive or out of its validity window, or has no such price.
    """
    product_id = product if isinstance(product, int) else product.pk
    list_id = price_list if isinstance(price_list, int) else price_list.pk
    valid_list = PriceList.objects.filter(pk=list_id, active=True).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on_date),
        Q(valid_to__isnull=True) | Q(valid_to__gte=on_date),
    )
    item = (
        PriceListItem.objects.filter(
            price_list__in=valid_list,
            product_id=product_id,
            min_quantity__lte=quantity,
            valid_from__lte=on_date,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on_date))
        .order_by("-min_quantity", "-valid_from")
        .first()
    )
    if item is None:
        return None
    return PriceQuote(item.unit_price, item.min_quantity, item.pk)
