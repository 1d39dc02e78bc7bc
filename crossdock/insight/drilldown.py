"""The documents behind a KPI figure: the rows its numerator and denominator count.

Design overview
---------------
For every KPI in the registry, :data:`DRILLS` gives the *sources* of its figure: each a
queryset built from the same base filter and the same dimension paths
(:func:`crossdock.insight.slicing.scoped`) as the KPI itself, so the documents listed
are exactly the ones counted, for the same :class:`~crossdock.insight.registry.Scope`
(company, warehouses, filters, range). Ratios whose numerator is a subset of their
denominator (fill rates, on-time delivery) have one source with a per-row flag
(``in_numerator``); the others (returns rate, gross margin) have a source per side.
Rows are read with ``values()`` — one query per page (and one count), never one per
document — and each row links to its document's screen.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from crossdock.accounting.models import JournalLine
from crossdock.accounting.models.chart import AccountRole, AccountType
from crossdock.approvals.models import ApprovalRequest
from crossdock.insight.definitions import finance, inventory, purchasing, sales, service
from crossdock.insight.registry import Scope
from crossdock.insight.slicing import midnight, on_days, scoped
from crossdock.inventory.models import (
    MoveState,
    Quant,
    StockMove,
    Transfer,
    TransferKind,
    ValuationLayer,
)
from crossdock.masterdata.models import LocationKind
from crossdock.masterdata.models.organisation import INTERNAL_KINDS, SELLABLE_KINDS
from crossdock.purchasing.models import (
    BillMatch,
    MatchStatus,
    PurchaseReceiptLine,
)
from crossdock.purchasing.models.sourcing import PurchaseRequisitionLine
from crossdock.sales.models import SalesOrder, SalesOrderLine, SalesOrderState
from crossdock.sales.models.returns import ReturnLine

BOTH = "numerator and denominator"
DENOMINATOR = "denominator only"
NUMERATOR = "numerator"
HEADER = ["document", "date", "partner", "detail", "measure", "counted_in", "url"]
# Stock age buckets (days since arrival): the warehouse dashboard's distribution.
AGE_BUCKETS: dict[str, tuple[int, int | None]] = {
    "0-30": (0, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "91+": (91, None),
}


def aged_between(age: str, today: datetime.date) -> Q:
    """Stock that arrived within the age bucket ``age`` (days before ``today``)."""
    low, high = AGE_BUCKETS[age]
    earliest = None if high is None else today - datetime.timedelta(days=high)
    return on_days("in_date", earliest, today - datetime.timedelta(days=low))


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _days(start: Any, end: Any) -> Decimal | None:
    """Whole days from ``start`` to ``end`` (dates or datetimes, local time)."""
    if start is None or end is None:
        return None
    if isinstance(start, datetime.datetime):
        start = timezone.localdate(start)
    if isinstance(end, datetime.datetime):
        end = timezone.localdate(end)
    return Decimal((end - start).days)


def _exact_days(start: datetime.datetime, end: datetime.datetime) -> Decimal:
    return (Decimal(int((end - start).total_seconds())) / Decimal(86400)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class DocumentRow:
    document: str
    url: str
    date: str
    partner: str
    detail: str
    measure: Decimal | None
    counted_in: str

    def cells(self) -> list[Any]:
        return [
            self.document,
            self.date,
            self.partner,
            self.detail,
            self.measure,
            self.counted_in,
            self.url,
        ]


@dataclass(frozen=True)
class Source:
    """One list of documents behind a figure: its rows (``values()`` dicts) and their shape."""

    title: str
    measure: str
    rows: QuerySet[Any]
    row: Callable[[dict[str, Any]], DocumentRow]


@dataclass(frozen=True)
class Options:
    """Narrowing beyond the registry's dimensions: a stock age bucket (aged inventory)."""

    age: str = ""


Drill = Callable[[Scope, Options], list[Source]]


def _counted(flag: bool) -> str:
    return BOTH if flag else DENOMINATOR


# -- order to cash ------------------------------------------------------------------------


