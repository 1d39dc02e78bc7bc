"""Read-only questions the sales screens ask: an order's deliveries and invoices, the credit-hold
queue, a customer's 360° picture, and who gets scarce stock.

Design overview
---------------
Every function takes the user and reads only what ``restrict(user)`` lets them see; none
writes. Lists are read set-based — one query per table, never one per row:

- :func:`deliveries_of` / :func:`invoices_of`: the transfers whose ``origin`` is the order's
  reference, and the customer invoices whose lines name one of their moves;
- :func:`held_orders`: orders on credit hold with the customer's exposure now (computed once
  per customer on the page by :func:`~crossdock.sales.services.credit.exposure_of`) and the
  approval request a credit controller decides in the approvals inbox;
- :func:`receivables_of`: a customer's open items, aged by days overdue;
- :func:`allocation`: the open delivery moves of sales orders for products whose demand is not
  covered, in the order the reservation engine serves them — priority (from the customer's
  tier), then promised date, then age — with what each has reserved.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from crossdock.accounting.services.rates import MissingRateError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Partner
from crossdock.sales.models import SalesOrder, SalesOrderState

ZERO = Decimal(0)
SALES_ORIGIN = "SO/"
AGE_BUCKETS = (
    ("current", "Not due"),
    ("1-30", "1–30 days"),
    ("31-60", "31–60 days"),
    ("61-90", "61–90 days"),
    ("90+", "Over 90 days"),
)


# -- one order --------------------------------------------------------------------------------


def deliveries_of(user: Any, order: SalesOrder) -> list[Any]:
    """The transfers serving the order (backorders and later steps included), oldest first."""
    from crossdock.inventory.models import Transfer

    return list(
        Transfer.objects.restrict(user)
        .filter(origin=order.reference)
        .select_related("warehouse")
        .order_by("pk")
    )


def mirrored_order_of(user: Any, order: SalesOrder) -> dict[str, Any] | None:
    """The purchase order mirroring an intercompany order: its reference and company, and its
    id when the user may open it."""
    from crossdock.purchasing.models import PurchaseOrder

    if order.mirrored_purchase_order_id is None:
        return None
    found = (
        PurchaseOrder.objects.filter(pk=order.mirrored_purchase_order_id)
        .values_list("reference", "company__name")
        .get()
    )
    visible = PurchaseOrder.objects.restrict(user).filter(pk=order.mirrored_purchase_order_id)
    return {
        "reference": found[0],
        "company": found[1],
        "id": order.mirrored_purchase_order_id if visible.exists() else None,
    }


def invoices_of(user: Any, order: SalesOrder) -> list[Any]:
    """Customer invoices and credit notes with a line on one of the order's moves."""
    from crossdock.accounting.models import Invoice, InvoiceLine
    from crossdock.accounting.models.invoices import RECEIVABLE_KINDS

    ids = (
        InvoiceLine.objects.filter(stock_move__transfer__origin=order.reference)
        .values("invoice_id")
        .distinct()
    )
    return list(
        Invoice.objects.restrict(user)
        .filter(pk__in=ids, kind__in=list(RECEIVABLE_KINDS))
        .select_related("currency")
        .order_by("pk")
    )


# -- the credit-hold queue --------------------------------------------------------------------


@dataclass
class HeldOrder:
    order: SalesOrder
    exposure: Decimal | None  # the customer's exposure now, without this order (None: no rate)
    limit: Decimal | None
    request: Any  # the latest sales-credit-release approval request, if any
    held_days: int
    problem: str = ""  # why the exposure cannot be shown (a missing exchange rate)

    @property
    def with_order(self) -> Decimal | None:
        if self.exposure is None:
            return None
        return self.exposure + self.order.amount_company

    @property
    def over_limit(self) -> Decimal:
        if self.with_order is None or self.limit is None:
            return Decimal(0)
        return self.with_order - self.limit


