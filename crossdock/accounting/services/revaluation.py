"""Value-only revaluation of received stock: one layer per receipt, no re-costing of history.

Design overview
---------------
A landed cost (freight, duty, insurance) or a vendor bill's price difference
arrives after the goods: part of the receipt may already be sold. Rather than
recompute every later issue, :func:`revalue_receipts` splits each amount in
two, once, at the moment it is booked:

* the **on-hand part** — what the receipt still holds — enters stock: a
  value-only :class:`~crossdock.inventory.models.ValuationLayer` (quantity 0,
  value = the on-hand part, on the receipt's move) and the same amount added
  to what later issues will carry (the FIFO layer's ``remaining_value``, or
  the average-cost pool's value);
* the **sold part** — the rest — belongs to what has already left: the caller
  books it to cost of goods sold (a landed cost) or purchase price variance
  (a bill's price difference).

The share still on hand, by the product's costing method:

* FIFO: the receipt's own layer, ``remaining_quantity / quantity``;
* average cost: the receipt's units are mixed with every other unit in the
  pool and cannot be told apart, so the receipt is taken to be sold last —
  as much of it is on hand as the pool still holds, i.e.
  ``min(1, pool quantity / receipt quantity)`` (0 when the pool is empty);
* standard cost: stock stays at standard, so nothing goes to stock and the
  whole amount is the "sold" part (variance or cost of goods sold).

The on-hand part is rounded once to the company currency's minor unit and the
sold part takes the remainder, so the parts add up to the amount exactly.

Rows are locked in the order a transfer's validation takes them (see
:mod:`crossdock.inventory.services.validation`): the receipts' layers by key,
then cost pools by key, then — in the caller's posting — the journal's number
counter and, last, the audit chain head. The caller takes no audit entry
before calling here, so a revaluation and a validation of the same product
queue at the first layer or pool they share instead of deadlocking. No
:class:`~crossdock.inventory.events.StockValued` is published: the caller
posts the entry (stock for the on-hand parts per product, the other side for
the sold parts) in the same transaction, which keeps the stock accounts equal
to the sum of the layers, to the cent, for ``crossdock audit``.

A vendor bill's price difference (:func:`price_difference_lines`) goes to
purchase price variance, or — when the company's ledger settings say
``price_difference = "stock"`` — its on-hand part to stock and only the sold
part to variance.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from crossdock.accounting.models import AccountRole, InvoiceKind, PriceDifference
from crossdock.accounting.services.ledger import ensure_ledger
from crossdock.accounting.services.posting import LineDraft
from crossdock.core.errors import DomainError
from crossdock.inventory.models import CostPool, MoveState, StockMove, ValuationLayer
from crossdock.inventory.selectors import layers_of_moves
from crossdock.masterdata.models import Company, CostingMethod, LocationKind, Product

if TYPE_CHECKING:
    from crossdock.accounting.models import Account, Invoice, InvoiceLine

ZERO = Decimal(0)


@dataclass(frozen=True)
class Revaluation:
    """What one receipt's revaluation did: the amount split into on-hand and sold parts."""

    move_id: int
    product_id: int
    warehouse_id: int | None
    amount: Decimal
    on_hand: Decimal
    sold: Decimal


def moment_of(day: datetime.date) -> datetime.datetime:
    """The instant a revaluation dated ``day`` is recorded at: now for today, else local noon.

    The layer's local date is the entry's date, so the reconciliation as of
    any date sees both or neither.
    """
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def receipt_problem(move: StockMove | None, company_id: int) -> str | None:
    """Why ``move`` cannot be revalued in ``company_id`` (``None`` when it can)."""
    if move is None or move.company_id != company_id:
        return "No such stock move in this company."
    if move.state != MoveState.DONE:
        return f"Move {move.pk} is not done yet; only received stock can be revalued."
    if move.source.kind != LocationKind.SUPPLIER:
        return f"Move {move.pk} is not a receipt from a supplier."
    return None


def revalue_receipt(
    company_id: int, move_id: int, amount: Decimal, when: datetime.datetime, description: str
) -> tuple[Decimal, Decimal]:
    """Revalue one receipt by ``amount``; return ``(on_hand_part, sold_part)``."""
    (result,) = revalue_receipts(company_id, [(move_id, amount)], when, description)
    return result.on_hand, result.sold


