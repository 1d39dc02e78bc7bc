"""Supplier offers for planning: the catalogue in company currency, landed, with delivery history.

Design overview
---------------
:func:`load_offers` reads, for many products at once, the purchasing catalogue
entries (:class:`~crossdock.purchasing.models.SupplierProduct`) that can be
ordered on the day: active, valid that day, from an active supplier whose
onboarding is approved. It turns each into a :class:`~crossdock.planning.network.Offer`:

* **price** — the unit price of the smallest quantity one can order (the MOQ
  rounded up to whole order multiples, or one multiple without a MOQ), from
  the entry's price breaks. This is the conservative price: volume breaks
  above it are not assumed. When no break starts at or below that quantity,
  the lowest break's price is used and its quantity becomes the minimum. An
  entry without any price break is skipped and reported.
* **company currency** — converted at the rate in force on the day
  (``accounting.services.rates.company_rate``, the helper documents use),
  rounded to the price field's 6 places; a currency without a rate skips the
  entry and reports it, never guesses.
* **landed cost** — the entry's estimated landed-cost percentage added on top,
  exactly as the RFQ quote comparison does (``purchasing.comparison``).
* **lead time** — the catalogue lead time plus the supplier's average delay
  over its promises in the vendor scorecard of the last 365 days (observed mean
  minus promised mean, rounded half up to whole days, never negative); the
  spread is the scorecard's standard deviation and the score its composite
  score. A supplier without receipts in the window keeps the catalogue lead
  time with a spread of 0 and no score.
* **free freight** — the entry's free-freight order value (``None`` when the
  supplier gives none), converted to company currency like the price;
  consolidation fills a supplier's order up to the largest one when that pays.

Set-based: the entries and their breaks are read in chunks of 5,000 products
(two queries per chunk), plus one query for the currencies, two per foreign
currency for its rate and the scorecards' handful — about 20 queries for
25,000 products, whatever their number of suppliers.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from crossdock.core.fields import MONEY_SCALE, PRICE_SCALE
from crossdock.masterdata.models import ApprovalStatus, Company, Currency
from crossdock.planning.network import Offer
from crossdock.purchasing.models import SupplierPriceBreak, SupplierProduct

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PRICE_STEP = Decimal(1).scaleb(-PRICE_SCALE)
MONEY_STEP = Decimal(1).scaleb(-MONEY_SCALE)
CHUNK = 5000
HISTORY_DAYS = 365


def _entries(
    company_id: int, product_ids: list[int], on: datetime.date
) -> tuple[list[dict[str, Any]], dict[int, list[tuple[Decimal, Decimal]]]]:
    rows: list[dict[str, Any]] = []
    breaks: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    valid = (
        Q(company_id=company_id, active=True, supplier__active=True)
        & Q(supplier__approval_status=ApprovalStatus.APPROVED)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    )
    for start in range(0, len(product_ids), CHUNK):
        chunk = product_ids[start : start + CHUNK]
        rows.extend(
            dict(row)
            for row in SupplierProduct.objects.filter(valid, product_id__in=chunk).values(
                "pk", "product_id", "product__sku", "supplier_id", "supplier__name",
                "currency_id", "minimum_quantity", "order_multiple", "lead_time_days",
                "preference", "estimated_landed_cost_percent", "free_freight_value",
            )
        )  # fmt: skip
        prices = SupplierPriceBreak.objects.filter(
            offer__company_id=company_id, offer__product_id__in=chunk, offer__active=True
        ).values_list("offer_id", "min_quantity", "unit_price")
        for offer_id, minimum, price in prices:
            breaks[offer_id].append((minimum, price))
    return rows, breaks


def _rates(company: Company, currency_ids: set[int], on: datetime.date) -> dict[int, Decimal | str]:
    """Per currency: the rate to the company's currency, or why there is none."""
    from crossdock.accounting.services.rates import MissingRateError, company_rate

    rates: dict[int, Decimal | str] = {}
    for currency in Currency.objects.filter(pk__in=currency_ids):
        try:
            rates[currency.pk] = company_rate(company, currency, on)
        except MissingRateError:
            rates[currency.pk] = (
                f"no {currency.code}/{company.base_currency.code} exchange rate on or before "
                f"{on.isoformat()}"
            )
    return rates


