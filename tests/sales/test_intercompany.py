"""Intercompany orders: a sale to a sister company mirrors a purchase order there, ships as a
dispatch between the two companies' warehouses, is received on the purchase order, and its
invoice is mirrored as the buyer's bill — with both ledgers balanced and the consolidated
statements eliminating the intercompany balances."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.accounting import statements
from crossdock.accounting.models import AccountRole, Invoice, InvoiceKind, JournalLine
from crossdock.core.checks import run_checks
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError
from crossdock.core.roles import Role
from crossdock.inventory.models import MoveLine, MoveState, StockMove, Transfer, TransferKind
from crossdock.inventory.services import confirm_arrival
from crossdock.purchasing.models import (
    BillMatch,
    OrderState,
    PurchaseOrder,
    PurchaseReceiptLine,
)
from crossdock.purchasing.services.orders import cancel_purchase_order
from crossdock.sales.models import SalesOrder, SalesOrderState
from crossdock.sales.services.fulfilment import invoice_sales_orders, ship_sales_order
from crossdock.sales.services.orders import cancel_sales_order, confirm_sales_order
from tests import factories
from tests.accounting.conftest import Books
from tests.sales.conftest import Selling

D = Decimal


class Group:
    """Acme sells to its sister Beta: each is a partner in the other's books."""

    def __init__(self, warehouse_a, company_b, *, beta_partner=True):
        self.selling = Selling(warehouse_a)
        self.acme, self.beta = warehouse_a.company, company_b
        self.books_a, self.books_b = Books(self.acme), Books(self.beta)
        self.customer = factories.partner(
            self.acme, name="Beta (group)", group_company=company_b, customer_tier="standard"
        )
        self.supplier = None
        if beta_partner:
            self.supplier = factories.partner(
                company_b, name="Acme (group)", is_customer=False, is_supplier=True,
                group_company=self.acme,
            )  # fmt: skip
        self.product = factories.product(costing_method="fifo", sku="IC-1", name="Pallet wrap")
        self.selling.stock(self.product, "8", cost="4.00")
        company = self.acme
        self.operator = Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company]))
        self.clerk = Actor.of(factories.user(Role.AR_CLERK, companies=[company]))
        self.receiver = Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_b]))

    def order(self, quantity="5", price="10.00"):
        return self.selling.order((self.product, quantity, price), customer=self.customer)

    def confirmed(self, quantity="5", price="10.00"):
        order = self.order(quantity, price)
        return confirm_sales_order(self.selling.actor, order.pk)


@pytest.fixture
def group(warehouse_a, warehouse_b, company_b):
    return Group(warehouse_a, company_b)


def balance(books, role):
    lines = JournalLine.objects.filter(account=books.role(role), entry__state="posted")
    return sum((x.debit - x.credit for x in lines), D(0))


def on_hand(product, warehouse):
    from crossdock.inventory.models import Quant

    quants = Quant.objects.filter(
        product=product, location__warehouse=warehouse, location__kind="reserve"
    )
    return sum((q.quantity for q in quants), D(0))


