"""A company's purchasing settings: the tolerances of receiving and three-way matching and
the reminder period of unconfirmed orders.

Design overview
---------------
Until a company saves its settings, :func:`~crossdock.purchasing.selectors.settings_for`
gives the defaults of :class:`~crossdock.purchasing.models.PurchasingSettings` and the
settings are at version 0. :func:`update_purchasing_settings` takes only the fields to
change, checks every one of them first (an exact decimal of at most four places from 0 to
100 % for a tolerance, a whole number of days from 0 to 365 for the reminder) and refuses
them all at once naming each field; nothing is written then. The first save creates the
row at version 1, each later change adds one, and a caller that says which version it
edited (``expected_version``) is refused when someone else saved in between. Saving is
audited with the settings before and after and published as
``purchasing.purchasingsettings.created`` / ``.updated``.

Receiving and matching read the settings when they run, so a change applies to the next
receipt or bill match, never to one already done.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crossdock.core.company_settings import save_company_settings, whole_number
from crossdock.core.company_settings import settings_version as settings_version
from crossdock.core.context import Actor
from crossdock.core.errors import refuse_if
from crossdock.purchasing.models import PurchasingSettings
from crossdock.purchasing.services.common import exact

PERCENT_FIELDS = ("over_receipt_percent", "price_tolerance_percent", "quantity_tolerance_percent")
DAY_FIELDS = ("confirmation_reminder_days",)
FIELDS = (*PERCENT_FIELDS, *DAY_FIELDS)
PERCENT_PLACES = 4
MAX_PERCENT = Decimal(100)
MAX_REMINDER_DAYS = 365


def check_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """The given fields typed and checked; raises naming every bad field at once."""
    problems: dict[str, list[str]] = {}
    checked: dict[str, Any] = {}
    for name in data:
        if name not in FIELDS:
            problems[name] = [f"Unknown setting; use {', '.join(FIELDS)}."]
    for name in PERCENT_FIELDS:
        if name not in data:
            continue
        number = exact(data[name], PERCENT_PLACES, name, problems)
        if number is not None and number > MAX_PERCENT:
            problems[name] = [f"At most {MAX_PERCENT} %."]
        elif number is not None:
            checked[name] = number
    for name in DAY_FIELDS:
        if name in data:
            days = whole_number(data[name], name, 0, MAX_REMINDER_DAYS, problems, unit="days")
            if days is not None:
                checked[name] = days
    refuse_if(problems)
    return checked


def update_purchasing_settings(
    actor: Actor,
    company_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> PurchasingSettings:
    """Change some of the company's purchasing settings (the rest keep their values).

    ``data`` maps field names to new values (decimals as ``Decimal`` or strings, never
    floats). ``expected_version`` is the version the caller edited (0 for the defaults).
    """
    checked = check_settings(data)
    return save_company_settings(
        actor, PurchasingSettings, company_id, checked,
        expected_version=expected_version, what="purchasing settings",
    )  # fmt: skip