def _order_row(flag: str) -> Callable[[dict[str, Any]], DocumentRow]:
    def row(r: dict[str, Any]) -> DocumentRow:
        return DocumentRow(
            r["reference"],
            reverse("sales:order_detail", args=[r["pk"]]),
            _text(r["order_date"]),
            r["customer__name"],
            r["state"],
            r["amount"],
            _counted(bool(r[flag])),
        )

    return row


def _order_values(orders: QuerySet[Any], flag: str) -> QuerySet[Any]:
    return orders.order_by("-order_date", "-pk").values(
        "pk", "reference", "order_date", "customer__name", "state", "amount", flag
    )


def _order_fill(scope: Scope, options: Options) -> list[Source]:
    short = SalesOrderLine.objects.filter(order=OuterRef("pk"), shipped_quantity__lt=F("quantity"))
    orders = scoped(sales._orders(scope), scope, sales.ORDER_PATHS).annotate(
        in_numerator=~Exists(short)
    )
    return [
        Source(
            "Orders that shipped anything (in the numerator when shipped in full)",
            "Amount",
            _order_values(orders, "in_numerator"),
            _order_row("in_numerator"),
        )
    ]


def _backorder(scope: Scope, options: Options) -> list[Source]:
    backorders = Transfer.objects.filter(
        kind=TransferKind.DELIVERY, origin=OuterRef("reference"), backorder_of__isnull=False
    )
    orders = scoped(sales._orders(scope), scope, sales.ORDER_PATHS).annotate(
        in_numerator=Exists(backorders)
    )
    return [
        Source(
            "Orders that shipped anything (in the numerator when a backorder was left)",
            "Amount",
            _order_values(orders, "in_numerator"),
            _order_row("in_numerator"),
        )
    ]


def _line_fill(scope: Scope, options: Options) -> list[Source]:
    lines = SalesOrderLine.objects.filter(
        order__state__in=sales.SHIPPING_STATES,
        order__order_date__gte=scope.start,
        order__order_date__lte=scope.end,
    )
    rows = (
        scoped(lines, scope, sales.LINE_PATHS)
        .annotate(in_numerator=_flag(Q(shipped_quantity__gte=F("quantity"))))
        .order_by("-order__order_date", "-order_id", "pk")
        .values(
            "order_id",
            "order__reference",
            "order__order_date",
            "order__customer__name",
            "product__sku",
            "quantity",
            "shipped_quantity",
            "in_numerator",
        )
    )

    def row(r: dict[str, Any]) -> DocumentRow:
        shipped, ordered = _qty(r["shipped_quantity"]), _qty(r["quantity"])
        detail = f"{r['product__sku']}: shipped {shipped} of {ordered}"
        return DocumentRow(
            r["order__reference"],
            reverse("sales:order_detail", args=[r["order_id"]]),
            _text(r["order__order_date"]),
            r["order__customer__name"],
            detail,
            r["quantity"],
            _counted(bool(r["in_numerator"])),
        )

    return [Source("Order lines of orders that shipped anything", "Quantity", rows, row)]


def _order_to_ship(scope: Scope, options: Options) -> list[Source]:
    orders = (
        SalesOrder.objects.filter(state__in=(SalesOrderState.SHIPPED, SalesOrderState.INVOICED))
        .annotate(shipped_at=Subquery(_last_shipment()))
        .filter(on_days("shipped_at", scope.start, scope.end))
    )
    rows = (
        scoped(orders, scope, sales.ORDER_PATHS)
        .order_by("-shipped_at", "-pk")
        .values("pk", "reference", "order_date", "customer__name", "shipped_at")
    )

    def row(r: dict[str, Any]) -> DocumentRow:
        return DocumentRow(
            r["reference"],
            reverse("sales:order_detail", args=[r["pk"]]),
            _text(r["order_date"]),
            r["customer__name"],
            f"last shipment {_text(r['shipped_at'])}",
            _days(r["order_date"], r["shipped_at"]),
            BOTH,
        )

    return [Source("Orders shipped complete (days from order to last shipment)", "Days", rows, row)]


