"""Perpetual (Anglo-Saxon) stock valuation postings, from the inventory's valuation layers.

Design overview
---------------
Inventory publishes :class:`~crossdock.inventory.events.StockValued` inside the
transaction that wrote the valuation layers; :func:`post_stock_valuation`
subscribes and posts one entry per event in the company's stock journal, in
the same transaction, from the layers' own values — so the stock account
always equals the sum of the layers, to the cent. Each layer is a stock line
(debit when stock comes in, credit when it goes out) against the account its
other side calls for:

* a supplier: goods received not invoiced (receipt, return to vendor);
* a customer: cost of goods sold (delivery, customer return);
* inventory loss: inventory loss and gain (adjustments, scrap);
* another company: intercompany.

Moves between a company's own locations create no layer and hence no entry.
Lines are aggregated per account and product.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from crossdock.accounting.models import AccountRole, JournalKind
from crossdock.accounting.services.ledger import accounts_by_role, journal_of
from crossdock.accounting.services.posting import EntryDraft, LineDraft, post_entries
from crossdock.core.context import Actor
from crossdock.core.events import DomainEvent
from crossdock.inventory.events import StockValued
from crossdock.inventory.models import ValuationLayer
from crossdock.inventory.selectors import layers_of_moves
from crossdock.masterdata.models import LocationKind

SYSTEM = Actor.system("stock-valuation")

COUNTERPART = {
    LocationKind.SUPPLIER: AccountRole.GRNI,
    LocationKind.CUSTOMER: AccountRole.COST_OF_GOODS_SOLD,
    LocationKind.INVENTORY_LOSS: AccountRole.INVENTORY_LOSS_GAIN,
}

_COLUMNS = (
    "company_id", "product_id", "quantity", "value", "recorded_at", "move__transfer_id",
    "move__transfer__reference", "move__transfer__warehouse_id", "move__transfer__partner_id",
    "move__source__kind", "move__source__company_id", "move__destination__kind",
    "move__destination__company_id",
)  # fmt: skip


def counterpart_role(kind: str, location_company: int, company: int) -> AccountRole:
    if location_company != company:
        return AccountRole.INTERCOMPANY
    return COUNTERPART.get(LocationKind(kind), AccountRole.INVENTORY_LOSS_GAIN)


def post_stock_valuation(event: DomainEvent) -> None:
    """Post the layers of ``event``'s moves in its company: one entry per company and transfer."""
    assert isinstance(event, StockValued)
    # Value-only layers (quantity 0: landed costs, price differences) are posted by the
    # service that wrote them, never here.
    if event.company_id is not None:  # a move between companies is valued once per company
        layers = layers_of_moves(event.move_ids, event.company_id).exclude(quantity=0)
    else:
        layers = ValuationLayer.objects.filter(move_id__in=event.move_ids).exclude(quantity=0)
    rows = layers.values_list(*_COLUMNS)
    groups: dict[tuple[int, int | None], list[tuple]] = defaultdict(list)
    for row in rows:
        groups[(row[0], row[5])].append(row)
    drafts = [_draft(rows) for rows in groups.values()]
    post_entries(SYSTEM, [d for d in drafts if d is not None], check_permission=False)


def _draft(rows: list[tuple]) -> EntryDraft | None:
    company_id = rows[0][0]
    accounts = accounts_by_role(company_id)
    stock = accounts[AccountRole.STOCK].pk
    balances: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for (
        _company, product, quantity, value, _at, _transfer, _reference, _warehouse, _partner,
        source_kind, source_company, destination_kind, destination_company,
    ) in rows:  # fmt: skip
        if quantity > 0:
            other = counterpart_role(source_kind, source_company, company_id)
        else:
            other = counterpart_role(destination_kind, destination_company, company_id)
        balances[(stock, product)] += value
        balances[(accounts[other].pk, product)] -= value
    _c, _p, _q, _v, recorded_at, transfer_id, reference, warehouse_id, partner_id, *_ = rows[0]
    lines = [
        LineDraft(
            account_id=account,
            debit=amount if amount > 0 else Decimal(0),
            credit=-amount if amount < 0 else Decimal(0),
            label=reference or "",
            product_id=product,
            warehouse_id=warehouse_id,
            partner_id=partner_id,
        )
        for (account, product), amount in sorted(balances.items())
        if amount
    ]
    if not lines:
        return None
    return EntryDraft(
        company_id=company_id,
        journal_id=journal_of(company_id, JournalKind.STOCK).pk,
        date=timezone.localdate(recorded_at),
        lines=lines,
        memo=f"Stock valuation {reference}" if reference else "Stock valuation",
        source_type="inventory.transfer" if transfer_id else "",
        source_id=str(transfer_id or ""),
    )
