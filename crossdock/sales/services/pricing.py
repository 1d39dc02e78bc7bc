"""Sales prices, expected costs and margin floors, looked up for a whole order at once.

Design overview
---------------
:func:`candidate_lists` orders the price lists that may price an order: the
customer's own list first, then its tier's lists for the order's channel, its
tier's lists for every channel, then the lists for every customer (channel,
then all) — each only if active, valid on the order date and in the order's
currency. :func:`list_prices` reads every item of those lists for the order's
products in one query and picks, per line, the first list that prices the
product, and in it the highest quantity break not above the line's quantity
(the latest start among equal breaks).

:func:`unit_costs` is the expected cost per unit in the company's currency:
the running average of the company's cost pool when it holds stock, else the
product's standard cost converted at the rate in force on the order date (a currency
without a rate is refused naming the currency and date, never taken at 1).
:func:`floors` finds, per product, the nearest category (itself or an ancestor)
with a :class:`MarginFloor`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from crossdock.accounting.services.rates import company_rate
from crossdock.core.fields import PRICE_SCALE
from crossdock.inventory.models import CostPool
from crossdock.masterdata.models import Company, Partner, PriceList, Product
from crossdock.masterdata.models.pricing import PriceListItem
from crossdock.sales.models import MarginFloor, SalesSettings

PRICE = Decimal(1).scaleb(-PRICE_SCALE)


def candidate_lists(
    customer: Partner, channel: str, currency_id: int, on: datetime.date
) -> list[int]:
    """The price lists that may price this customer's order, most specific first."""
    lists = (
        PriceList.objects.filter(
            company_id=customer.company_id, active=True, currency_id=currency_id
        )
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("pk", "customer_tier", "channel")
    )
    ranked: list[tuple[int, int]] = []
    for pk, tier, list_channel in lists:
        if pk == customer.price_list_id:
            rank = 0
        elif (tier and tier != customer.customer_tier) or (
            list_channel and list_channel != channel
        ):
            continue
        else:
            rank = (1 if tier else 3) + (0 if list_channel else 1)
        ranked.append((rank, pk))
    return [pk for _, pk in sorted(ranked)]


@dataclass(frozen=True)
class ListPrice:
    unit_price: Decimal
    price_list_id: int
    min_quantity: Decimal


def list_prices(
    wanted: Sequence[tuple[int, Decimal]], list_ids: Sequence[int], on: datetime.date
) -> list[ListPrice | None]:
    """The list price of each (product, quantity), in the order of ``wanted``."""
    if not list_ids or not wanted:
        return [None] * len(wanted)
    rank = {pk: index for index, pk in enumerate(list_ids)}
    items: dict[int, list[tuple[int, Decimal, datetime.date, Decimal]]] = {}
    rows = (
        PriceListItem.objects.filter(
            price_list_id__in=list_ids,
            product_id__in={product for product, _ in wanted},
            valid_from__lte=on,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("product_id", "price_list_id", "min_quantity", "valid_from", "unit_price")
    )
    for product_id, list_id, minimum, start, price in rows:
        items.setdefault(product_id, []).append((list_id, minimum, start, price))
    found: list[ListPrice | None] = []
    for product_id, quantity in wanted:
        best: tuple[int, Decimal, datetime.date, Decimal] | None = None
        for entry in items.get(product_id, ()):
            if entry[1] > quantity:
                continue
            if best is None or (rank[entry[0]], -entry[1], -entry[2].toordinal()) < (
                rank[best[0]],
                -best[1],
                -best[2].toordinal(),
            ):
                best = entry
        found.append(None if best is None else ListPrice(best[3], best[0], best[1]))
    return found


def unit_costs(
    company: Company, products: Mapping[int, Product], on: datetime.date
) -> dict[int, Decimal]:
    """Expected cost per unit in the company's currency (average cost, else standard cost)."""
    costs: dict[int, Decimal] = {}
    pools = CostPool.objects.filter(company=company, product_id__in=list(products)).values_list(
        "product_id", "quantity", "value"
    )
    for product_id, quantity, value in pools:
        if quantity > 0:
            costs[product_id] = (value / quantity).quantize(PRICE)
    rates: dict[int, Decimal] = {}
    for product in products.values():
        if product.pk in costs:
            continue
        if product.currency_id not in rates:
            # No rate is refused, never guessed: a cost taken 1:1 would misstate the margin.
            rates[product.currency_id] = company_rate(company, product.currency, on)
        costs[product.pk] = (product.standard_cost * rates[product.currency_id]).quantize(PRICE)
    return costs


@dataclass(frozen=True)
class Floor:
    min_margin_percent: Decimal | None  # None: no floor for the category
    max_discount_percent: Decimal


def settings_of(company_id: int) -> SalesSettings:
    found = SalesSettings.objects.filter(company_id=company_id).first()
    return found if found is not None else SalesSettings(company_id=company_id)


def floors(company_id: int, products: Iterable[Product]) -> dict[int, Floor]:
    """Per product: the margin floor and discount limit of its nearest category that has one."""
    default = settings_of(company_id).max_discount_percent
    by_path = {
        path: (minimum, discount)
        for path, minimum, discount in MarginFloor.objects.filter(
            company_id=company_id
        ).values_list("category__path", "min_margin_percent", "max_discount_percent")
    }
    result: dict[int, Floor] = {}
    for product in products:
        path = product.category.path
        rule = None
        while path:
            rule = by_path.get(path)
            if rule is not None:
                break
            path = path.rpartition("/")[0]
        if rule is None:
            result[product.pk] = Floor(None, default)
        else:
            result[product.pk] = Floor(rule[0], rule[1] if rule[1] is not None else default)
    return result
