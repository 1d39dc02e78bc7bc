"""Demo price lists: one sales price list per operating company, a few hundred prices at most.

``NSE-STD`` (EUR) and ``NSUK-STD`` (GBP) each price up to :data:`ITEMS_PER_LIST`
active products from the catalogue list price (converted at the demo's
starting EUR→GBP rate for the UK), valid from the first of the year; every
third product also has a 5 % cheaper price from 10 units. The lists are
created through the service; the items are bulk-written (like the other demo
volume records) with one ``demo-load`` audit entry per list. Price changes on
top of them come from the approvals demo, through the services.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.masterdata.models import Company, Currency, PriceList, PriceListItem, Product
from crossdock.masterdata.pricing import create_price_list

ITEMS_PER_LIST = 150
BREAK_QUANTITY = Decimal(10)
BREAK_FACTOR = Decimal("0.95")
CENT = Decimal("0.01")
# company, code, name, currency, factor from the EUR catalogue price
PRICE_LISTS = (
    ("NSE", "NSE-STD", "Standard sales prices (EUR)", "EUR", Decimal(1)),
    ("NSUK", "NSUK-STD", "Standard sales prices (GBP)", "GBP", Decimal("0.852")),
)


def build_price_lists(actor: Actor, companies: dict[str, Company]) -> dict[str, int]:
    """Create the demo price lists and their items; return what was built."""
    currencies = {c.code: c for c in Currency.objects.all()}
    products = list(
        Product.objects.filter(status="active").order_by("sku")[: ITEMS_PER_LIST * len(PRICE_LISTS)]
    )
    starts = datetime.date(datetime.date.today().year, 1, 1)
    counts = {"price_lists": 0, "price_list_items": 0}
    for index, (company, code, name, currency, factor) in enumerate(PRICE_LISTS):
        if company not in companies:
            continue
        price_list = create_price_list(
            actor,
            {
                "company": companies[company],
                "code": code,
                "name": name,
                "currency": currencies[currency],
            },
        )
        chosen = products[index::2][:ITEMS_PER_LIST] or products[:ITEMS_PER_LIST]
        items = _items(price_list, chosen, factor, starts)
        PriceListItem.objects.bulk_create(items)
        after: dict[str, Any] = {"price_list_items": len(items)}
        audit.record(actor, audit.Change("demo-load", price_list, None, after))
        counts["price_lists"] += 1
        counts["price_list_items"] += len(items)
    return counts


def _items(
    price_list: PriceList, products: list[Product], factor: Decimal, starts: datetime.date
) -> list[PriceListItem]:
    items = []
    for position, product in enumerate(products):
        price = (product.list_price * factor).quantize(CENT, ROUND_HALF_UP)
        items.append(
            PriceListItem(
                price_list=price_list, product=product, min_quantity=Decimal(1),
                unit_price=price, valid_from=starts,
            )
        )  # fmt: skip
        if position % 3 == 0:
            items.append(
                PriceListItem(
                    price_list=price_list, product=product, min_quantity=BREAK_QUANTITY,
                    unit_price=(price * BREAK_FACTOR).quantize(CENT, ROUND_HALF_UP),
                    valid_from=starts,
                )
            )  # fmt: skip
    return items
