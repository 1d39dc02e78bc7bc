"""Sales price lists: creating them, proposing price changes, and applying approved ones.

Design overview
---------------
A price list's items change only through a :class:`PriceListChange`.
:func:`propose_price_changes` turns the requested lines (a product, a
minimum quantity, optionally a start date, and a new price or ``None`` for a
removal) into a draft change, recording each matched item's current price as
the line's old price; :func:`revise_price_change` replaces the lines of a
draft. :func:`submit_price_change` sends the change to the approvals engine
(document type ``price-list-change``): when no policy of the company matches
its facts, :func:`apply_price_change` runs at once; otherwise the change waits
in ``submitted`` and the list stays as it is until the last approver approves.
A rejection puts the change back to ``draft`` with the reason, and submitting
it again evaluates the policies afresh.

Applying locks the price list row, checks that every updated or removed item
still has the price the change was judged on (a change approved against a
price that has since moved is refused, not half-applied), writes every item in
one transaction with bulk operations and records one audit entry with the
lines before and after; it publishes ``masterdata.pricelist.updated`` for webhooks.

:func:`change_facts` computes what policies may test: the largest price cut
in percent, the number of lines, the product category the lines share, the
company, and — where a product's standard cost is kept in the list's
currency — the lowest resulting margin and the largest drop in margin.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError
from crossdock.core.fields import PRICE_SCALE, QUANTITY_SCALE
from crossdock.core.permissions import require
from crossdock.core.records import create_record
from crossdock.masterdata.models import (
    PriceChangeAction,
    PriceChangeState,
    PriceList,
    PriceListChange,
    PriceListChangeLine,
    PriceListItem,
    Product,
)

PRICE_LIST_CHANGE = "price-list-change"
MAX_LINES = 5000
HUNDRED = Decimal(100)
PERCENT = Decimal("0.01")
ACTIONS = ("add", "update", "remove")


@dataclass(frozen=True)
class PriceLine:
    """One requested change: ``new_price`` ``None`` removes the item."""

    product_id: int
    new_price: Decimal | None
    min_quantity: Decimal = Decimal(1)
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None


def create_price_list(actor: Actor, data: Mapping[str, Any]) -> PriceList:
    """Create an (empty) price list; its items come through price changes."""
    return create_record(actor, PriceList, data)


def lock_price_list(price_list_id: Any) -> PriceList:
    found = PriceList.objects.select_for_update().filter(pk=price_list_id).first()
    if found is None:
        raise NotFoundError(f"No price list with id {price_list_id}.")
    return found


def lock_change(change_id: Any) -> PriceListChange:
    found = (
        PriceListChange.objects.select_for_update(of=("self",))
        .select_related("price_list")
        .filter(pk=change_id)
        .first()
    )
    if found is None:
        raise NotFoundError(f"No price change with id {change_id}.")
    return found


def _refuse(problems: dict[str, list[str]]) -> None:
    if problems:
        name, messages = next(iter(problems.items()))
        raise DomainError(f"{name}: {messages[0]}", fields=problems)


def _exact(value: Any, scale: int, where: str, problems: dict[str, list[str]]) -> Decimal | None:
    if isinstance(value, float | bool) or value is None:
        problems[where] = ["Give an exact decimal."]
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        problems[where] = ["Not a number."]
        return None
    if not number.is_finite():
        problems[where] = ["Not a number."]
    elif number < 0:
        problems[where] = ["Cannot be negative."]
    elif -number.as_tuple().exponent > scale:  # type: ignore[operator]
        problems[where] = [f"At most {scale} decimal places."]
    else:
        return number
    return None


def _build_lines(
    price_list: PriceList, lines: Sequence[PriceLine], today: datetime.date
) -> list[PriceListChangeLine]:
    """Validate the requested lines against the list's items; refuse with every problem."""
    problems: dict[str, list[str]] = {}
    if not lines:
        problems["lines"] = ["Propose at least one change."]
    if len(lines) > MAX_LINES:
        problems["lines"] = [f"At most {MAX_LINES} lines in one change."]
    _refuse(problems)
    products = Product.objects.in_bulk({line.product_id for line in lines})
    items = list(
        PriceListItem.objects.filter(
            price_list=price_list, product_id__in=[line.product_id for line in lines]
        )
    )
    built: list[PriceListChangeLine] = []
    seen: set[tuple[int, Decimal, datetime.date]] = set()
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        if line.product_id not in products:
            problems[f"{where}.product"] = ["No such product."]
            continue
        quantity = _exact(line.min_quantity, QUANTITY_SCALE, f"{where}.min_quantity", problems)
        price = (
            None
            if line.new_price is None
            else _exact(line.new_price, PRICE_SCALE, f"{where}.new_price", problems)
        )
        if quantity is None or (line.new_price is not None and price is None):
            continue
        item = _matching_item(items, line, quantity, today)
        if item is None and price is None:
            problems[f"{where}.new_price"] = ["There is no such price to remove."]
            continue
        valid_from = line.valid_from or (item.valid_from if item else None) or today
        valid_to = line.valid_to if line.valid_to is not None or item is None else item.valid_to
        if valid_to is not None and valid_to < valid_from:
            problems[f"{where}.valid_to"] = ["Must be on or after valid_from."]
            continue
        key = (line.product_id, quantity, valid_from)
        if key in seen:
            problems[f"{where}.product"] = ["The same price is changed twice in this proposal."]
            continue
        seen.add(key)
        action = (
            PriceChangeAction.ADD
            if item is None
            else PriceChangeAction.REMOVE
            if price is None
            else PriceChangeAction.UPDATE
        )
        built.append(
            PriceListChangeLine(
                action=action,
                item=item,
                product=products[line.product_id],
                min_quantity=quantity,
                valid_from=valid_from,
                valid_to=valid_to,
                old_price=item.unit_price if item else None,
                new_price=price,
            )
        )
    _refuse(problems)
    return built