def revalue_receipts(
    company_id: int,
    amounts: Sequence[tuple[int, Decimal]],
    when: datetime.datetime,
    description: str,
) -> list[Revaluation]:
    """Revalue receipts (move id, amount in company currency), in one transaction.

    Raises :class:`DomainError` naming ``moves`` when a move is not a done
    receipt of the company with a valuation layer; nothing is written then.
    """
    with transaction.atomic():
        company = Company.objects.select_related("base_currency").get(pk=company_id)
        move_ids = sorted({move_id for move_id, _amount in amounts})
        moves = StockMove.objects.select_related("source", "transfer").in_bulk(move_ids)
        for move_id in move_ids:
            problem = receipt_problem(moves.get(move_id), company_id)
            if problem:
                raise DomainError(f"moves: {problem}", fields={"moves": [problem]})
        layers = _lock_receipt_layers(company_id, move_ids)
        products = Product.objects.in_bulk({move.product_id for move in moves.values()})
        pools = _lock_pools(
            company_id,
            {p.pk for p in products.values() if p.costing_method == CostingMethod.AVERAGE},
        )
        results = []
        new_layers = []
        for move_id, amount in amounts:
            move = moves[move_id]
            layer = layers[move_id]
            product = products[move.product_id]
            held, received = _share_on_hand(product, layer, pools.get(product.pk))
            on_hand = company.base_currency.round(amount * held / received) if held else ZERO
            if on_hand:
                if product.costing_method == CostingMethod.FIFO:
                    layer.remaining_value += on_hand
                    layer.save(update_fields=["remaining_value"])
                else:
                    pool = pools[product.pk]
                    pool.value += on_hand
                    pool.save(update_fields=["value"])
                new_layers.append(
                    ValuationLayer(
                        company_id=company_id,
                        product_id=product.pk,
                        move_id=move_id,
                        recorded_at=when,
                        quantity=ZERO,
                        unit_cost=ZERO,
                        value=on_hand,
                        description=description[:200],
                    )
                )
            warehouse_id = move.transfer.warehouse_id if move.transfer is not None else None
            results.append(
                Revaluation(move_id, product.pk, warehouse_id, amount, on_hand, amount - on_hand)
            )
        ValuationLayer.objects.bulk_create(new_layers)
        return results


def _lock_receipt_layers(company_id: int, move_ids: list[int]) -> dict[int, ValuationLayer]:
    """Each receipt's incoming layer in the company, locked in key order."""
    found: dict[int, ValuationLayer] = {}
    for layer in (
        layers_of_moves(move_ids, company_id)
        .select_for_update()
        .filter(quantity__gt=0)
        .order_by("pk")
    ):
        assert layer.move_id is not None
        found.setdefault(layer.move_id, layer)
    missing = [pk for pk in move_ids if pk not in found]
    if missing:
        problem = f"Move {missing[0]} has no valuation in this company; it cannot be revalued."
        raise DomainError(f"moves: {problem}", fields={"moves": [problem]})
    return found


def _lock_pools(company_id: int, product_ids: set[int]) -> dict[int, CostPool]:
    if not product_ids:
        return {}
    return {
        pool.product_id: pool
        for pool in CostPool.objects.select_for_update()
        .filter(company_id=company_id, product_id__in=product_ids)
        .order_by("pk")
    }


def _share_on_hand(
    product: Product, layer: ValuationLayer, pool: CostPool | None
) -> tuple[Decimal, Decimal]:
    """The receipt's quantity still on hand and its quantity received (see the overview)."""
    if product.costing_method == CostingMethod.FIFO:
        return layer.remaining_quantity, layer.quantity
    if product.costing_method == CostingMethod.AVERAGE and pool is not None and pool.quantity > 0:
        return min(layer.quantity, pool.quantity), layer.quantity
    return ZERO, layer.quantity


# -- vendor bills ----------------------------------------------------------------------------


def price_difference_lines(
    invoice: Invoice,
    line: InvoiceLine,
    difference: Decimal,
    sign: int,
    accounts: dict[str, Account],
    common: dict[str, Any],
) -> list[LineDraft]:
    """Where a bill line's difference to the receipt's value goes (company currency).

    ``sign`` is the document's (-1: the bill's own lines are debits). By
    default the whole difference is purchase price variance; with the
    company's ``price_difference = "stock"`` a vendor bill revalues the
    receipt: the part still on hand to stock (for the receipt's product), the
    part already sold to variance. Credit notes keep the variance.
    """
    variance = accounts[AccountRole.PRICE_VARIANCE].pk
    move = None
    if (
        invoice.kind == InvoiceKind.VENDOR_BILL
        and line.stock_move_id is not None
        and ensure_ledger(invoice.company_id).price_difference == PriceDifference.STOCK
    ):
        move = StockMove.objects.select_related("source").get(pk=line.stock_move_id)
    if move is None or receipt_problem(move, invoice.company_id) is not None:
        return [_signed_line(variance, difference, sign, common)]
    reference = invoice.partner_reference or f"#{invoice.pk}"
    (result,) = revalue_receipts(
        invoice.company_id,
        [(move.pk, difference)],
        moment_of(invoice.date),
        f"Price difference, vendor bill {reference}"[:200],
    )
    lines = []
    if result.on_hand:
        stock = accounts[AccountRole.STOCK].pk
        lines.append(
            _signed_line(
                stock,
                result.on_hand,
                sign,
                {**common, "product_id": result.product_id, "warehouse_id": result.warehouse_id},
            )
        )
    if result.sold:
        lines.append(_signed_line(variance, result.sold, sign, common))
    return lines


def _signed_line(account_id: int, amount: Decimal, sign: int, extra: dict[str, Any]) -> LineDraft:
    """A line crediting ``amount`` when ``sign`` is +1, debiting it when -1."""
    signed = amount * sign
    return LineDraft(
        account_id=account_id,
        debit=-signed if signed < 0 else ZERO,
        credit=signed if signed > 0 else ZERO,
        **extra,
    )
