"""The quote comparison of an RFQ: every quote of every line in the company's currency.

Design overview
---------------
:func:`compare_quotes` reads the RFQ's lines and quotes in two queries and, per
quote, converts the unit price into the company's currency at the rate in
force on the comparison day (``accounting.services.rates.company_rate``),
adds the quote's estimated landed-cost percentage (freight, duty, handling;
0 when the buyer gave none — a simple per-quote figure, not a landed-cost
calculation), and gives the line total at that landed price. Unit prices keep
the price field's 6 places (half-even); line totals round to the company
currency's minor unit.

Each quote shows the supplier's score and risk class from the vendor
scorecards of the last 90 days (the supplier's stored risk class when it has
no activity in that window). Among the quotes that can be awarded (not
expired, the line's quantity meets the quoted MOQ, a rate known) the lowest
landed unit price is marked *cheapest* and the shortest lead time *fastest*;
ties mark every tied quote.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils import timezone

from crossdock.core.fields import PRICE_SCALE
from crossdock.purchasing.models import RequestForQuotation, RfqLine, SupplierQuote

HUNDRED = Decimal(100)
PRICE_STEP = Decimal(1).scaleb(-PRICE_SCALE)
SCORE_WINDOW_DAYS = 90


@dataclass
class QuoteFigures:
    """One quote as the comparison shows it."""

    quote: SupplierQuote
    supplier_code: str
    supplier_name: str
    currency_code: str
    unit_price: Decimal
    rate: Decimal | None
    unit_price_company: Decimal | None
    landed_percent: Decimal
    landed_unit_price_company: Decimal | None
    line_total_company: Decimal | None
    lead_time_days: int
    minimum_quantity: Decimal
    moq_met: bool
    valid_until: datetime.date | None
    expired: bool
    score: Decimal | None
    risk_class: str
    awarded: bool
    cheapest: bool = False
    fastest: bool = False

    @property
    def eligible(self) -> bool:
        return not self.expired and self.moq_met and self.landed_unit_price_company is not None


@dataclass
class LineComparison:
    line: RfqLine
    quotes: list[QuoteFigures] = field(default_factory=list)


def _scores(rfq: RequestForQuotation, on: datetime.date) -> dict[int, tuple[Decimal | None, str]]:
    from crossdock.purchasing.scorecards import scorecards

    supplier_ids = set(rfq.suppliers.values_list("pk", flat=True))
    if not supplier_ids:
        return {}
    start = on - datetime.timedelta(days=SCORE_WINDOW_DAYS)
    cards = scorecards(rfq.company_id, start, on, supplier_ids=supplier_ids)
    return {card.supplier_id: (card.score, card.risk_class) for card in cards}


def _figures(
    rfq: RequestForQuotation,
    line: RfqLine,
    quote: SupplierQuote,
    on: datetime.date,
    scores: dict[int, tuple[Decimal | None, str]],
) -> QuoteFigures:
    from crossdock.accounting.services.rates import MissingRateError, company_rate

    company = rfq.company
    try:
        rate: Decimal | None = company_rate(company, quote.currency, on)
    except MissingRateError:
        rate = None
    unit_company = landed = total = None
    percent = quote.estimated_landed_cost_percent
    if rate is not None:
        unit_company = (quote.unit_price * rate).quantize(PRICE_STEP, ROUND_HALF_EVEN)
        landed = (unit_company * (HUNDRED + percent) / HUNDRED).quantize(
            PRICE_STEP, ROUND_HALF_EVEN
        )
        total = company.base_currency.round(landed * line.quantity)
    score, risk = scores.get(quote.supplier_id, (None, ""))
    return QuoteFigures(
        quote=quote,
        supplier_code=quote.supplier.code,
        supplier_name=quote.supplier.name,
        currency_code=quote.currency.code,
        unit_price=quote.unit_price,
        rate=rate,
        unit_price_company=unit_company,
        landed_percent=percent,
        landed_unit_price_company=landed,
        line_total_company=total,
        lead_time_days=quote.lead_time_days,
        minimum_quantity=quote.minimum_quantity,
        moq_met=line.quantity >= quote.minimum_quantity,
        valid_until=quote.valid_until,
        expired=quote.valid_until is not None and quote.valid_until < on,
        score=score,
        risk_class=risk or quote.supplier.supplier_risk_class or "",
        awarded=line.awarded_quote_id == quote.pk,
    )


def compare_quotes(
    rfq: RequestForQuotation, on: datetime.date | None = None
) -> list[LineComparison]:
    """Per RFQ line, its quotes with the figures to choose a winner (cheapest first)."""
    on = on or timezone.localdate()
    lines = list(rfq.lines.select_related("product").order_by("sequence", "pk"))
    quotes = SupplierQuote.objects.filter(line__rfq=rfq).select_related("supplier", "currency")
    by_line: dict[int, list[SupplierQuote]] = {}
    for quote in quotes:
        by_line.setdefault(quote.line_id, []).append(quote)
    scores = _scores(rfq, on)
    result = []
    for line in lines:
        figures = [_figures(rfq, line, q, on, scores) for q in by_line.get(line.pk, [])]
        eligible = [f for f in figures if f.eligible]
        if eligible:
            cheapest = min(f.landed_unit_price_company for f in eligible)  # type: ignore[type-var]
            fastest = min(f.lead_time_days for f in eligible)
            for item in eligible:
                item.cheapest = item.landed_unit_price_company == cheapest
                item.fastest = item.lead_time_days == fastest
        figures.sort(
            key=lambda f: (
                not f.eligible,
                f.landed_unit_price_company or Decimal(0),
                f.lead_time_days,
                f.supplier_code,
            )
        )
        result.append(LineComparison(line, figures))
    return result
