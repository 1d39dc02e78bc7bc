"""Putaway rules: where received stock lands, and keeping the rules.

When a receipt, an arrival from another warehouse or the last step of a
multi-step receipt is validated into a warehouse's stock location, each done
line is sent to the location of the best rule for its product instead: a rule
for the product beats one for its category, a rule for a category covers its
sub-categories (the closest one wins), and among equals the lowest sequence
wins. Lines with no rule stay where the transfer said. The rules are read once
per validation, set-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError, StaleVersionError
from crossdock.core.permissions import require
from crossdock.inventory.models import MoveLine, PutawayRule, Transfer, TransferKind
from crossdock.inventory.services.documents import fail, refuse
from crossdock.masterdata.models import (
    Location,
    LocationKind,
    Product,
    ProductCategory,
    Warehouse,
)
from crossdock.masterdata.models.organisation import INTERNAL_KINDS
from crossdock.masterdata.services import warehouse_location

ARRIVING = (TransferKind.RECEIPT, TransferKind.TRANSIT_IN)


def applies_to(transfer: Transfer) -> bool:
    """A receipt, an arrival, or the last step of a multi-step receipt."""
    if transfer.kind in ARRIVING:
        return True
    return (
        transfer.kind == TransferKind.INTERNAL
        and transfer.previous_step_id is not None
        and transfer.final_destination_id == transfer.destination_id
    )


def put_away(transfer: Transfer, lines: list[MoveLine]) -> None:
    """Send the done lines landing in the warehouse's stock location where the rules say."""
    if not applies_to(transfer):
        return
    stock = warehouse_location(transfer.warehouse, LocationKind.RESERVE)
    landing = [ln for ln in lines if stock is not None and ln.destination_id == stock.pk]
    if not landing:
        return
    rules = list(
        PutawayRule.objects.filter(warehouse_id=transfer.warehouse_id, location__active=True)
        .select_related("category")
        .order_by("sequence", "pk")
    )
    if not rules:
        return
    by_product: dict[int, int] = {}
    by_category: dict[str, int] = {}
    for rule in rules:
        if rule.product_id is not None:
            by_product.setdefault(rule.product_id, rule.location_id)
        elif rule.category is not None:
            by_category.setdefault(rule.category.path, rule.location_id)
    category_of = dict(
        Product.objects.filter(pk__in={ln.product_id for ln in landing}).values_list(
            "pk", "category__path"
        )
    )
    for line in landing:
        target = by_product.get(line.product_id)
        path = category_of.get(line.product_id) or ""
        while target is None and path:
            target = by_category.get(path)
            path = path.rpartition("/")[0]
        if target is not None:
            line.destination_id = target


# -- keeping the rules ----------------------------------------------------------------------


@dataclass(frozen=True)
class PutawayRuleDraft:
    warehouse_id: int
    location_id: int
    product_id: int | None = None
    category_id: int | None = None
    sequence: int = 10


def _checked(draft: PutawayRuleDraft) -> dict[str, Any]:
    problems: dict[str, list[str]] = {}
    warehouse = Warehouse.objects.filter(pk=draft.warehouse_id).first()
    if warehouse is None:
        refuse("warehouse", "Unknown warehouse.")
    assert warehouse is not None
    location = Location.objects.filter(pk=draft.location_id).first()
    if location is None:
        problems["location"] = ["Unknown location."]
    elif location.company_id != warehouse.company_id:
        problems["location"] = [f"{location.path} belongs to another company."]
    elif location.warehouse_id != warehouse.pk or location.kind not in INTERNAL_KINDS:
        problems["location"] = [f"Choose a stock location of {warehouse.code}."]
    if (draft.product_id is None) == (draft.category_id is None):
        problems["product"] = ["Choose a product or a category (not both)."]
    elif draft.product_id is not None and not Product.objects.filter(pk=draft.product_id).exists():
        problems["product"] = ["Unknown product."]
    elif (
        draft.category_id is not None
        and not ProductCategory.objects.filter(pk=draft.category_id).exists()
    ):
        problems["category"] = ["Unknown category."]
    if draft.sequence < 0:
        problems["sequence"] = ["The sequence cannot be negative."]
    fail(problems)
    return {
        "company_id": warehouse.company_id,
        "warehouse_id": warehouse.pk,
        "location_id": draft.location_id,
        "product_id": draft.product_id,
        "category_id": draft.category_id,
        "sequence": draft.sequence,
    }


def save_putaway_rule(
    actor: Actor,
    draft: PutawayRuleDraft,
    pk: int | None = None,
    *,
    expected_version: int | None = None,
) -> PutawayRule:
    """Create a putaway rule, or change rule ``pk`` (at ``expected_version`` if given); audited."""
    values = _checked(draft)
    with transaction.atomic():
        if pk is None:
            rule = PutawayRule(**values)
            before: dict[str, Any] | None = None
            action = "create"
        else:
            found = PutawayRule.objects.select_for_update().filter(pk=pk).first()
            if found is None:
                raise NotFoundError(f"No putaway rule with id {pk}.")
            rule = found
            require(actor, rule, "change")
            if expected_version is not None and rule.version != expected_version:
                raise StaleVersionError(
                    f"The rule changed since you read it (version {rule.version})."
                )
            before = audit.snapshot(rule)
            for name, value in values.items():
                setattr(rule, name, value)
            rule.version += 1
            action = "update"
        require(actor, rule, "add" if pk is None else "change")
        rule.save()
        audit.record(actor, audit.Change(action, rule, before, audit.snapshot(rule)))
        return rule


def delete_putaway_rule(actor: Actor, pk: int, *, expected_version: int | None = None) -> None:
    """Delete putaway rule ``pk`` (at ``expected_version`` if given); audited."""
    with transaction.atomic():
        rule = PutawayRule.objects.select_for_update().filter(pk=pk).first()
        if rule is None:
            raise NotFoundError(f"No putaway rule with id {pk}.")
        require(actor, rule, "delete")
        if expected_version is not None and rule.version != expected_version:
            raise StaleVersionError(f"The rule changed since you read it (version {rule.version}).")
        audit.record(actor, audit.Change("delete", rule, audit.snapshot(rule), None))
        rule.delete()
