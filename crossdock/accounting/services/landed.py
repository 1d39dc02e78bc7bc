"""Landed costs: drafts, allocation over receipts, and posting to stock and cost of goods sold.

Design overview
---------------
A draft (:func:`create_landed_cost`, :func:`update_landed_cost`) names the
amount in company currency, the split method and its receipts: done moves
from a supplier into the company's stock, given one by one or as every such
move of receipt transfers. :func:`post_landed_cost` then

1. allocates the amount over the receipts by value received, quantity
   received or equally — each share rounded to the currency's minor unit,
   the last receipt (by move id) taking what rounding leaves, so the shares
   add up to the amount exactly;
2. revalues each receipt once (:func:`~.revaluation.revalue_receipts`): the
   share still on hand becomes a value-only valuation layer that later issues
   carry, the share already sold is cost of goods sold now;
3. posts one entry in the stock journal::

       Dr stock                (on-hand parts, per product and warehouse)
       Dr cost of goods sold   (sold parts, per product)
           Cr landed-cost clearing   (the amount)

   through :func:`~.posting.post_entries`, which refuses a locked date or a
   closed period — and since everything runs in one transaction, a refusal
   leaves no layer, line or entry behind.

The vendor bill that charged the cost books it to landed-cost clearing; the
posted landed cost clears it.

Posting locks, in order: the landed cost (its row only), the receipts'
valuation layers and cost pools (by key, in
:func:`~.revaluation.revalue_receipts`), the stock journal's counter, and last
the audit chain head — the order a delivery's validation takes them too
(:mod:`crossdock.inventory.services.validation`), so a landed cost posted while
the same product is delivered waits instead of deadlocking. Nothing here may
record an audit entry before the revaluation.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crossdock.accounting.models import (
    AccountRole,
    Invoice,
    InvoiceKind,
    InvoiceState,
    JournalEntry,
    JournalKind,
    LandedCost,
    LandedCostLine,
    LandedCostState,
    LandedCostTarget,
    SplitMethod,
)
from crossdock.accounting.services.ledger import accounts_by_role, journal_of, refuse_locked_dates
from crossdock.accounting.services.posting import EntryDraft, LineDraft, post_entries
from crossdock.accounting.services.revaluation import (
    Revaluation,
    moment_of,
    receipt_problem,
    revalue_receipts,
)
from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    StaleVersionError,
    refuse_if,
)
from crossdock.core.permissions import require
from crossdock.inventory.models import MoveState, StockMove, Transfer
from crossdock.inventory.selectors import layers_of_moves
from crossdock.masterdata.models import Company, LocationKind

ZERO = Decimal(0)


@dataclass(frozen=True)
class LandedCostInput:
    """A draft landed cost: what it costs, how to split it and over which receipts."""

    company_id: int
    date: datetime.date
    description: str
    amount: Decimal
    split_method: str = SplitMethod.BY_VALUE
    move_ids: Sequence[int] = ()
    transfer_references: Sequence[str] = ()  # every receipt move of these transfers
    vendor_bill_id: int | None = None


def lock_landed_cost(landed_cost_id: Any) -> LandedCost:
    """The landed cost's row, locked alone.

    The default ordering joins the company; a bare ``FOR UPDATE`` would lock the
    company's row too and stall every other transaction's foreign-key checks on it
    at commit (a deadlock with a delivery holding a cost pool).
    """
    found = (
        LandedCost.objects.select_for_update(of=("self",))
        .filter(pk=landed_cost_id)
        .order_by("pk")
        .first()
    )
    if found is None:
        raise NotFoundError(f"No landed cost with id {landed_cost_id}.")
    return found


def _receipt_moves(
    company: Company, data: LandedCostInput, problems: dict[str, list[str]]
) -> list[int]:
    """The receipt moves the draft names, checked; problems are added by field."""
    wanted = set(data.move_ids)
    moves = StockMove.objects.select_related("source").in_bulk(wanted)
    for move_id in sorted(wanted):
        problem = receipt_problem(moves.get(move_id), company.pk)
        if problem:
            problems.setdefault("moves", []).append(problem)
    references = sorted({r.strip() for r in data.transfer_references if r.strip()})
    if references:
        transfers = dict(
            Transfer.objects.filter(company=company, reference__in=references).values_list(
                "reference", "pk"
            )
        )
        for reference in references:
            if reference not in transfers:
                problems.setdefault("transfers", []).append(
                    f"No transfer {reference} in this company."
                )
                continue
            found = list(
                StockMove.objects.filter(
                    transfer_id=transfers[reference],
                    company=company,
                    state=MoveState.DONE,
                    source__kind=LocationKind.SUPPLIER,
                ).values_list("pk", flat=True)
            )
            if not found:
                problems.setdefault("transfers", []).append(
                    f"{reference} has no received goods from a supplier."
                )
            wanted.update(found)
    if not wanted and "moves" not in problems and "transfers" not in problems:
        problems["moves"] = ["Name the receipts (moves or receipt transfers) this cost belongs to."]
    return sorted(wanted)


def _validate(actor: Actor, data: LandedCostInput) -> tuple[Company, list[int]]:
    company = Company.objects.select_related("base_currency").filter(pk=data.company_id).first()
    if company is None:
        raise DomainError("company: No such company.", fields={"company": ["No such company."]})
    require(actor, LandedCost(company_id=company.pk), "add")
    problems: dict[str, list[str]] = {}
    if not data.description.strip():
        problems["description"] = ["Describe the cost (freight, duty, insurance…)."]
    amount = data.amount
    if not isinstance(amount, Decimal) or not amount.is_finite():
        problems["amount"] = ["The amount must be an exact decimal."]
    elif amount <= 0:
        problems["amount"] = ["The amount must be greater than zero."]
    elif amount != company.base_currency.round(amount):
        places = company.base_currency.minor_units
        problems["amount"] = [f"At most {places} decimal places in {company.base_currency.code}."]
    if data.split_method not in SplitMethod.values:
        problems["split_method"] = [f"One of {', '.join(SplitMethod.values)}."]
    if data.vendor_bill_id is not None:
        bill = Invoice.objects.filter(
            pk=data.vendor_bill_id, company=company, kind=InvoiceKind.VENDOR_BILL
        ).first()
        if bill is None or bill.state == InvoiceState.CANCELLED:
            problems["vendor_bill"] = ["No such vendor bill in this company."]
    move_ids = _receipt_moves(company, data, problems)
    if not problems:
        _refuse_before_receipt(data.date, move_ids, problems)
    if problems:
        refuse_if(problems)
    return company, move_ids


def _refuse_before_receipt(
    date: datetime.date, move_ids: list[int], problems: dict[str, list[str]]
) -> None:
    """A landed cost is dated on or after the day its goods arrived."""
    for move_id, done_at in (
        StockMove.objects.filter(pk__in=move_ids).order_by("pk").values_list("pk", "done_at")
    ):
        if done_at is not None and timezone.localdate(done_at) > date:
            received = timezone.localdate(done_at).isoformat()
            problems["date"] = [f"Move {move_id} was received on {received}, after this date."]
            return


def _write(landed: LandedCost, data: LandedCostInput, move_ids: list[int]) -> None:
    landed.date = data.date
    landed.description = data.description.strip()[:200]
    landed.amount = data.amount
    landed.split_method = data.split_method
    landed.vendor_bill_id = data.vendor_bill_id
    landed.save()
    landed.targets.all().delete()
    LandedCostTarget.objects.bulk_create(
        [LandedCostTarget(landed_cost=landed, move_id=move_id) for move_id in move_ids]
    )


def _snap(landed: LandedCost) -> dict[str, Any]:
    data = audit.snapshot(landed)
    data["moves"] = list(landed.targets.order_by("move_id").values_list("move_id", flat=True))
    data["lines"] = [
        {"move": move, "allocated": str(allocated), "on_hand": str(on_hand), "sold": str(sold)}
        for move, allocated, on_hand, sold in landed.lines.order_by("move_id").values_list(
            "move_id", "allocated", "on_hand", "sold"
        )
    ]
    return data


def create_landed_cost(actor: Actor, data: LandedCostInput) -> LandedCost:
    """Write a draft landed cost over receipts."""
    with transaction.atomic():
        company, move_ids = _validate(actor, data)
        landed = LandedCost(company=company)
        _write(landed, data, move_ids)
        audit.record(
            actor, audit.Change("accounting.landedcost.create", landed, None, _snap(landed))
        )
        return landed


def update_landed_cost(
    actor: Actor, landed_cost_id: Any, data: LandedCostInput, version: int | None = None
) -> LandedCost:
    """Replace a draft's amount, method and receipts (optimistic concurrency on ``version``)."""
    with transaction.atomic():
        landed = lock_landed_cost(landed_cost_id)
        require(actor, landed, "change")
        _refuse_unless_draft(landed)
        if version is not None and version != landed.version:
            raise StaleVersionError(
                f"{landed} was changed by someone else (version {landed.version}); reload it."
            )
        if data.company_id != landed.company_id:
            message = "A draft keeps its company."
            raise DomainError(f"company: {message}", fields={"company": [message]})
        _company, move_ids = _validate(actor, data)
        before = _snap(landed)
        landed.version += 1
        _write(landed, data, move_ids)
        audit.record(
            actor, audit.Change("accounting.landedcost.update", landed, before, _snap(landed))
        )
        return landed