def _matching_item(
    items: list[PriceListItem], line: PriceLine, quantity: Decimal, today: datetime.date
) -> PriceListItem | None:
    """The item a line changes: the one starting on its date, else the one valid today."""
    candidates = [
        i for i in items if i.product_id == line.product_id and i.min_quantity == quantity
    ]
    if line.valid_from is not None:
        return next((i for i in candidates if i.valid_from == line.valid_from), None)
    current = [
        i
        for i in candidates
        if i.valid_from <= today and (i.valid_to is None or i.valid_to >= today)
    ]
    return max(current, key=lambda i: i.valid_from, default=None)


def _lines_snapshot(change: PriceListChange) -> list[dict[str, Any]]:
    return [
        audit.json_ready(
            {
                "action": line.action,
                "product": line.product_id,
                "min_quantity": line.min_quantity,
                "valid_from": line.valid_from,
                "valid_to": line.valid_to,
                "old_price": line.old_price,
                "new_price": line.new_price,
            }
        )
        for line in change.lines.order_by("pk")
    ]


def _snapshot(change: PriceListChange) -> dict[str, Any]:
    data = audit.snapshot(change)
    data["lines"] = _lines_snapshot(change)
    return data


def propose_price_changes(
    actor: Actor, price_list_id: Any, lines: Sequence[PriceLine], note: str = ""
) -> PriceListChange:
    """Record a draft change of a price list's items (nothing changes on the list yet)."""
    with transaction.atomic():
        price_list = lock_price_list(price_list_id)
        change = PriceListChange(
            company_id=price_list.company_id, price_list=price_list, state=PriceChangeState.DRAFT,
            note=note[:200], requested_by=actor.user,
        )  # fmt: skip
        require(actor, change, "add")
        built = _build_lines(price_list, lines, timezone.localdate())
        change.save()
        change.reference = f"PRICE/{price_list.code}/{change.pk:05d}"
        change.save(update_fields=["reference"])
        for line in built:
            line.change = change
        PriceListChangeLine.objects.bulk_create(built)
        audit.record(actor, audit.Change("create", change, None, _snapshot(change)))
        return change