def test_the_whole_intercompany_flow_with_exact_figures(group, warehouse_a, warehouse_b):
    order = group.confirmed()
    assert order.state == SalesOrderState.CONFIRMED
    assert order.credit_limit == D(0)  # a group company is never credit-checked

    # 1. the mirrored purchase order in Beta: confirmed, linked both ways
    po = order.mirrored_purchase_order
    line = order.lines.get()
    assert (po.company_id, po.supplier_id, po.warehouse_id, po.state) == (
        group.beta.pk, group.supplier.pk, warehouse_b.pk, OrderState.CONFIRMED,
    )  # fmt: skip
    assert (po.intercompany_origin, po.currency_id, po.amount) == (
        order.reference, order.currency_id, D("50.00"),
    )  # fmt: skip
    assert po.intercompany_sales_order == order
    assert list(
        po.lines.values_list(
            "product_id", "quantity", "unit_price", "confirmed_quantity", "confirmed_date"
        )
    ) == [(group.product.pk, D(5), D(10), D(5), line.promise_date or timezone.localdate())]

    # 2. a dispatch from Acme's warehouse to Beta's, reserved — no delivery to a customer
    transfers = Transfer.objects.filter(origin=order.reference)
    dispatch = transfers.get()
    assert (dispatch.kind, dispatch.warehouse_id, dispatch.state) == (
        TransferKind.TRANSIT_OUT, warehouse_a.pk, MoveState.ASSIGNED,
    )  # fmt: skip
    assert dispatch.final_destination.warehouse_id == warehouse_b.pk
    assert dispatch.moves.get().unit_cost == D(10)  # the transfer price, Beta's currency

    shipped = ship_sales_order(group.operator, order.pk, carrier="OWN", tracking_number="T1")
    assert [t.pk for t in shipped] == [dispatch.pk]
    order.refresh_from_db()
    assert order.state == SalesOrderState.SHIPPED
    assert list(order.lines.values_list("shipped_quantity", "invoiced_quantity")) == [(D(5), D(0))]
    assert on_hand(group.product, warehouse_a) == D(3)
    # ownership passed at dispatch: Acme's stock left at cost, Beta's came in at the price
    assert balance(group.books_a, AccountRole.STOCK) == D("12.00")  # 3 × 4.00 left
    assert balance(group.books_a, AccountRole.INTERCOMPANY) == D("20.00")
    assert balance(group.books_b, AccountRole.STOCK) == D("50.00")
    assert balance(group.books_b, AccountRole.INTERCOMPANY) == D("-50.00")

    # 3. Beta receives the arrival: the purchase order's lines are received
    arrival = Transfer.objects.get(origin=order.reference, kind=TransferKind.TRANSIT_IN)
    assert (arrival.company_id, arrival.warehouse_id) == (group.beta.pk, warehouse_b.pk)
    po.refresh_from_db()
    assert po.lines.get().received_quantity == D(0)
    confirm_arrival(group.receiver, arrival.pk)
    po.refresh_from_db()
    assert po.state == OrderState.RECEIVED
    assert po.lines.get().received_quantity == D(5)
    assert PurchaseReceiptLine.objects.get().move.transfer_id == arrival.pk
    assert on_hand(group.product, warehouse_b) == D(5)
    order.refresh_from_db()
    assert order.state == SalesOrderState.SHIPPED  # the arrival does not ship anything again

    # 4. the invoice in Acme, the mirrored bill in Beta, matched to the purchase order
    (invoice,) = invoice_sales_orders(group.clerk, [order.pk])
    assert (invoice.company_id, invoice.partner_id, invoice.state, invoice.total_amount) == (
        group.acme.pk, group.customer.pk, "posted", D("50.00"),
    )  # fmt: skip
    bill = Invoice.objects.get(mirror_of=invoice)
    assert (bill.company_id, bill.kind, bill.partner_id, bill.state, bill.total_amount) == (
        group.beta.pk, InvoiceKind.VENDOR_BILL, group.supplier.pk, "posted", D("50.00"),
    )  # fmt: skip
    assert bill.lines.get().stock_move_id == dispatch.moves.get().pk
    match = BillMatch.objects.get(invoice=bill)
    assert (match.order_id, match.status) == (po.pk, "matched")
    po.refresh_from_db()
    assert po.state == OrderState.BILLED
    assert po.lines.get().billed_quantity == D(5)
    order.refresh_from_db()
    assert order.state == SalesOrderState.INVOICED
    assert list(order.lines.values_list("shipped_quantity", "invoiced_quantity")) == [(D(5), D(5))]
    # Beta's intercompany account is cleared; receivable and payable carry the group partners
    assert balance(group.books_b, AccountRole.INTERCOMPANY) == D(0)
    assert balance(group.books_a, AccountRole.RECEIVABLE) == D("50.00")
    assert balance(group.books_b, AccountRole.PAYABLE) == D("-50.00")
    receivable = JournalLine.objects.get(entry=invoice.entry, account__role="receivable")
    payable = JournalLine.objects.get(entry=bill.entry, account__role="payable")
    assert (receivable.partner_id, payable.partner_id) == (group.customer.pk, group.supplier.pk)

    # the consolidated balance sheet eliminates the intercompany receivable and payable
    today = timezone.localdate()
    sheet = statements.consolidated([group.acme, group.beta], group.acme.base_currency, today)
    rows = {row.code: row for row in sheet.rows}
    ar, ap = group.books_a.role(AccountRole.RECEIVABLE), group.books_b.role(AccountRole.PAYABLE)
    assert rows[ar.code].columns == (D(50), D(0), D(-50))
    assert rows[ar.code].amount == D(0)
    assert rows[ap.code].amount == D(0)
    assert sheet.total("assets") == sheet.total("liabilities") + sheet.total("equity")
    assert run_checks()[1] == []