def cancel_landed_cost(actor: Actor, landed_cost_id: Any) -> LandedCost:
    """Cancel a draft (a posted landed cost stays; its entry can be reversed by hand)."""
    with transaction.atomic():
        landed = lock_landed_cost(landed_cost_id)
        require(actor, landed, "change")
        _refuse_unless_draft(landed)
        before = _snap(landed)
        landed.state = LandedCostState.CANCELLED
        landed.version += 1
        landed.save(update_fields=["state", "version", "updated_at"])
        audit.record(
            actor, audit.Change("accounting.landedcost.cancel", landed, before, _snap(landed))
        )
        return landed


def _refuse_unless_draft(landed: LandedCost) -> None:
    if landed.state != LandedCostState.DRAFT:
        raise ConflictError(f"{landed} is {landed.get_state_display().lower()}, not a draft.")


# -- posting ---------------------------------------------------------------------------------


def allocate(amount: Decimal, weights: Sequence[Decimal], round_: Any) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights``; the last share takes the remainder."""
    total = sum(weights, ZERO)
    shares = []
    left = amount
    for index, weight in enumerate(weights):
        share = left if index == len(weights) - 1 else round_(amount * weight / total)
        shares.append(share)
        left -= share
    return shares


def _weights(landed: LandedCost, move_ids: list[int]) -> list[Decimal]:
    if landed.split_method == SplitMethod.EQUALLY:
        return [Decimal(1)] * len(move_ids)
    received: dict[int, tuple[Decimal, Decimal]] = {}
    for move_id, quantity, value in (
        layers_of_moves(move_ids, landed.company_id)
        .filter(quantity__gt=0)
        .values_list("move_id", "quantity", "value")
    ):
        received.setdefault(move_id, (quantity, value))
    if landed.split_method in (SplitMethod.BY_WEIGHT, SplitMethod.BY_VOLUME):
        return _physical_weights(landed, move_ids, received)
    column = 0 if landed.split_method == SplitMethod.BY_QUANTITY else 1
    weights = [received.get(move_id, (ZERO, ZERO))[column] for move_id in move_ids]
    if sum(weights, ZERO) <= 0:
        message = "The receipts were received at no value; split by quantity or equally."
        raise DomainError(f"split_method: {message}", fields={"split_method": [message]})
    return weights


def _physical_weights(
    landed: LandedCost, move_ids: list[int], received: dict[int, tuple[Decimal, Decimal]]
) -> list[Decimal]:
    """Quantity received × the product's weight (kg) or volume (m³), per receipt move."""
    from crossdock.inventory.models import StockMove

    by_weight = landed.split_method == SplitMethod.BY_WEIGHT
    measure = "product__weight_kg" if by_weight else "product__volume_m3"
    per_unit = dict(StockMove.objects.filter(pk__in=move_ids).values_list("pk", measure))
    missing = sorted(
        StockMove.objects.filter(pk__in=[m for m in move_ids if per_unit.get(m) is None])
        .values_list("product__sku", flat=True)
        .distinct()
    )
    if missing:
        what = "weight" if by_weight else "volume"
        message = f"No {what} is recorded for {', '.join(missing)}; record it or split otherwise."
        raise DomainError(f"split_method: {message}", fields={"split_method": [message]})
    weights = [received.get(m, (ZERO, ZERO))[0] * per_unit[m] for m in move_ids]
    if sum(weights, ZERO) <= 0:
        message = "The receipts weigh nothing; split by quantity or equally."
        raise DomainError(f"split_method: {message}", fields={"split_method": [message]})
    return weights