def _last_shipment() -> QuerySet[Any]:
    """The latest done delivery of an order into the customer's location (as the KPI)."""
    return (
        Transfer.objects.filter(
            kind=TransferKind.DELIVERY,
            origin=OuterRef("reference"),
            state=MoveState.DONE,
            destination__kind=LocationKind.CUSTOMER,
        )
        .order_by()
        .values("origin")
        .annotate(at=Max("done_at"))
        .values("at")
    )


def _returns(scope: Scope, options: Options) -> list[Source]:
    returned = ReturnLine.objects.filter(
        on_days("rma__authorized_at", scope.start, scope.end),
        rma__state__in=sales.RETURNED_STATES,
    )
    shipped = StockMove.objects.filter(
        on_days("done_at", scope.start, scope.end),
        state=MoveState.DONE,
        transfer__kind=TransferKind.DELIVERY,
        destination__kind=LocationKind.CUSTOMER,
    )
    returns = (
        scoped(returned, scope, sales.RETURN_PATHS)
        .order_by("-rma__authorized_at", "-pk")
        .values(
            "rma_id",
            "rma__reference",
            "rma__authorized_at",
            "rma__customer__name",
            "product__sku",
            "quantity",
        )
    )
    deliveries = (
        scoped(shipped, scope, sales.SHIPPED_PATHS)
        .order_by("-done_at", "-pk")
        .values(
            "transfer_id",
            "transfer__reference",
            "done_at",
            "transfer__partner__name",
            "product__sku",
            "quantity",
        )
    )

    def return_row(r: dict[str, Any]) -> DocumentRow:
        return DocumentRow(
            r["rma__reference"],
            reverse("sales_returns:detail", args=[r["rma_id"]]),
            _text(r["rma__authorized_at"]),
            r["rma__customer__name"],
            r["product__sku"],
            r["quantity"],
            NUMERATOR,
        )

    def delivery_row(r: dict[str, Any]) -> DocumentRow:
        return DocumentRow(
            r["transfer__reference"],
            reverse("inventory:transfer_detail", args=[r["transfer_id"]]),
            _text(r["done_at"]),
            r["transfer__partner__name"] or "",
            r["product__sku"],
            r["quantity"],
            "denominator",
        )

    return [
        Source("Return lines authorized (numerator)", "Quantity", returns, return_row),
        Source("Deliveries to customers (denominator)", "Quantity", deliveries, delivery_row),
    ]


# -- procure to pay -----------------------------------------------------------------------


def _on_time(scope: Scope, options: Options) -> list[Source]:
    receipts = PurchaseReceiptLine.objects.filter(
        on_days("move__done_at", scope.start, scope.end), move__state=MoveState.DONE
    )
    promised = Coalesce(F("line__confirmed_date"), F("line__expected_date"))
    rows = (
        scoped(receipts, scope, purchasing.RECEIPT_PATHS)
        .annotate(promised=promised, in_numerator=_flag(purchasing.received_on_time(scope)))
        .order_by("-move__done_at", "-pk")
        .values(
            "line__order_id",
            "line__order__reference",
            "move__done_at",
            "line__order__supplier__name",
            "line__product__sku",
            "promised",
            "in_numerator",
        )
    )

    def row(r: dict[str, Any]) -> DocumentRow:
        return DocumentRow(
            r["line__order__reference"],
            reverse("purchasing:order_detail", args=[r["line__order_id"]]),
            _text(r["move__done_at"]),
            r["line__order__supplier__name"],
            f"{r['line__product__sku']} promised {_text(r['promised'])}",
            _days(r["promised"], r["move__done_at"]),
            _counted(bool(r["in_numerator"])),
        )

    title = "Receipt lines done (days late; on time in the numerator)"
    return [Source(title, "Days late", rows, row)]