def revise_price_change(
    actor: Actor, change_id: Any, lines: Sequence[PriceLine], note: str | None = None
) -> PriceListChange:
    """Replace the lines of a draft (e.g. rejected) change."""
    with transaction.atomic():
        change = lock_change(change_id)
        require(actor, change, "change")
        if change.state != PriceChangeState.DRAFT:
            raise ConflictError(f"{change} is {change.get_state_display().lower()}.")
        before = _snapshot(change)
        built = _build_lines(change.price_list, lines, timezone.localdate())
        change.lines.all().delete()
        for line in built:
            line.change = change
        PriceListChangeLine.objects.bulk_create(built)
        if note is not None:
            change.note = note[:200]
        change.version += 1
        change.save(update_fields=["note", "version", "updated_at"])
        audit.record(
            actor, audit.Change("masterdata.pricechange.revise", change, before, _snapshot(change))
        )
        return change


def submit_price_change(actor: Actor, change_id: Any) -> PriceListChange:
    """Send a draft change to the approvals engine; applied at once when no policy applies."""
    from crossdock.approvals.services import submit

    with transaction.atomic():
        change = lock_change(change_id)
        require(actor, change, "change")
        if change.state != PriceChangeState.DRAFT:
            raise ConflictError(f"{change} is {change.get_state_display().lower()}.")
        before = audit.snapshot(change)
        change.state = PriceChangeState.SUBMITTED
        change.submitted_at = timezone.now()
        change.rejection_comment = ""
        change.version += 1
        change.save(
            update_fields=["state", "submitted_at", "rejection_comment", "version", "updated_at"]
        )
        audit.record(
            actor,
            audit.Change("masterdata.pricechange.submit", change, before, audit.snapshot(change)),
        )
        submit(actor, change)
        change.refresh_from_db()
        return change


def apply_price_change(actor: Actor, change: PriceListChange) -> None:
    """Write an approved change to its list's items, all or nothing (the engine calls this)."""
    with transaction.atomic():
        price_list = lock_price_list(change.price_list_id)
        lines = list(change.lines.select_related("item").order_by("pk"))
        stale = [
            line
            for line in lines
            if line.action != PriceChangeAction.ADD
            and (line.item is None or line.item.unit_price != line.old_price)
        ]
        if stale:
            raise ConflictError(
                f"{change}: the price of product {stale[0].product_id} changed since this "
                "change was proposed; propose it again.",
            )
        before = [audit.snapshot(line.item) for line in lines if line.item is not None]
        removed = [
            line.item.pk
            for line in lines
            if line.action == PriceChangeAction.REMOVE and line.item is not None
        ]
        PriceListItem.objects.filter(pk__in=removed).delete()
        updated = []
        for line in lines:
            if line.action == PriceChangeAction.UPDATE and line.item is not None:
                line.item.unit_price = line.new_price  # type: ignore[assignment]
                line.item.valid_to = line.valid_to
                updated.append(line.item)
        PriceListItem.objects.bulk_update(updated, ["unit_price", "valid_to"])
        added = _add_items(price_list, [line for line in lines if line.action == "add"])
        PriceListChange.objects.filter(pk=change.pk).update(
            state=PriceChangeState.APPLIED, applied_at=timezone.now(), updated_at=timezone.now()
        )
        after = [audit.snapshot(item) for item in [*updated, *added]]
        audit.record(
            actor,
            audit.Change(
                "masterdata.pricelist.apply",
                price_list,
                {"items": before},
                {"items": after, "change": change.pk, "removed": removed},
            ),
        )
        events.publish(
            events.RecordChanged(
                "masterdata.pricelist",
                str(price_list.pk),
                "updated",
                company_id=price_list.company_id,
                actor_id=actor.user_id,
            )
        )


def _add_items(price_list: PriceList, lines: list[PriceListChangeLine]) -> list[PriceListItem]:
    wanted = [
        PriceListItem(
            price_list=price_list, product_id=line.product_id, min_quantity=line.min_quantity,
            unit_price=line.new_price, valid_from=line.valid_from, valid_to=line.valid_to,
        )  # type: ignore[misc]
        for line in lines
    ]  # fmt: skip
    taken = set(
        PriceListItem.objects.filter(
            price_list=price_list, product_id__in=[i.product_id for i in wanted]
        ).values_list("product_id", "min_quantity", "valid_from")
    )
    clash = next((i for i in wanted if (i.product_id, i.min_quantity, i.valid_from) in taken), None)
    if clash is not None:
        raise ConflictError(
            f"Product {clash.product_id} already has a price from {clash.min_quantity} "
            f"starting {clash.valid_from.isoformat()}; propose a new price for it instead.",
        )
    return PriceListItem.objects.bulk_create(wanted)


