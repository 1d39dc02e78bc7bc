"""Customer returns (RMAs): authorizing delivered goods, receiving them with inspection
(restock, quality hold, scrap — checked in the quants), resolving with a credit note or a
replacement order; over-returns, rejection and permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from crossdock.accounting.models import Invoice, InvoiceKind, InvoiceState
from crossdock.approvals import services as approvals
from crossdock.approvals.models import ApprovalPolicy
from crossdock.core.context import Actor
from crossdock.core.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    SegregationOfDutiesError,
)
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role
from crossdock.inventory.models import MoveState, Quant, StockMove, Transfer, TransferKind
from crossdock.masterdata.models import LocationKind
from crossdock.masterdata.services import warehouse_location
from crossdock.sales.models import (
    ReturnAuthorization,
    ReturnLine,
    ReturnState,
    SalesOrder,
    SalesOrderState,
)
from crossdock.sales.services.fulfilment import invoice_sales_orders, ship_sales_order
from crossdock.sales.services.returns import (
    RETURN_APPROVAL,
    LineInspection,
    ReturnDraft,
    ReturnLineDraft,
    ReturnReceipt,
    cancel_return,
    create_return,
    receive_return,
    resolve_return,
    submit_return,
)
from tests import factories
from tests.sales.conftest import Selling

D = Decimal


class Returns:
    """A customer with shipped (and optionally invoiced) orders, and the people of an RMA."""

    def __init__(self, selling: Selling) -> None:
        self.selling = selling
        company = selling.company
        self.company = company
        self.agent = Actor.of(factories.user(Role.SERVICE_AGENT, companies=[company]))
        self.manager = Actor.of(factories.user(Role.SALES_MANAGER, companies=[company]))
        self.operator = Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company]))
        self.clerk = Actor.of(factories.user(Role.AR_CLERK, companies=[company]))
        self.stock = warehouse_location(selling.warehouse, LocationKind.RESERVE)
        self.hold = warehouse_location(selling.warehouse, LocationKind.QUALITY_HOLD)

    def shipped(self, *lines, invoice: bool = False) -> SalesOrder:
        for product, quantity, _ in lines:
            self.selling.stock(product, quantity)
        order = self.selling.confirmed(*lines)
        ship_sales_order(self.operator, order.pk)
        if invoice:
            invoice_sales_orders(self.clerk, [order.pk])
        order.refresh_from_db()
        return order

    @staticmethod
    def delivered(order: SalesOrder, product) -> StockMove:
        return StockMove.objects.get(
            transfer__origin=order.reference,
            state=MoveState.DONE,
            destination__kind=LocationKind.CUSTOMER,
            product=product,
        )

    def draft(self, *lines, resolution="credit_note", reason="damaged", customer=None):
        return ReturnDraft(
            customer_id=(customer or self.selling.customer).pk,
            reason=reason,
            resolution=resolution,
            lines=[ReturnLineDraft(move.pk, quantity) for move, quantity in lines],
            note="Customer called",
        )

    def approve(self, rma: ReturnAuthorization) -> ReturnAuthorization:
        request = approvals.request_for(RETURN_APPROVAL, rma.pk)
        approvals.decide(self.manager, request.pk, approve=True)
        rma.refresh_from_db()
        return rma

    def authorized(self, *lines, **extra) -> ReturnAuthorization:
        rma = create_return(self.agent, self.draft(*lines, **extra))
        submit_return(self.agent, rma.pk)
        return self.approve(rma)


@pytest.fixture
def returns(selling):
    return Returns(selling)


def on_hand(product, location) -> Decimal:
    return Quant.objects.filter(product=product, location=location).aggregate(t=Sum("quantity"))[
        "t"
    ] or D(0)


def test_an_rma_is_authorized_received_restocked_and_credited(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "10", None), invoice=True)
    move = returns.delivered(order, product)
    rma = create_return(returns.agent, returns.draft((move, "4")))
    assert rma.reference == f"RMA/{returns.company.code}/000001"
    assert rma.state == ReturnState.DRAFT
    assert rma.created_by == returns.agent.user
    line = rma.lines.get()
    assert (line.order_line.order, line.delivered_move, line.quantity) == (order, move, D(4))

    rma = submit_return(returns.agent, rma.pk)
    assert rma.state == ReturnState.TO_APPROVE
    policy = ApprovalPolicy.objects.get(company=returns.company, document_type=RETURN_APPROVAL)
    assert policy.levels.get().role == "sales-manager"
    rma = returns.approve(rma)
    assert rma.state == ReturnState.AUTHORIZED
    returned = Transfer.objects.get(origin=rma.reference)
    assert returned.kind == TransferKind.RETURN
    assert returned.returned_from == move.transfer
    assert returned.destination == returns.hold
    assert returned.state == MoveState.CONFIRMED
    line.refresh_from_db()
    assert line.return_move.returned_move == move

    rma = receive_return(
        returns.operator, rma.pk, ReturnReceipt([LineInspection(line.pk, "4", restocked="4")])
    )
    assert rma.state == ReturnState.RECEIVED
    assert on_hand(product, returns.stock) == D(4)
    assert on_hand(product, returns.hold) == D(0)
    line.refresh_from_db()
    assert (line.received_quantity, line.restocked_quantity) == (D(4), D(4))

    rma = resolve_return(returns.clerk, rma.pk)
    assert rma.state == ReturnState.CLOSED
    note = rma.credit_notes.get()
    assert note.kind == InvoiceKind.CUSTOMER_CREDIT
    assert note.state == InvoiceState.POSTED
    assert note.untaxed_amount == D("50")  # 4 × 12.50, the order's price
    line.refresh_from_db()
    assert line.credited_quantity == D(4)
    names = set(
        OutboxEvent.objects.filter(name__startswith="sales.return.").values_list("name", flat=True)
    )
    assert names == {
        "sales.return.create",
        "sales.return.submit",
        "sales.return.authorize",
        "sales.return.receive",
        "sales.return.resolve",
    }
    assert AuditEntry.objects.filter(action="sales.return.resolve", object_id=str(rma.pk)).exists()


def test_a_replacement_order_at_the_original_prices_closes_the_rma(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "5", "12.00"))
    rma = returns.authorized(
        (returns.delivered(order, product), "2"), resolution="replacement", reason="wrong_item"
    )
    line = rma.lines.get()
    receive_return(
        returns.operator, rma.pk, ReturnReceipt([LineInspection(line.pk, "2", held="2")])
    )
    returns.selling.stock(product, "2")
    rma = resolve_return(returns.selling.actor, rma.pk)
    assert rma.state == ReturnState.CLOSED
    replacement = rma.replacement_order
    assert replacement.state == SalesOrderState.CONFIRMED
    assert replacement.customer == returns.selling.customer
    assert [(x.product, x.quantity, x.unit_price) for x in replacement.lines.all()] == [
        (product, D(2), D("12"))
    ]
    assert rma.reference in replacement.note
    assert not rma.credit_notes.exists()
    assert replacement.reference in rma.resolution_note


def test_inspection_restocks_holds_and_scraps_with_the_stock_where_it_says(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "6", None))
    assert on_hand(product, returns.stock) == D(0)
    rma = returns.authorized((returns.delivered(order, product), "6"))
    line = rma.lines.get()
    receive_return(
        returns.operator,
        rma.pk,
        ReturnReceipt([LineInspection(line.pk, "6", restocked="2", held="3", scrapped="1")]),
    )
    assert on_hand(product, returns.stock) == D(2)
    assert on_hand(product, returns.hold) == D(3)
    scrap = Transfer.objects.get(kind=TransferKind.SCRAP)
    assert scrap.state == MoveState.DONE  # no stock-adjustment policy: processed at once
    assert scrap.moves.get().quantity == D(1)
    assert scrap.source == returns.hold
    assert scrap.destination.kind in (LocationKind.SCRAP, LocationKind.INVENTORY_LOSS)
    line.refresh_from_db()
    assert (
        line.received_quantity,
        line.restocked_quantity,
        line.held_quantity,
        line.scrapped_quantity,
    ) == (D(6), D(2), D(3), D(1))


def test_outcomes_that_do_not_add_up_are_refused_and_nothing_is_received(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "6", None))
    rma = returns.authorized((returns.delivered(order, product), "6"))
    line = rma.lines.get()
    audits = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        receive_return(
            returns.operator,
            rma.pk,
            ReturnReceipt([LineInspection(line.pk, "6", restocked="2", held="3")]),
        )
    assert "lines[0].received" in refused.value.fields
    with pytest.raises(DomainError) as refused:
        receive_return(returns.operator, rma.pk, ReturnReceipt([LineInspection(line.pk, "7")]))
    assert "At most 6" in refused.value.fields["lines[0].received"][0]
    rma.refresh_from_db()
    assert rma.state == ReturnState.AUTHORIZED
    assert AuditEntry.objects.count() == audits
    assert on_hand(product, returns.hold) == D(0)
    assert Transfer.objects.get(origin=rma.reference).state == MoveState.CONFIRMED


def test_one_rma_covers_two_orders_and_is_received_delivery_by_delivery(returns):
    first, second = factories.product(), factories.product()
    for product in (first, second):
        returns.selling.price(product, "10")
    order_one = returns.shipped((first, "3", None))
    order_two = returns.shipped((second, "5", None), invoice=True)
    rma = returns.authorized(
        (returns.delivered(order_one, first), "3"), (returns.delivered(order_two, second), "5")
    )
    assert {ln.order_line.order for ln in rma.lines.all()} == {order_one, order_two}
    assert Transfer.objects.filter(origin=rma.reference, kind=TransferKind.RETURN).count() == 2
    line_one = rma.lines.get(product=first)
    line_two = rma.lines.get(product=second)
    rma = receive_return(
        returns.operator, rma.pk, ReturnReceipt([LineInspection(line_one.pk, "3", restocked="3")])
    )
    assert rma.state == ReturnState.RECEIVING
    with pytest.raises(ConflictError):
        resolve_return(returns.clerk, rma.pk)
    rma = receive_return(
        returns.operator, rma.pk, ReturnReceipt([LineInspection(line_two.pk, "4", restocked="4")])
    )
    assert rma.state == ReturnState.RECEIVED
    assert on_hand(first, returns.stock) == D(3)
    assert on_hand(second, returns.stock) == D(4)
    # The fifth unit of the second product did not come: it is no longer expected.
    assert not Transfer.objects.filter(
        origin=rma.reference, state__in=[MoveState.CONFIRMED, MoveState.ASSIGNED]
    ).exists()
    rma = resolve_return(returns.clerk, rma.pk)
    note = rma.credit_notes.get()  # only the second order was invoiced
    assert note.untaxed_amount == D("40")
    assert "not invoiced yet" in rma.resolution_note.lower()
    assert first.sku in rma.resolution_note


def test_a_return_of_more_than_was_delivered_is_refused_and_nothing_is_written(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "10", None))
    move = returns.delivered(order, product)
    audits, events = AuditEntry.objects.count(), OutboxEvent.objects.count()
    with pytest.raises(DomainError) as refused:
        create_return(returns.agent, returns.draft((move, "11")))
    message = refused.value.fields["lines[0].quantity"][0]
    assert "At most 10" in message
    assert move.transfer.reference in message
    assert not ReturnAuthorization.objects.exists()
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == (audits, events)
    # A pending RMA holds its quantity; a second one can only take the rest.
    create_return(returns.agent, returns.draft((move, "6")))
    with pytest.raises(DomainError) as refused:
        create_return(returns.agent, returns.draft((move, "5")))
    assert "At most 4" in refused.value.fields["lines[0].quantity"][0]
    assert ReturnAuthorization.objects.count() == 1
    assert ReturnLine.objects.count() == 1


def test_only_done_deliveries_of_that_customer_can_be_returned(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "2", None))
    move = returns.delivered(order, product)
    other = factories.partner(returns.company, is_customer=True)
    with pytest.raises(DomainError) as refused:
        create_return(returns.agent, returns.draft((move, "1"), customer=other))
    assert "lines[0].move" in refused.value.fields
    receipt_move = StockMove.objects.filter(transfer__kind=TransferKind.RECEIPT).first()
    with pytest.raises(DomainError) as refused:
        create_return(returns.agent, returns.draft((receipt_move, "1")))
    assert "lines[0].move" in refused.value.fields
    with pytest.raises(DomainError) as refused:
        create_return(returns.agent, returns.draft((move, "1"), reason="bored"))
    assert set(refused.value.fields) == {"reason"}
    assert not ReturnAuthorization.objects.exists()


def test_a_rejected_rma_gets_no_return_transfer_and_frees_its_quantity(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "3", None))
    move = returns.delivered(order, product)
    other_manager = Actor.of(factories.user(Role.SALES_MANAGER, companies=[returns.company]))
    rma = create_return(returns.manager, returns.draft((move, "3")))
    submit_return(returns.manager, rma.pk)
    request = approvals.request_for(RETURN_APPROVAL, rma.pk)
    with pytest.raises(SegregationOfDutiesError):
        approvals.decide(returns.manager, request.pk, approve=True)
    approvals.decide(other_manager, request.pk, approve=False, comment="Past the return window")
    rma.refresh_from_db()
    assert rma.state == ReturnState.REJECTED
    assert rma.rejection_comment == "Past the return window"
    assert not Transfer.objects.filter(origin=rma.reference).exists()
    again = create_return(returns.agent, returns.draft((move, "3")))
    assert again.lines.get().quantity == D(3)


def test_cancelling_an_authorized_rma_cancels_its_return_transfer(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "3", None))
    move = returns.delivered(order, product)
    rma = returns.authorized((move, "3"))
    rma = cancel_return(returns.agent, rma.pk, "Customer keeps them")
    assert rma.state == ReturnState.CANCELLED
    assert Transfer.objects.get(origin=rma.reference).state == MoveState.CANCELLED
    assert create_return(returns.agent, returns.draft((move, "3"))).lines.get().quantity == D(3)
    with pytest.raises(ConflictError):
        cancel_return(returns.agent, rma.pk)


def test_each_step_is_for_its_role(returns, company_b):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "4", None), invoice=True)
    move = returns.delivered(order, product)
    with pytest.raises(PermissionDeniedError):
        create_return(returns.operator, returns.draft((move, "1")))
    with pytest.raises(PermissionDeniedError):
        create_return(returns.clerk, returns.draft((move, "1")))
    stranger = Actor.of(factories.user(Role.SERVICE_AGENT, companies=[company_b]))
    with pytest.raises(DomainError) as refused:
        create_return(stranger, returns.draft((move, "1")))
    assert set(refused.value.fields) == {"customer"}
    rep_rma = create_return(returns.selling.actor, returns.draft((move, "1")))
    assert rep_rma.created_by == returns.selling.rep
    with pytest.raises(NotFoundError):
        submit_return(stranger, rep_rma.pk)
    with pytest.raises(PermissionDeniedError):
        submit_return(returns.operator, rep_rma.pk)
    rma = returns.authorized((move, "2"))
    line = rma.lines.get()
    receipt = ReturnReceipt([LineInspection(line.pk, "2", restocked="2")])
    for outsider in (returns.agent, returns.clerk):
        with pytest.raises(PermissionDeniedError):
            receive_return(outsider, rma.pk, receipt)
    receive_return(returns.operator, rma.pk, receipt)
    for outsider in (returns.operator, returns.agent):
        with pytest.raises(PermissionDeniedError):
            resolve_return(outsider, rma.pk)
    assert resolve_return(returns.clerk, rma.pk).state == ReturnState.CLOSED
    assert Invoice.objects.filter(kind=InvoiceKind.CUSTOMER_CREDIT).count() == 1