def _receiving(scope: Scope, options: Options) -> list[Source]:
    rows = (
        scoped(purchasing.first_received(scope), scope, purchasing.ORDER_LINE_PATHS)
        .annotate(in_numerator=_flag(Q(received_quantity=F("quantity"))))
        .order_by("-first_receipt", "-pk")
        .values(
            "order_id",
            "order__reference",
            "first_receipt",
            "order__supplier__name",
            "product__sku",
            "quantity",
            "received_quantity",
            "in_numerator",
        )
    )

    def row(r: dict[str, Any]) -> DocumentRow:
        received, ordered = _qty(r["received_quantity"]), _qty(r["quantity"])
        detail = f"{r['product__sku']}: received {received} of {ordered}"
        return DocumentRow(
            r["order__reference"],
            reverse("purchasing:order_detail", args=[r["order_id"]]),
            _text(r["first_receipt"]),
            r["order__supplier__name"],
            detail,
            r["quantity"],
            _counted(bool(r["in_numerator"])),
        )

    return [Source("Order lines received (exact ones in the numerator)", "Ordered", rows, row)]


MATCH_PATHS = {
    "company": "company_id",
    "warehouse": "order__warehouse_id",
    "region": "order__warehouse__region",
    "supplier": "invoice__partner_id",
}


def _first_time_match(scope: Scope, options: Options) -> list[Source]:
    matches = BillMatch.objects.filter(
        invoice__date__gte=scope.start, invoice__date__lte=scope.end
    ).exclude(invoice__state="cancelled")
    rows = (
        scoped(matches, scope, MATCH_PATHS)
        .annotate(in_numerator=_flag(Q(first_status=MatchStatus.MATCHED)))
        .order_by("-invoice__date", "-pk")
        .values(
            "invoice_id",
            "invoice__number",
            "invoice__date",
            "invoice__partner__name",
            "order__reference",
            "first_status",
            "invoice__total_company",
            "in_numerator",
        )
    )

    def row(r: dict[str, Any]) -> DocumentRow:
        return DocumentRow(
            r["invoice__number"] or f"Bill #{r['invoice_id']}",
            reverse("accounting:invoice_detail", args=[r["invoice_id"]]),
            _text(r["invoice__date"]),
            r["invoice__partner__name"],
            f"{r['order__reference'] or ''} first match: {r['first_status']}".strip(),
            r["invoice__total_company"],
            _counted(bool(r["in_numerator"])),
        )

    title = "Vendor bills matched (matched first time in the numerator)"
    return [Source(title, "Total", rows, row)]


REQUISITION_PATHS = {
    "company": "requisition__company_id",
    "warehouse": "requisition__warehouse_id",
    "region": "requisition__warehouse__region",
    "supplier": "purchase_order__supplier_id",
    "category": "product__category_id",
}


def _procurement_cycle(scope: Scope, options: Options) -> list[Source]:
    lines = PurchaseRequisitionLine.objects.filter(
        on_days("purchase_order__approved_at", scope.start, scope.end),
        purchase_order__isnull=False,
    )
    rows = (
        scoped(lines, scope, REQUISITION_PATHS)
        .annotate(asked=Coalesce(F("requisition__submitted_at"), F("requisition__created_at")))
        .order_by("-purchase_order__approved_at", "requisition_id")
        .values(
            "requisition_id",
            "requisition__reference",
            "purchase_order__reference",
            "purchase_order__supplier__name",
            "asked",
            "purchase_order__approved_at",
        )
        .distinct()
    )

    def row(r: dict[str, Any]) -> DocumentRow:
        return DocumentRow(
            r["requisition__reference"],
            reverse("purchasing:requisition_detail", args=[r["requisition_id"]]),
            _text(r["asked"]),
            r["purchase_order__supplier__name"],
            f"→ {r['purchase_order__reference']} approved "
            f"{_text(r['purchase_order__approved_at'])}",
            _exact_days(r["asked"], r["purchase_order__approved_at"]),
            BOTH,
        )

    return [Source("Requisition → purchase order pairs (days)", "Days", rows, row)]


def _approval_cycle(scope: Scope, options: Options) -> list[Source]:
    requests = ApprovalRequest.objects.filter(
        on_days("decided_at", scope.start, scope.end),
        status__in=(ApprovalRequest.Status.APPROVED, ApprovalRequest.Status.REJECTED),
    )
    rows = (
        scoped(requests, scope, {"company": "company_id"})
        .order_by("-decided_at", "-pk")
        .values("pk", "document_label", "submitted_at", "decided_at", "status")
    )

    def row(r: dict[str, Any]) -> DocumentRow:
        return DocumentRow(
            r["document_label"],
            reverse("approvals:request_detail", args=[r["pk"]]),
            _text(r["submitted_at"]),
            "",
            f"{r['status']} {_text(r['decided_at'])}",
            _exact_days(r["submitted_at"], r["decided_at"]),
            BOTH,
        )

    return [Source("Approval requests decided (days)", "Days", rows, row)]