def _history(
    company_id: int, supplier_ids: set[int], on: datetime.date
) -> dict[int, tuple[int, Decimal, Decimal | None]]:
    """Per supplier with history: (days late on average, lead-time spread, score)."""
    from crossdock.purchasing.scorecards import scorecards

    if not supplier_ids:
        return {}
    start = on - datetime.timedelta(days=HISTORY_DAYS)
    found = {}
    for card in scorecards(company_id, start, on, supplier_ids=supplier_ids):
        late = 0
        if card.lead_time_mean_days is not None and card.promised_lead_time_days is not None:
            delay = card.lead_time_mean_days - card.promised_lead_time_days
            late = max(0, int(delay.to_integral_value(rounding=ROUND_HALF_UP)))
        spread = card.lead_time_std_days if card.lead_time_std_days is not None else ZERO
        found[card.supplier_id] = (late, spread, card.score)
    return found


def _smallest_order(minimum: Decimal, multiple: Decimal) -> Decimal:
    packs = max(Decimal(1), (minimum / multiple).to_integral_value(rounding=ROUND_CEILING))
    return packs * multiple


def _price(
    minimum: Decimal, multiple: Decimal, breaks: list[tuple[Decimal, Decimal]]
) -> tuple[Decimal, Decimal] | None:
    """(unit price, minimum quantity) of the smallest order, or None without breaks."""
    if not breaks:
        return None
    smallest = _smallest_order(minimum, multiple)
    applying = [b for b in breaks if b[0] <= smallest]
    if applying:
        return max(applying)[1], minimum
    lowest = min(breaks)
    return lowest[1], max(minimum, lowest[0])


def load_offers(
    company_id: int,
    product_ids: Iterable[int],
    *,
    on: datetime.date | None = None,
    problems: list[str] | None = None,
) -> dict[int, list[Offer]]:
    """Every requested product's orderable offers (best preference first), in company currency.

    Entries that cannot be used (no exchange rate, no price) are left out and described in
    ``problems`` when a list is given."""
    on = on or timezone.localdate()
    notes = problems if problems is not None else []
    ids = sorted(set(product_ids))
    result: dict[int, list[Offer]] = {pk: [] for pk in ids}
    company = Company.objects.select_related("base_currency").filter(pk=company_id).first()
    if company is None:
        notes.append(f"Company {company_id} does not exist; no offers loaded.")
        return result
    rows, breaks = _entries(company_id, ids, on)
    rates = _rates(company, {row["currency_id"] for row in rows}, on)
    history = _history(company_id, {row["supplier_id"] for row in rows}, on)
    rows.sort(key=lambda r: (r["product_id"], r["preference"], r["supplier_id"]))
    for row in rows:
        what = f"Product {row['product__sku']}: the offer of {row['supplier__name']}"
        rate = rates[row["currency_id"]]
        priced = _price(row["minimum_quantity"], row["order_multiple"], breaks.get(row["pk"], []))
        if isinstance(rate, str) or priced is None:
            why = rate if isinstance(rate, str) else "it has no price"
            notes.append(f"{what} is skipped: {why}.")
            continue
        price, minimum = priced
        unit = (price * rate).quantize(PRICE_STEP, ROUND_HALF_EVEN)
        percent = row["estimated_landed_cost_percent"]
        landed = (unit * (HUNDRED + percent) / HUNDRED).quantize(PRICE_STEP, ROUND_HALF_EVEN)
        late, spread, score = history.get(row["supplier_id"], (0, ZERO, None))
        result[row["product_id"]].append(
            Offer(
                supplier_id=row["supplier_id"],
                supplier_name=row["supplier__name"],
                unit_landed_cost=landed,
                lead_time_days=row["lead_time_days"] + late,
                lead_time_sd_days=spread,
                score=score,
                minimum_quantity=minimum,
                order_multiple=row["order_multiple"],
                free_freight_value=(
                    None
                    if row["free_freight_value"] is None
                    else (row["free_freight_value"] * rate).quantize(MONEY_STEP, ROUND_HALF_EVEN)
                ),
                preference=row["preference"],
            )
        )
    return result