def post_landed_cost(actor: Actor, landed_cost_id: Any) -> LandedCost:
    """Allocate, revalue the receipts and post one entry; number the landed cost."""
    with transaction.atomic():
        landed = lock_landed_cost(landed_cost_id)
        require(actor, landed, "change")
        _refuse_unless_draft(landed)
        company = Company.objects.select_related("base_currency").get(pk=landed.company_id)
        refuse_locked_dates(company.pk, [landed.date])
        move_ids = list(landed.targets.order_by("move_id").values_list("move_id", flat=True))
        if not move_ids:
            message = "A landed cost needs at least one receipt."
            raise DomainError(f"moves: {message}", fields={"moves": [message]})
        shares = allocate(landed.amount, _weights(landed, move_ids), company.base_currency.round)
        results = revalue_receipts(
            company.pk,
            list(zip(move_ids, shares, strict=True)),
            moment_of(landed.date),
            f"Landed cost: {landed.description}"[:200],
        )
        (entry_id,) = post_entries(actor, [_entry(landed, results)], check_permission=False)
        LandedCostLine.objects.bulk_create(
            [
                LandedCostLine(
                    landed_cost=landed,
                    move_id=r.move_id,
                    product_id=r.product_id,
                    allocated=r.amount,
                    on_hand=r.on_hand,
                    sold=r.sold,
                )
                for r in results
            ]
        )
        before = _snap(landed)
        landed.entry_id = entry_id
        landed.number = JournalEntry.objects.values_list("number", flat=True).get(pk=entry_id)
        landed.state = LandedCostState.POSTED
        landed.posted_at = timezone.now()
        landed.version += 1
        landed.save()
        audit.record(
            actor, audit.Change("accounting.landedcost.post", landed, before, _snap(landed))
        )
        return landed