# -- finance ------------------------------------------------------------------------------


def _ledger_row(counted: Callable[[dict[str, Any]], str], sign: int) -> Callable[..., DocumentRow]:
    def row(r: dict[str, Any]) -> DocumentRow:
        return DocumentRow(
            r["entry__number"] or f"Entry #{r['entry_id']}",
            reverse("accounting:entry_detail", args=[r["entry_id"]]),
            _text(r["date"]),
            r["partner__name"] or "",
            f"{r['account__code']} {r['account__name']}",
            sign * (r["credit"] - r["debit"]),
            counted(r),
        )

    return row


LEDGER_VALUES = (
    "entry_id",
    "entry__number",
    "date",
    "partner__name",
    "account__code",
    "account__name",
    "account__account_type",
    "debit",
    "credit",
)


def _gross_margin(scope: Scope, options: Options) -> list[Source]:
    lines = JournalLine.objects.filter(
        finance._posted(scope), finance.on_accounts(account_type__in=finance.MARGIN_TYPES)
    )
    rows = (
        scoped(lines, scope, finance.LEDGER_PATHS)
        .order_by("-date", "-entry_id", "pk")
        .values(*LEDGER_VALUES)
    )

    def counted(r: dict[str, Any]) -> str:
        if r["account__account_type"] == AccountType.REVENUE:
            return "revenue: numerator and denominator"
        return "cost of sales: numerator"

    return [
        Source(
            "Posted revenue and cost-of-sales lines (credit − debit)",
            "Amount",
            rows,
            _ledger_row(counted, 1),
        )
    ]


def _price_variance(scope: Scope, options: Options) -> list[Source]:
    lines = JournalLine.objects.filter(
        finance._posted(scope), finance.on_accounts(role=AccountRole.PRICE_VARIANCE)
    )
    rows = (
        scoped(lines, scope, finance.LEDGER_PATHS)
        .order_by("-date", "-entry_id", "pk")
        .values(*LEDGER_VALUES)
    )
    return [
        Source(
            "Posted lines on the price variance account (debit − credit)",
            "Amount",
            rows,
            _ledger_row(lambda r: NUMERATOR, -1),
        )
    ]


# -- stock --------------------------------------------------------------------------------


def _cost_of_goods_sold(role: str) -> Drill:
    def drill(scope: Scope, options: Options) -> list[Source]:
        customer = LocationKind.CUSTOMER
        layers = ValuationLayer.objects.filter(
            Q(move__destination__kind=customer) | Q(move__source__kind=customer),
            on_days("recorded_at", scope.start, scope.end),
        )
        rows = (
            scoped(layers, scope, inventory.LAYER_PATHS)
            .order_by("-recorded_at", "-pk")
            .values(
                "move__transfer_id",
                "move__transfer__reference",
                "recorded_at",
                "move__transfer__partner__name",
                "product__sku",
                "quantity",
                "value",
            )
        )

        def row(r: dict[str, Any]) -> DocumentRow:
            transfer = r["move__transfer_id"]
            return DocumentRow(
                r["move__transfer__reference"] or "",
                reverse("inventory:transfer_detail", args=[transfer]) if transfer else "",
                _text(r["recorded_at"]),
                r["move__transfer__partner__name"] or "",
                f"{r['product__sku']} {_qty(r['quantity'])}",
                -r["value"],
                role,
            )

        title = (
            "Valuation of deliveries to customers less returns (cost of goods sold); "
            "the average stock value is not a list of documents"
        )
        return [Source(title, "Cost", rows, row)]

    return drill


def _stock_url(sku: str) -> str:
    return f"{reverse('inventory:stock')}?{urlencode({'product': sku})}"