def test_cancelling_the_order_before_shipping_cancels_the_mirrored_purchase_order(group):
    order = group.confirmed()
    po = order.mirrored_purchase_order
    # the reverse is refused: the purchase order follows its sales order
    with pytest.raises(ConflictError) as refused:
        cancel_purchase_order(Actor.system("buyer"), po.pk)
    assert order.reference in refused.value.fields["intercompany_origin"][0]
    po.refresh_from_db()
    assert po.state == OrderState.CONFIRMED

    cancel_sales_order(group.selling.actor, order.pk, "Beta sources elsewhere")
    order.refresh_from_db()
    po.refresh_from_db()
    assert (order.state, po.state) == (SalesOrderState.CANCELLED, OrderState.CANCELLED)
    assert Transfer.objects.get(origin=order.reference).state == MoveState.CANCELLED
    assert not MoveLine.objects.filter(move__transfer__origin=order.reference).exists()
    assert run_checks()[1] == []


def test_cancelling_after_a_partial_shipment_keeps_only_what_shipped_on_the_mirror(group):
    order = group.confirmed(quantity="10")  # 8 on hand: 8 dispatched, 2 on a backorder
    ship_sales_order(group.operator, order.pk)
    cancel_sales_order(group.selling.actor, order.pk, "the rest is not needed")
    order.refresh_from_db()
    po = PurchaseOrder.objects.get(pk=order.mirrored_purchase_order_id)
    assert order.state == SalesOrderState.SHIPPED
    assert (po.state, po.amount) == (OrderState.CONFIRMED, D("80.00"))
    assert list(po.lines.values_list("quantity", "received_quantity")) == [(D(8), D(0))]
    arrival = Transfer.objects.get(origin=order.reference, kind=TransferKind.TRANSIT_IN)
    assert arrival.state != MoveState.CANCELLED  # the goods are Beta's, on their way
    confirm_arrival(group.receiver, arrival.pk)
    po.refresh_from_db()
    assert po.state == OrderState.RECEIVED
    assert run_checks()[1] == []


def nothing_written(order):
    order.refresh_from_db()
    assert order.state == SalesOrderState.QUOTATION
    assert order.mirrored_purchase_order_id is None
    assert PurchaseOrder.objects.count() == 0
    assert not Transfer.objects.filter(origin=order.reference).exists()


def test_a_sister_company_without_a_partner_for_the_seller_is_refused(
    warehouse_a, warehouse_b, company_b
):
    group = Group(warehouse_a, company_b, beta_partner=False)
    order = group.order()
    with pytest.raises(DomainError) as refused:
        confirm_sales_order(group.selling.actor, order.pk)
    assert "has no partner for" in refused.value.fields["customer"][0]
    nothing_written(order)


def test_a_sister_company_without_a_warehouse_is_refused(warehouse_a, company_b):
    group = Group(warehouse_a, company_b)
    order = group.order()
    with pytest.raises(DomainError) as refused:
        confirm_sales_order(group.selling.actor, order.pk)
    assert "no active warehouse" in refused.value.fields["warehouse"][0]
    nothing_written(order)


def test_the_mirrored_order_cannot_be_received_or_revised_by_hand(group):
    from crossdock.purchasing.services.orders import (
        OrderDraft,
        OrderLineDraft,
        revise_purchase_order,
    )
    from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order

    order = group.confirmed()
    po = order.mirrored_purchase_order
    line = po.lines.get()
    with pytest.raises(ConflictError) as receiving:
        receive_purchase_order(Actor.system("x"), po.pk, [ReceiptLine(line.pk, D(5))])
    assert "arrival" in receiving.value.fields["intercompany_origin"][0]
    with pytest.raises(ConflictError):
        revise_purchase_order(
            Actor.system("x"),
            po.pk,
            OrderDraft(po.supplier_id, po.warehouse_id, [OrderLineDraft(line.product_id, D(6))]),
        )
    assert not StockMove.objects.filter(transfer__kind=TransferKind.RECEIPT, company=group.beta)
    assert po.lines.get().quantity == D(5)
    assert SalesOrder.objects.get(pk=order.pk).state == SalesOrderState.CONFIRMED


def test_a_price_in_another_currency_enters_the_buyer_at_the_converted_price(
    warehouse_a, warehouse_b, company_b
):
    """Acme sells in USD to Beta (EUR): Beta's stock comes in at the EUR equivalent and the
    mirrored bill clears intercompany at exactly that value."""
    from crossdock.masterdata.models import Currency, ExchangeRate

    usd = Currency.objects.get(code="USD")
    eur = group_currency = company_b.base_currency
    ExchangeRate.objects.create(
        currency=usd, quote_currency=eur, valid_from=datetime.date(2020, 1, 1), rate=D("0.9000")
    )
    assert group_currency.code == "EUR"
    group = Group(warehouse_a, company_b)
    order = group.selling.order(
        (group.product, "4", "12.50"), customer=group.customer, currency_id=usd.pk
    )
    order = confirm_sales_order(group.selling.actor, order.pk)
    po = order.mirrored_purchase_order
    assert (po.currency_id, po.amount, po.amount_company) == (usd.pk, D("50.00"), D("45.00"))
    dispatch = Transfer.objects.get(origin=order.reference)
    assert dispatch.moves.get().unit_cost == D("11.25")  # 12.50 USD × 0.90
    ship_sales_order(group.operator, order.pk)
    (invoice,) = invoice_sales_orders(group.clerk, [order.pk])
    bill = Invoice.objects.get(mirror_of=invoice)
    assert (bill.currency_id, bill.total_amount, bill.total_company) == (
        usd.pk, D("50.00"), D("45.00"),
    )  # fmt: skip
    assert balance(group.books_b, AccountRole.INTERCOMPANY) == D(0)
    assert balance(group.books_b, AccountRole.STOCK) == D("45.00")
    assert run_checks()[1] == []


