"""A company's sales settings: the sourcing and invoice policies, the days overdue that hold
a customer's orders and the largest discount given without approval.

Design overview
---------------
Until a company saves its settings, :func:`settings_for` gives the defaults of
:class:`~crossdock.sales.models.SalesSettings` at version 0. :func:`update_sales_settings`
takes only the fields to change, checks every one of them first (a policy among its
choices, a whole number of days from 0 to 365, an exact decimal of at most four places
from 0 to 100 % for the discount limit) and refuses them all at once naming each field;
nothing is written then. The first save creates the row at version 1, each later change
adds one, and a caller that says which version it edited (``expected_version``) is
refused when someone else saved in between. Saving is audited with the settings before
and after and published as ``sales.salessettings.created`` / ``.updated``.

Order entry, confirmation and invoicing read the settings when they run (through
:func:`crossdock.sales.services.pricing.settings_of`), so a change applies to the next
order, credit check or invoice, never to one already done.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crossdock.core import company_settings
from crossdock.core.company_settings import settings_version as settings_version
from crossdock.core.company_settings import whole_number
from crossdock.core.context import Actor
from crossdock.core.errors import refuse_if
from crossdock.core.inputs import exact
from crossdock.masterdata.models import Company
from crossdock.sales.models import SalesSettings
from crossdock.sales.models.settings import InvoicePolicy, SourcingPolicy

CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "sourcing_policy": tuple(SourcingPolicy.values),
    "invoice_policy": tuple(InvoicePolicy.values),
}
DAY_FIELDS = ("overdue_hold_days",)
PERCENT_FIELDS = ("max_discount_percent",)
FIELDS = (*CHOICE_FIELDS, *DAY_FIELDS, *PERCENT_FIELDS)
PERCENT_PLACES = 4
MAX_PERCENT = Decimal(100)
MAX_HOLD_DAYS = 365


def settings_for(company_id: int) -> SalesSettings:
    """The company's saved settings, or the defaults (unsaved) until it saves them."""
    return company_settings.settings_for(SalesSettings, company_id)


def percent(value: Any, name: str, problems: dict[str, list[str]]) -> Decimal | None:
    """An exact percentage from 0 to 100 with at most four places; a problem noted if not."""
    number = exact(value, PERCENT_PLACES, name, problems)
    if number is not None and number > MAX_PERCENT:
        problems[name] = [f"At most {MAX_PERCENT} %."]
        return None
    return number


def check_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """The given fields typed and checked; raises naming every bad field at once."""
    problems: dict[str, list[str]] = {}
    checked: dict[str, Any] = {}
    for name in data:
        if name not in FIELDS:
            problems[name] = [f"Unknown setting; use {', '.join(FIELDS)}."]
    for name, choices in CHOICE_FIELDS.items():
        if name not in data:
            continue
        if data[name] in choices:
            checked[name] = data[name]
        else:
            problems[name] = [f"One of {', '.join(choices)}."]
    for name in DAY_FIELDS:
        if name in data:
            days = whole_number(data[name], name, 0, MAX_HOLD_DAYS, problems, unit="days")
            if days is not None:
                checked[name] = days
    for name in PERCENT_FIELDS:
        if name in data:
            number = percent(data[name], name, problems)
            if number is not None:
                checked[name] = number
    refuse_if(problems)
    return checked


def update_sales_settings(
    actor: Actor,
    company: Company | int,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> SalesSettings:
    """Change some of the company's sales settings (the rest keep their values).

    ``changes`` names the fields to change (decimals as ``Decimal`` or strings, never
    floats). ``expected_version`` is the version the caller edited (0 for the defaults).
    """
    company_id = company.pk if isinstance(company, Company) else company
    checked = check_settings(changes)
    return company_settings.save_company_settings(
        actor, SalesSettings, company_id, checked,
        expected_version=expected_version, what="sales settings",
    )  # fmt: skip
