"""Receiving against orders, billing them and the three-way match, with exact figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.accounting.models import Invoice
from crossdock.accounting.models.invoices import InvoiceKind, InvoiceState
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
    post_invoice,
)
from crossdock.approvals.models import ApprovalRequest
from crossdock.approvals.services import decide
from crossdock.core.checks import run_checks
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, SegregationOfDutiesError
from crossdock.core.roles import Role
from crossdock.inventory.models import Quant, StockMove, Transfer
from crossdock.masterdata.models import Tracking
from crossdock.purchasing.models import (
    BillMatch,
    MatchStatus,
    OrderState,
    PurchasingSettings,
)
from crossdock.purchasing.selectors import expected_receipts, match_queue
from crossdock.purchasing.services import matching, orders
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from tests import factories
from tests.inventory.conftest import SYSTEM
from tests.purchasing.conftest import make_policy

D = Decimal


@pytest.fixture
def approved(buying):
    """An approved order: 10 × A at 4.00 and 5 × B at 20.00."""
    a, b = factories.product(sku="PO-A"), factories.product(sku="PO-B")
    order = buying.order((a, "10", "4.00"), (b, "5", "20.00"))
    return orders.submit_purchase_order(buying.actor, order.pk)


def _lines(order):
    return list(order.lines.order_by("pk"))


def _receive(order, *quantities, actor=SYSTEM):
    lines = _lines(order)
    return receive_purchase_order(
        actor,
        order.pk,
        [ReceiptLine(line.pk, D(q)) for line, q in zip(lines, quantities, strict=True) if q],
    )


def test_receiving_part_then_the_rest_moves_stock_and_the_order_state(buying, approved):
    receipt = _receive(approved, "4", "5")
    approved.refresh_from_db()
    assert approved.state == OrderState.PARTIALLY_RECEIVED
    assert receipt.origin == approved.reference
    assert receipt.partner_id == buying.supplier.pk
    a, _b = _lines(approved)
    a.refresh_from_db()
    assert (a.received_quantity, a.open_quantity) == (D(4), D(6))
    assert StockMove.objects.get(transfer=receipt, product=a.product).unit_cost == D("4.00")
    _receive(approved, "6", None)
    approved.refresh_from_db()
    assert approved.state == OrderState.RECEIVED
    on_hand = sum(
        q.quantity
        for q in Quant.objects.filter(product=a.product, location__warehouse=buying.warehouse)
    )
    assert on_hand == D(10)
    assert run_checks()[1] == []


def test_over_receipt_is_refused_beyond_the_tolerance_and_accepted_exactly_at_it(buying, approved):
    PurchasingSettings.objects.create(company=buying.company, over_receipt_percent=D("10"))
    transfers = Transfer.objects.count()
    with pytest.raises(DomainError) as refused:
        _receive(approved, "11.000001", None)
    assert "lines[0].quantity" in refused.value.fields
    assert "over-receipt tolerance 10 %" in refused.value.message
    assert Transfer.objects.count() == transfers
    _receive(approved, "11", None)  # exactly 10 % more
    assert _lines(approved)[0].received_quantity == D(11)


def test_a_lot_tracked_product_is_received_with_its_lot_and_expiry(buying):
    product = factories.product(tracking=Tracking.LOT)
    order = orders.submit_purchase_order(buying.actor, buying.order((product, "6", "2.00")).pk)
    (line,) = _lines(order)
    expiry = datetime.date(2030, 1, 31)
    receive_purchase_order(
        SYSTEM,
        order.pk,
        [ReceiptLine(line.pk, D(4), "L-1", expiry), ReceiptLine(line.pk, D(2), "L-2", expiry)],
    )
    lots = sorted(
        Quant.objects.filter(product=product, location__warehouse=buying.warehouse).values_list(
            "lot__name", "quantity"
        )
    )
    assert lots == [("L-1", D(4)), ("L-2", D(2))]


def test_a_draft_order_cannot_be_received(buying):
    order = buying.order((factories.product(), "3", "1.00"))
    with pytest.raises(ConflictError):
        _receive(order, "3")


def test_expected_receipts_list_open_lines_with_lateness(buying, approved):
    today = approved.expected_date + datetime.timedelta(days=3)
    _receive(approved, "4", None)
    rows = expected_receipts(type(approved).objects.filter(pk=approved.pk), today=today)
    assert [(r.line.product.sku, r.open_quantity, r.late_days) for r in rows] == [
        ("PO-A", D(6), 3),
        ("PO-B", D(5), 3),
    ]


def test_a_bill_at_the_order_price_matches_and_posts(buying, approved):
    _receive(approved, "10", "5")
    bill = matching.bill_purchase_order(SYSTEM, approved.pk, "INV-100")
    assert bill.state == InvoiceState.POSTED
    assert bill.purchase_match.status == MatchStatus.MATCHED
    assert bill.untaxed_amount == D("140.00")
    assert bill.payment_hold is False
    approved.refresh_from_db()
    assert approved.state == OrderState.BILLED
    assert [line.billed_quantity for line in _lines(approved)] == [D(10), D(5)]
    assert run_checks()[1] == []
    with pytest.raises(ConflictError):
        matching.bill_purchase_order(SYSTEM, approved.pk, "INV-101")  # nothing left to bill


def test_price_tolerance_edges(buying, approved):
    _receive(approved, "10", "5")  # default tolerance 2 %: 4.08 is the ceiling for A
    at_edge = matching.bill_purchase_order(
        SYSTEM, approved.pk, "INV-EDGE", prices={_lines(approved)[0].pk: D("4.08")}
    )
    assert at_edge.purchase_match.status == MatchStatus.MATCHED


def test_a_price_just_over_tolerance_is_held_in_the_queue(buying, approved):
    _receive(approved, "10", "5")
    bill = matching.bill_purchase_order(
        SYSTEM, approved.pk, "INV-HIGH", prices={_lines(approved)[0].pk: D("4.080001")}
    )
    match = bill.purchase_match
    assert (bill.state, bill.payment_hold) == (InvoiceState.DRAFT, True)
    assert match.status == MatchStatus.PRICE_VARIANCE
    assert "PO-A: billed 4.080001, ordered at 4" in match.reason
    assert list(match_queue(BillMatch.objects.all())) == [match]
    with pytest.raises(ConflictError):
        post_invoice(SYSTEM, bill.pk)  # the queue blocks posting
    assert Invoice.objects.get(pk=bill.pk).state == InvoiceState.DRAFT


def test_billing_more_than_received_is_a_quantity_variance(buying, approved):
    _receive(approved, "4", None)
    a_move = StockMove.objects.get(product__sku="PO-A")
    bill = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=buying.company.pk,
            kind=InvoiceKind.VENDOR_BILL,
            partner_id=buying.supplier.pk,
            date=datetime.date.today(),
            partner_reference="INV-QTY",
            lines=[
                InvoiceLineInput(
                    "A", D(6), D("4.00"), product_id=a_move.product_id, stock_move_id=a_move.pk
                )
            ],
        ),
    )
    match = matching.match_bill(SYSTEM, bill.pk)
    assert match.status == MatchStatus.QUANTITY_VARIANCE
    assert "PO-A: 6 billed, 4 received" in match.reason
    _receive(approved, "2", None)  # the goods arrive: the bill is matched again and posts
    match.refresh_from_db()
    assert match.status == MatchStatus.MATCHED
    assert Invoice.objects.get(pk=bill.pk).state == InvoiceState.POSTED


def test_a_bill_for_goods_not_received_waits(buying, approved):
    product = _lines(approved)[0].product
    bill = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=buying.company.pk,
            kind=InvoiceKind.VENDOR_BILL,
            partner_id=buying.supplier.pk,
            date=datetime.date.today(),
            partner_reference="INV-EARLY",
            lines=[InvoiceLineInput("A", D(10), D("4.00"), product_id=product.pk)],
        ),
    )
    assert matching.match_bill(SYSTEM, bill.pk).status == MatchStatus.NOT_RECEIVED


def test_same_amount_and_date_is_a_suspected_duplicate(buying, approved):
    _receive(approved, "10", "5")
    first = matching.bill_purchase_order(SYSTEM, approved.pk, "INV-1")
    second = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=buying.company.pk,
            kind=InvoiceKind.VENDOR_BILL,
            partner_id=buying.supplier.pk,
            date=first.date,
            partner_reference="INV-1-COPY",
            lines=[
                InvoiceLineInput(
                    "Goods", D(1), first.untaxed_amount, product_id=_lines(approved)[0].product_id
                )
            ],
        ),
    )
    match = matching.match_bill(SYSTEM, second.pk)
    assert match.status == MatchStatus.DUPLICATE
    with pytest.raises(ConflictError):
        matching.accept_variance(SYSTEM, second.pk, "Looks fine")


def test_a_duplicate_bill_number_is_refused(buying, approved):
    _receive(approved, "10", "5")
    matching.bill_purchase_order(SYSTEM, approved.pk, "INV-9")
    count = Invoice.objects.count()
    with pytest.raises(DomainError):
        matching.bill_purchase_order(SYSTEM, approved.pk, "INV-9")
    assert Invoice.objects.count() == count


def test_accepting_a_variance_goes_through_approval_and_respects_segregation(buying, approved):
    controller = factories.user(Role.CONTROLLER, companies=[buying.company])
    receiver = factories.user(
        Role.CONTROLLER,
        Role.WAREHOUSE_OPERATOR,
        companies=[buying.company],
        warehouses=[buying.warehouse],
    )
    ap_clerk = factories.user(Role.AP_CLERK, companies=[buying.company])
    make_policy(
        buying.company,
        "bill-variance",
        {"field": "amount", "op": ">=", "value": "0"},
        role="controller",
    )
    _receive(approved, "10", "5", actor=Actor.of(receiver))
    bill = matching.bill_purchase_order(
        Actor.of(ap_clerk), approved.pk, "INV-V", prices={_lines(approved)[0].pk: D("5.00")}
    )
    match = matching.accept_variance(Actor.of(ap_clerk), bill.pk, "Freight surcharge agreed")
    assert match.status == MatchStatus.PRICE_VARIANCE  # waiting for the controller
    request = ApprovalRequest.objects.get(document_type="bill-variance", document_id=str(match.pk))
    with pytest.raises(SegregationOfDutiesError) as refused:
        decide(Actor.of(receiver), request.pk, approve=True)
    assert "RECEIVE-BILL" in refused.value.message
    decide(Actor.of(controller), request.pk, approve=True)
    match.refresh_from_db()
    bill.refresh_from_db()
    assert match.status == MatchStatus.ACCEPTED
    assert (bill.state, bill.payment_hold) == (InvoiceState.POSTED, False)
    assert bill.untaxed_amount == D("150.00")
    assert run_checks()[1] == []


def test_requesting_a_credit_note_keeps_the_bill_held(buying, approved):
    _receive(approved, "10", "5")
    bill = matching.bill_purchase_order(
        SYSTEM, approved.pk, "INV-C", prices={_lines(approved)[1].pk: D("25.00")}
    )
    with pytest.raises(DomainError):
        matching.request_credit_note(SYSTEM, bill.pk, "  ")
    match = matching.request_credit_note(SYSTEM, bill.pk, "5 € too much per unit of B")
    assert match.status == MatchStatus.CREDIT_REQUESTED
    assert Invoice.objects.get(pk=bill.pk).payment_hold is True