def test_the_api_and_the_pages_show_and_link_the_counterpart(group, settings):
    from django.urls import reverse

    from tests.api.conftest import ApiClient
    from tests.browser import client_for

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    order = group.confirmed()
    po = order.mirrored_purchase_order
    seller = group.selling.rep
    buyer = factories.user(Role.BUYER, companies=[group.beta])
    both = factories.user(Role.ADMINISTRATOR, companies=[group.acme, group.beta])

    sales = ApiClient(seller).get(f"sales-orders/{order.pk}").json()
    assert (sales["mirrored_purchase_order"], sales["mirrored_purchase_order_reference"]) == (
        po.pk, po.reference,
    )  # fmt: skip
    listed = ApiClient(seller).get("sales-orders").json()["items"]
    assert [(x["id"], x["mirrored_purchase_order"]) for x in listed] == [(order.pk, po.pk)]
    # the buyer's arrival is not one of the seller's deliveries
    assert {d["kind"] for d in sales["deliveries"]} == {"transit_out"}
    purchase = ApiClient(buyer).get(f"purchase-orders/{po.pk}").json()
    assert (purchase["intercompany_origin"], purchase["source_sales_order"]) == (
        order.reference, order.pk,
    )  # fmt: skip
    # the seller cannot read the buyer's order, nor the buyer the seller's
    assert ApiClient(seller).get(f"purchase-orders/{po.pk}").status_code in (403, 404)
    assert ApiClient(buyer).get(f"sales-orders/{order.pk}").status_code in (403, 404)
    cancel = ApiClient(buyer).post(
        f"purchase-orders/{po.pk}/cancel", {"reason": "no"}, HTTP_IDEMPOTENCY_KEY="ic-cancel-1"
    )
    assert cancel.status_code == 409, cancel.content
    assert "intercompany_origin" in cancel.json()["errors"]
    po.refresh_from_db()
    assert po.state == OrderState.CONFIRMED

    so_url = reverse("sales:order_detail", args=[order.pk])
    po_url = reverse("purchasing:order_detail", args=[po.pk])
    page = client_for(both).get(so_url).content.decode()
    assert f'href="{po_url}">{po.reference}</a>' in page
    page = client_for(both).get(po_url).content.decode()
    assert f'href="{so_url}">{order.reference}</a>' in page
    assert "Mirrors the sales order" in page
    page = client_for(buyer).get(po_url).content.decode()  # named, not linked
    assert order.reference in page
    assert so_url not in page


def test_the_mirrored_bill_clears_intercompany_at_the_received_value_the_rest_is_variance(
    group,
):
    """A standard-cost product enters Beta's stock at its standard cost (8.00), not the
    transfer price (10.00): the bill clears intercompany at 40.00 and 10.00 is price variance."""
    product = factories.product(costing_method="standard", standard_cost=D("8.00"), sku="IC-STD")
    group.selling.stock(product, "5", cost="8.00")
    order = group.selling.order((product, "5", "10.00"), customer=group.customer)
    order = confirm_sales_order(group.selling.actor, order.pk)
    ship_sales_order(group.operator, order.pk)
    assert balance(group.books_b, AccountRole.STOCK) == D("40.00")
    (invoice,) = invoice_sales_orders(group.clerk, [order.pk])
    bill = Invoice.objects.get(mirror_of=invoice)
    lines = {
        line.account.role: (line.debit, line.credit)
        for line in JournalLine.objects.filter(entry=bill.entry).select_related("account")
    }
    assert lines == {
        AccountRole.INTERCOMPANY: (D("40.00"), D(0)),
        AccountRole.PRICE_VARIANCE: (D("10.00"), D(0)),
        AccountRole.PAYABLE: (D(0), D("50.00")),
    }
    assert balance(group.books_b, AccountRole.INTERCOMPANY) == D(0)
    assert run_checks()[1] == []
