"""Margin floors: per product category and company, the lowest gross margin (and, if set,
the largest discount) a line may be sold at without a sales manager's approval.

Design overview
---------------
Product categories are group-wide; a floor belongs to one company and names one category
(which also covers its sub-categories unless they have a floor of their own — see
:func:`crossdock.sales.services.pricing.floors`). A company has at most one floor per
category. :func:`create_margin_floor` and :func:`update_margin_floor` check every field
first — the minimum margin an exact decimal of at most four places from 0 up to (not
including) 100 %, the discount limit empty or from 0 to 100 % — and refuse them all at
once naming each field; nothing is written then. Updates and removals may name the version
the caller edited and are refused when someone else saved in between. Every change is
audited (before and after) and published as ``sales.marginfloor.created`` /
``.updated`` / ``.deleted``. Pricing reads the floors when an order is priced, so a change
applies to the next order priced, never to lines already priced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, NotFoundError, StaleVersionError, refuse_if
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company, ProductCategory
from crossdock.sales.models import MarginFloor
from crossdock.sales.services.settings import MAX_PERCENT, percent

OBJECT_TYPE = "sales.marginfloor"
CHANGEABLE = ("min_margin_percent", "max_discount_percent")


@dataclass(frozen=True)
class MarginFloorDraft:
    company_id: int
    category_id: Any
    min_margin_percent: Any
    max_discount_percent: Any = None  # None: the company's discount limit applies


def _check_percents(data: Mapping[str, Any], problems: dict[str, list[str]]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    if "min_margin_percent" in data:
        minimum = percent(data["min_margin_percent"], "min_margin_percent", problems)
        if minimum is not None and minimum >= MAX_PERCENT:
            problems["min_margin_percent"] = [f"Less than {MAX_PERCENT} %."]
        elif minimum is not None:
            checked["min_margin_percent"] = minimum
    if "max_discount_percent" in data:
        value = data["max_discount_percent"]
        if value is None or (isinstance(value, str) and not value.strip()):
            checked["max_discount_percent"] = None
        else:
            limit = percent(value, "max_discount_percent", problems)
            if limit is not None:
                checked["max_discount_percent"] = limit
    return checked


def _company(actor: Actor, company_id: Any) -> Company:
    companies = Company.objects.filter(pk=company_id if isinstance(company_id, int) else 0)
    if actor.user is not None:
        companies = companies.in_scope_of(actor.user)
    company = companies.first()
    if company is None:
        raise NotFoundError(
            f"No company with id {company_id}.", fields={"company": ["No such company."]}
        )
    return company


def _taken(company: Company, category: ProductCategory) -> ConflictError:
    message = f"{company.code} already has a margin floor for {category.path}; change that one."
    return ConflictError(f"category: {message}", fields={"category": [message]})


def _published(actor: Actor, floor: MarginFloor, action: str) -> None:
    events.publish(
        events.RecordChanged(
            OBJECT_TYPE, str(floor.pk), action, actor.user_id, company_id=floor.company_id
        )
    )


def lock_floor(floor_id: Any) -> MarginFloor:
    found = (
        MarginFloor.objects.select_for_update(of=("self",))
        .select_related("company", "category")
        .filter(pk=floor_id if isinstance(floor_id, int) else 0)
        .first()
    )
    if found is None:
        raise NotFoundError(f"No margin floor with id {floor_id}.")
    return found


def _visible_floor(actor: Actor, floor_id: Any, action: str) -> MarginFloor:
    floor = lock_floor(floor_id)
    if actor.user is not None and not (
        Company.objects.in_scope_of(actor.user).filter(pk=floor.company_id).exists()
    ):
        raise NotFoundError(f"No margin floor with id {floor_id}.")
    require(actor, floor, action)
    return floor


def _check_version(floor: MarginFloor, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != floor.version:
        raise StaleVersionError(
            "This margin floor was changed by someone else; reload and try again.",
            fields={"version": [f"The margin floor is at version {floor.version} now."]},
        )


def create_margin_floor(actor: Actor, draft: MarginFloorDraft) -> MarginFloor:
    """Add the company's margin floor for a category (one per category and company)."""
    problems: dict[str, list[str]] = {}
    checked = _check_percents(
        {
            "min_margin_percent": draft.min_margin_percent,
            "max_discount_percent": draft.max_discount_percent,
        },
        problems,
    )
    category_id = draft.category_id
    category = None
    if isinstance(category_id, int) and not isinstance(category_id, bool):
        category = ProductCategory.objects.filter(pk=category_id).first()
    if category is None:
        problems["category"] = [f"No product category with id {category_id}."]
    refuse_if(problems)
    assert category is not None
    with transaction.atomic():
        company = _company(actor, draft.company_id)
        floor = MarginFloor(company=company, category=category, **checked)
        require(actor, floor, "add")
        if MarginFloor.objects.filter(company=company, category=category).exists():
            raise _taken(company, category)
        try:
            with transaction.atomic():
                floor.save()
        except IntegrityError as error:  # another request added it first
            raise _taken(company, category) from error
        floor.refresh_from_db()
        audit.record(actor, audit.Change("create", floor, None, audit.snapshot(floor)))
        _published(actor, floor, "created")
        return floor


def update_margin_floor(
    actor: Actor,
    floor_id: Any,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> MarginFloor:
    """Change a floor's minimum margin and/or discount limit (its category stays)."""
    problems: dict[str, list[str]] = {}
    for name in changes:
        if name not in CHANGEABLE:
            problems[name] = [
                "A floor's company and category cannot change; remove it and add another."
                if name in ("company", "category")
                else f"Unknown field; use {', '.join(CHANGEABLE)}."
            ]
    checked = _check_percents(changes, problems)
    refuse_if(problems)
    with transaction.atomic():
        floor = _visible_floor(actor, floor_id, "change")
        _check_version(floor, expected_version)
        changed = {k: v for k, v in checked.items() if getattr(floor, k) != v}
        if not changed:
            return floor
        before = audit.snapshot(floor)
        for name, value in changed.items():
            setattr(floor, name, value)
        floor.version += 1
        floor.save()
        floor.refresh_from_db()
        audit.record(actor, audit.Change("update", floor, before, audit.snapshot(floor)))
        _published(actor, floor, "updated")
        return floor


def delete_margin_floor(
    actor: Actor, floor_id: Any, *, expected_version: int | None = None
) -> None:
    """Remove a floor: the category falls back to its parent's floor (or none)."""
    with transaction.atomic():
        floor = _visible_floor(actor, floor_id, "delete")
        _check_version(floor, expected_version)
        before = audit.snapshot(floor)
        audit.record(actor, audit.Change("delete", floor, before, None))
        _published(actor, floor, "deleted")
        floor.delete()
