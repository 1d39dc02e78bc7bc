"""Exchange rates for documents: company currency per one unit of the document's currency.

A document in a foreign currency takes the rate in force on its date from the
group's dated rates (``masterdata.ExchangeRate``); a date without a rate is
refused, never guessed. Conversion rounds once, to the company currency's
minor unit.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from crossdock.core.errors import DomainError
from crossdock.masterdata.models import Company, Currency, ExchangeRate


class MissingRateError(DomainError):
    """No exchange rate is known for the currency pair on or before the date."""


def company_rate(
    company: Company, currency: Currency, on: datetime.date, *, field: str = "currency"
) -> Decimal:
    """Units of the company's currency one unit of ``currency`` is worth on ``on``."""
    if currency.pk == company.base_currency_id:
        return Decimal(1)
    base = company.base_currency
    try:
        return ExchangeRate.rate_on(currency, base, on)
    except LookupError:
        message = (
            f"No {currency.code}/{base.code} exchange rate on or before {on.isoformat()}; "
            "enter the rate first."
        )
        raise MissingRateError(f"{field}: {message}", fields={field: [message]}) from None


def to_company(amount: Decimal, rate: Decimal, company: Company) -> Decimal:
    """``amount`` in the company's currency at ``rate``, rounded to its minor unit."""
    return company.base_currency.round(amount * rate)
