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

from django.db import IntegrityError, transaction

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError, StaleVersionError, refuse_if
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company
from crossdock.purchasing.models import PurchasingSettings
from crossdock.purchasing.services.common import exact

PERCENT_FIELDS = ("over_receipt_percent", "price_tolerance_percent", "quantity_tolerance_percent")
DAY_FIELDS = ("confirmation_reminder_days",)
FIELDS = (*PERCENT_FIELDS, *DAY_FIELDS)
PERCENT_PLACES = 4
MAX_PERCENT = Decimal(100)
MAX_REMINDER_DAYS = 365


def settings_version(settings: PurchasingSettings) -> int:
    """The version a client edits: 0 while the company still runs on the defaults."""
    return settings.version if settings.pk is not None else 0


def _days(value: Any, name: str, problems: dict[str, list[str]]) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        problems[name] = [f"A whole number of days from 0 to {MAX_REMINDER_DAYS}."]
        return None
    if not 0 <= value <= MAX_REMINDER_DAYS:
        problems[name] = [f"A whole number of days from 0 to {MAX_REMINDER_DAYS}."]
        return None
    return value


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
            days = _days(data[name], name, problems)
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
    with transaction.atomic():
        company = Company.objects.filter(pk=company_id)
        if actor.user is not None:
            company = company.in_scope_of(actor.user)
        if not company.exists():
            raise NotFoundError(f"No company with id {company_id}.")
        found = (
            PurchasingSettings.objects.select_for_update(of=("self",))
            .filter(company_id=company_id)
            .first()
        )
        settings = found or PurchasingSettings(company_id=company_id)
        require(actor, settings, "change" if found else "add")
        current = settings_version(settings)
        if expected_version is not None and expected_version != current:
            raise StaleVersionError(
                "These purchasing settings were changed by someone else; reload and try again.",
                fields={"version": [f"The settings are at version {current} now."]},
            )
        changed = {k: v for k, v in checked.items() if getattr(settings, k) != v}
        if not changed:
            return settings
        before = audit.snapshot(settings) if found else None
        for name, value in changed.items():
            setattr(settings, name, value)
        settings.version = current + 1
        try:
            with transaction.atomic():
                settings.save()
        except IntegrityError as error:  # another request created the row first
            raise StaleVersionError(
                "These purchasing settings were saved by someone else; reload and try again.",
                fields={"version": ["Saved by someone else meanwhile."]},
            ) from error
        settings.refresh_from_db()  # the stored, scaled values for the audit trail
        audit.record(
            actor,
            audit.Change(
                "update" if found else "create", settings, before, audit.snapshot(settings)
            ),
        )
        events.publish(
            events.RecordChanged(
                "purchasing.purchasingsettings",
                str(settings.pk),
                "updated" if found else "created",
                actor.user_id,
                company_id=company_id,
            )
        )
        return settings