def _entry(landed: LandedCost, results: list[Revaluation]) -> EntryDraft:
    accounts = accounts_by_role(landed.company_id)
    stock: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    sold: dict[int, Decimal] = defaultdict(Decimal)
    for result in results:
        stock[(result.product_id, result.warehouse_id)] += result.on_hand
        sold[result.product_id] += result.sold
    label = landed.description[:200]
    lines = [
        LineDraft(
            accounts[AccountRole.STOCK].pk,
            debit=amount,
            label=label,
            product_id=product,
            warehouse_id=warehouse,
        )
        for (product, warehouse), amount in sorted(
            stock.items(), key=lambda x: (x[0][0], x[0][1] or 0)
        )
        if amount
    ]
    lines += [
        LineDraft(
            accounts[AccountRole.COST_OF_GOODS_SOLD].pk,
            debit=amount,
            label=label,
            product_id=product,
        )
        for product, amount in sorted(sold.items())
        if amount
    ]
    lines.append(
        LineDraft(accounts[AccountRole.LANDED_COST_CLEARING].pk, credit=landed.amount, label=label)
    )
    return EntryDraft(
        company_id=landed.company_id,
        journal_id=journal_of(landed.company_id, JournalKind.STOCK).pk,
        date=landed.date,
        lines=lines,
        memo=f"Landed cost — {landed.description}",
        source_type="accounting.landedcost",
        source_id=str(landed.pk),
    )