def _aged(scope: Scope, options: Options) -> list[Source]:
    today = scope.today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=inventory.AGED_AFTER_DAYS)
    quants = Quant.objects.filter(location__kind__in=sorted(INTERNAL_KINDS), quantity__gt=0)
    if options.age in AGE_BUCKETS:
        quants = quants.filter(aged_between(options.age, today))
    rows = (
        scoped(quants, scope, inventory.QUANT_PATHS)
        .annotate(in_numerator=_flag(Q(in_date__lt=midnight(cutoff))))
        .order_by("in_date", "pk")
        .values("product__sku", "product__name", "location__path", "in_date", "quantity",
                "in_numerator")
    )  # fmt: skip

    def row(r: dict[str, Any]) -> DocumentRow:
        return DocumentRow(
            r["product__sku"],
            _stock_url(r["product__sku"]),
            _text(r["in_date"]),
            "",
            f"{r['product__name']} at {r['location__path']}",
            r["quantity"],
            "quantity: numerator and denominator" if r["in_numerator"] else DENOMINATOR,
        )

    return [Source("Stock on hand by arrival (older than 90 days in the numerator)", "On hand",
                   rows, row)]  # fmt: skip


def _stockouts(scope: Scope, options: Options) -> list[Source]:
    quants = Quant.objects.filter(location__kind__in=sorted(SELLABLE_KINDS))
    rows = (
        scoped(quants, scope, inventory.QUANT_PATHS)
        .order_by()
        .values("product__sku", "product__name", "location__warehouse__code")
        .annotate(on_hand=Sum("quantity"))
        .order_by("on_hand", "product__sku", "location__warehouse__code")
    )

    def row(r: dict[str, Any]) -> DocumentRow:
        out = (r["on_hand"] or 0) <= 0
        return DocumentRow(
            r["product__sku"],
            _stock_url(r["product__sku"]),
            "",
            "",
            f"{r['product__name']} in {r['location__warehouse__code']}",
            r["on_hand"],
            BOTH if out else DENOMINATOR,
        )

    return [Source("Stocked products per warehouse (out of stock in the numerator)", "On hand",
                   rows, row)]  # fmt: skip


def _service_backlog(scope: Scope, options: Options) -> list[Source]:
    rows = (
        scoped(service.backlog_cases(scope), scope, service.CASE_PATHS)
        .order_by("opened_at", "pk")
        .values("pk", "number", "opened_at", "resolved_at", "customer__name", "subject", "status")
    )

    def row(r: dict[str, Any]) -> DocumentRow:
        days = service.days_open_at_day_end(scope, r["opened_at"], r["resolved_at"])
        resolved = f", resolved {_text(r['resolved_at'])}" if r["resolved_at"] else ""
        return DocumentRow(
            r["number"],
            reverse("service:case_detail", args=[r["pk"]]),
            _text(r["opened_at"]),
            r["customer__name"],
            f"{r['subject']} ({r['status']}{resolved})",
            Decimal(days),
            NUMERATOR if days else "not open at a day's end",
        )

    return [Source("Cases open at the end of a day of the range (days counted)", "Days", rows,
                   row)]  # fmt: skip


DRILLS: dict[str, Drill] = {
    "order_fill_rate": _order_fill,
    "line_fill_rate": _line_fill,
    "backorder_rate": _backorder,
    "order_to_ship_cycle_time": _order_to_ship,
    "returns_rate": _returns,
    "supplier_on_time_delivery": _on_time,
    "receiving_accuracy": _receiving,
    "invoice_first_time_match_rate": _first_time_match,
    "procurement_cycle_time": _procurement_cycle,
    "approval_cycle_time": _approval_cycle,
    "gross_margin": _gross_margin,
    "purchase_price_variance": _price_variance,
    "inventory_turnover": _cost_of_goods_sold("numerator"),
    "days_inventory_outstanding": _cost_of_goods_sold("denominator"),
    "aged_inventory": _aged,
    "stockout_rate": _stockouts,
    "service_backlog": _service_backlog,
}


def sources(code: str, scope: Scope, options: Options) -> list[Source]:
    """The document lists behind the KPI ``code`` for ``scope``."""
    return DRILLS[code](scope, options)