def price_change_rejected(actor: Actor, change: PriceListChange, comment: str) -> None:
    """The approvals engine rejected the change: back to draft for its requester."""
    PriceListChange.objects.filter(pk=change.pk).update(
        state=PriceChangeState.DRAFT, rejection_comment=comment, updated_at=timezone.now()
    )
    audit.record(
        actor, audit.Change("masterdata.pricechange.rejected", change, None, {"comment": comment})
    )


# -- facts for the approval policies ------------------------------------------------------------


def _percent(value: Decimal) -> Decimal:
    return value.quantize(PERCENT)


def _margin(price: Decimal, cost: Decimal) -> Decimal | None:
    return None if price <= 0 else (price - cost) / price * HUNDRED


def _common_path(paths: list[str]) -> str | None:
    if not paths:
        return None
    parts = [p.split("/") for p in paths]
    shared: list[str] = []
    for names in zip(*parts, strict=False):
        if len(set(names)) != 1:
            break
        shared.append(names[0])
    return "/".join(shared) or None


def change_facts(change: PriceListChange) -> dict[str, Any]:
    """What approval policies may test about a price change (see the module docstring)."""
    price_list = change.price_list
    lines = list(change.lines.select_related("product__category"))
    cuts = [
        (line.old_price - line.new_price) / line.old_price * HUNDRED
        for line in lines
        if line.old_price and line.new_price is not None and line.new_price < line.old_price
    ]
    margins: list[Decimal] = []
    drops: list[Decimal] = []
    for line in lines:
        product = line.product
        if product.standard_cost <= 0 or product.currency_id != price_list.currency_id:
            continue  # no cost known in the list's currency
        new = _margin(line.new_price, product.standard_cost) if line.new_price is not None else None
        old = _margin(line.old_price, product.standard_cost) if line.old_price is not None else None
        if new is not None:
            margins.append(new)
        if new is not None and old is not None:
            drops.append(old - new)
    return {
        "discount_pct": _percent(max(cuts, default=Decimal(0))),
        "lines": Decimal(len(lines)),
        "category": _common_path(sorted({line.product.category.path for line in lines})),
        "company": price_list.company.code,
        "margin_pct": _percent(min(margins)) if margins else None,
        "margin_drop_pct": _percent(max(drops)) if drops else None,
    }


def change_summary(change: PriceListChange) -> dict[str, str]:
    """The figures an approver sees: the list, the biggest cuts, the categories touched."""
    lines = list(change.lines.select_related("product__category").order_by("pk"))
    counts = {action: sum(1 for line in lines if line.action == action) for action in ACTIONS}
    cuts = sorted(
        (
            ((line.old_price - line.new_price) / line.old_price * HUNDRED, line)
            for line in lines
            if line.old_price and line.new_price is not None and line.new_price < line.old_price
        ),
        key=lambda pair: -pair[0],
    )
    categories = sorted({line.product.category.path for line in lines})
    currency = change.price_list.currency.code
    return {
        "Price list": str(change.price_list),
        "Requested by": change.requested_by.get_username() if change.requested_by else "system",
        "Lines": f"{len(lines)} ({counts['add']} new, {counts['update']} new prices, "
        f"{counts['remove']} removed)",
        "Largest cuts": "; ".join(
            f"{line.product.sku} {line.old_price.normalize():f} → "  # type: ignore[union-attr]
            f"{line.new_price.normalize():f} {currency} (−{_percent(cut)} %)"  # type: ignore[union-attr]
            for cut, line in cuts[:5]
        )
        or "none",
        "Categories": "; ".join(categories[:10]) or "—",
        "Note": change.note or "—",
    }