def held_queryset(user: Any) -> QuerySet[SalesOrder]:
    return (
        SalesOrder.objects.restrict(user)
        .filter(state=SalesOrderState.CREDIT_HOLD)
        .select_related("customer__currency", "customer__company", "company__base_currency")
        .order_by("updated_at", "pk")
    )


def latest_requests(document_type: str, document_ids: list[int]) -> dict[int, Any]:
    """The latest approval request of each document (one query)."""
    from crossdock.approvals.models import ApprovalRequest

    found: dict[int, Any] = {}
    rows = ApprovalRequest.objects.filter(
        document_type=document_type, document_id__in=[str(pk) for pk in document_ids]
    ).order_by("submitted_at", "pk")
    for request in rows:
        found[int(request.document_id)] = request  # later rows win
    return found


def held_orders(orders: list[SalesOrder]) -> list[HeldOrder]:
    """The held orders of one page with the exposure of each customer now."""
    from crossdock.sales.services.credit import CREDIT_RELEASE, exposure_of

    today = timezone.localdate()
    exposures: dict[int, Any] = {}
    problems: dict[int, str] = {}
    for order in orders:
        if order.customer_id not in exposures:
            try:
                exposures[order.customer_id] = exposure_of(order.customer, today)
            except MissingRateError as exc:  # shown on the row, not a failed page
                exposures[order.customer_id] = None
                problems[order.customer_id] = exc.message
    requests = latest_requests(CREDIT_RELEASE, [o.pk for o in orders])
    rows = []
    for order in orders:
        exposure = exposures[order.customer_id]
        rows.append(
            HeldOrder(
                order=order,
                exposure=exposure.total if exposure else None,
                limit=exposure.limit if exposure else None,
                request=requests.get(order.pk),
                held_days=(today - timezone.localtime(order.updated_at).date()).days,
                problem=problems.get(order.customer_id, ""),
            )
        )
    return rows


# -- one customer ------------------------------------------------------------------------------


@dataclass
class AgedReceivables:
    items: list[Any]
    buckets: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = ZERO


def _bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "1-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"


def receivables_of(user: Any, customer: Partner, limit: int = 100) -> AgedReceivables:
    """The customer's open receivable items (company currency), aged by days overdue."""
    from crossdock.accounting.models import Installment, Invoice
    from crossdock.accounting.models.invoices import Side

    if not has_model_permission(user, Invoice, "view"):
        return AgedReceivables([])
    items = (
        Installment.objects.filter(
            company_id=customer.company_id, partner=customer, side=Side.RECEIVABLE
        )
        .exclude(open_amount=0)
        .select_related("invoice", "currency")
        .order_by("due_date", "pk")
    )
    today = timezone.localdate()
    result = AgedReceivables([], {key: ZERO for key, _ in AGE_BUCKETS})
    for item in items[:limit]:
        overdue = max((today - item.due_date).days, 0)
        setattr(item, "days_overdue", overdue)  # noqa: B010 (shown beside the item)
        result.items.append(item)
    totals = items.values_list("due_date").annotate(total=Sum("open_company"))
    for due_date, total in totals:
        key = _bucket((today - due_date).days)
        result.buckets[key] += total
        result.total += total
    return result


def customer_transfers(user: Any, customer: Partner, *, returns: bool) -> list[Any]:
    """The customer's deliveries (or the returns of them), newest first."""
    from crossdock.inventory.models import Transfer, TransferKind

    rows = Transfer.objects.restrict(user).filter(partner=customer)
    if returns:
        rows = rows.filter(returned_from__isnull=False)
    else:
        rows = rows.filter(kind=TransferKind.DELIVERY, returned_from__isnull=True)
    return list(rows.select_related("warehouse").order_by("-pk")[:50])


def customer_invoices(user: Any, customer: Partner) -> list[Any]:
    from crossdock.accounting.models import Invoice
    from crossdock.accounting.models.invoices import RECEIVABLE_KINDS

    return list(
        Invoice.objects.restrict(user)
        .filter(partner=customer, kind__in=list(RECEIVABLE_KINDS))
        .select_related("currency")
        .order_by("-date", "-pk")[:50]
    )


