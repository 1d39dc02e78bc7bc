"""Per-company settings rows (sales, purchasing, planning …): defaults until saved, versioned.

Design overview
---------------
A settings model has one row per company (unique ``company``) and a ``version``.
Until a company saves its settings, :func:`settings_for` gives the model's
defaults, unsaved, at version 0. :func:`save_company_settings` applies fields the
owning module has already checked: it locks the row, refuses a caller that
edited another version (``expected_version``; 0 for the defaults) or a company
outside the actor's scope, writes only what changed, counts the version up,
audits the row before and after and publishes ``<app>.<model>.created`` /
``.updated``. Two first saves racing each other meet the unique company and
the loser is told to reload, never given a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, models, transaction

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError, StaleVersionError
from crossdock.core.permissions import ScopedModel, require


def settings_for[Settings: ScopedModel](model: type[Settings], company_id: int) -> Settings:
    """The company's saved settings, or the defaults (unsaved) while it has none."""
    rows: Any = model._default_manager  # every settings model has a ``company``
    found = rows.filter(company_id=company_id).first()
    return found if found is not None else model(company_id=company_id)


def settings_version(settings: models.Model) -> int:
    """The version a client edits: 0 while the company still runs on the defaults."""
    return int(getattr(settings, "version", 0)) if settings.pk is not None else 0


def whole_number(
    value: Any, name: str, low: int, high: int, problems: dict[str, list[str]], unit: str = ""
) -> int | None:
    """``value`` as a whole number from ``low`` to ``high`` (digits in text accepted)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        what = f"A whole number of {unit}" if unit else "A whole number"
        problems[name] = [f"{what} from {low} to {high}."]
        return None
    return value


def save_company_settings[Settings: ScopedModel](
    actor: Actor,
    model: type[Settings],
    company_id: Any,
    checked: Mapping[str, Any],
    *,
    expected_version: int | None,
    what: str,
) -> Settings:
    """Write the checked fields to the company's settings row, all or nothing.

    ``what`` names the settings in messages ("sales settings").
    """
    from crossdock.masterdata.models import Company

    with transaction.atomic():
        companies = Company.objects.filter(pk=company_id) if isinstance(company_id, int) else None
        if companies is not None and actor.user is not None:
            companies = companies.in_scope_of(actor.user)
        if companies is None or not companies.exists():
            raise NotFoundError(
                f"No company with id {company_id}.", fields={"company": ["No such company."]}
            )
        rows: Any = model._default_manager  # every settings model has a ``company``
        found = rows.select_for_update(of=("self",)).filter(company_id=company_id).first()
        settings: Settings = found or model(company_id=company_id)
        require(actor, settings, "change" if found else "add")
        current = settings_version(settings)
        if expected_version is not None and expected_version != current:
            raise StaleVersionError(
                f"These {what} were changed by someone else; reload and try again.",
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
                f"These {what} were saved by someone else; reload and try again.",
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
                settings._meta.label_lower,
                str(settings.pk),
                "updated" if found else "created",
                actor.user_id,
                company_id=company_id,
            )
        )
        return settings