# -- allocation of scarce stock ----------------------------------------------------------------


@dataclass
class Claim:
    """One order's open delivery move on a scarce product, in reservation order."""

    move_id: int
    reference: str
    order: SalesOrder | None
    priority: int
    promised_on: datetime.date | None
    wanted: Decimal
    reserved: Decimal

    @property
    def short(self) -> Decimal:
        return self.wanted - self.reserved


@dataclass
class Scarce:
    product: Any
    warehouse: Any
    on_hand: Decimal
    free: Decimal
    claims: list[Claim]

    @property
    def wanted(self) -> Decimal:
        return sum((c.wanted for c in self.claims), ZERO)

    @property
    def reserved(self) -> Decimal:
        return sum((c.reserved for c in self.claims), ZERO)

    @property
    def short(self) -> Decimal:
        return self.wanted - self.reserved


def allocation(user: Any, warehouse_id: int | None = None, limit: int = 200) -> list[Scarce]:
    """Products (per warehouse) whose open sales deliveries are not all reserved, with every
    order's claim in the order the reservation engine serves them."""
    from crossdock.inventory.models import MoveLine, StockMove, TransferKind
    from crossdock.inventory.models.stock import OPEN_STATES
    from crossdock.inventory.selectors import availability
    from crossdock.masterdata.models import Product, Warehouse
    from crossdock.masterdata.models.organisation import SELLABLE_KINDS

    visible = SalesOrder.objects.restrict(user).values("reference")
    moves = StockMove.objects.filter(
        state__in=list(OPEN_STATES),
        transfer__kind=TransferKind.DELIVERY,
        transfer__origin__startswith=SALES_ORIGIN,
        transfer__origin__in=visible,
        source__kind__in=list(SELLABLE_KINDS),  # the step that takes stock off the shelf
    )
    if warehouse_id is not None:
        moves = moves.filter(transfer__warehouse_id=warehouse_id)
    rows = list(
        moves.values_list(
            "pk",
            "product_id",
            "transfer__warehouse_id",
            "transfer__origin",
            "priority",
            "promised_on",
            "quantity",
        )
    )
    reserved = dict(
        MoveLine.objects.filter(move_id__in=[r[0] for r in rows], done=False)
        .values_list("move_id")
        .annotate(total=Sum("quantity"))
    )
    groups: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        groups[(row[1], row[2])].append(row)
    short = [
        key for key, group in groups.items() if any(reserved.get(r[0], ZERO) < r[6] for r in group)
    ]
    short.sort()
    short = short[:limit]
    if not short:
        return []
    products = Product.objects.select_related("base_unit").in_bulk({p for p, _ in short})
    warehouses = Warehouse.objects.in_bulk({w for _, w in short})
    atp = availability(products, warehouse_ids=list(warehouses))
    references = {r[3] for key in short for r in groups[key]}
    orders = {
        o.reference: o
        for o in SalesOrder.objects.filter(reference__in=references).select_related("customer")
    }
    result = []
    for product_id, warehouse_id in short:
        warehouse = warehouses[warehouse_id]
        found = atp.get((product_id, warehouse.code))
        claims = [
            Claim(
                move_id=pk,
                reference=origin,
                order=orders.get(origin),
                priority=priority,
                promised_on=promised,
                wanted=quantity,
                reserved=reserved.get(pk, ZERO),
            )
            for pk, _, _, origin, priority, promised, quantity in groups[(product_id, warehouse_id)]
        ]
        claims.sort(key=lambda c: (c.priority, c.promised_on or datetime.date.max, c.move_id))
        result.append(
            Scarce(
                product=products[product_id],
                warehouse=warehouse,
                on_hand=found.on_hand if found else ZERO,
                free=max(found.on_hand - found.reserved, ZERO) if found else ZERO,
                claims=claims,
            )
        )
    return result
