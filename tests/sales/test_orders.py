"""Quotations and orders: pricing, price exceptions, bad input, sourcing, confirmation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.approvals.models import ApprovalRequest
from crossdock.approvals.services import decide
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError
from crossdock.core.records import create_record
from crossdock.core.roles import Role
from crossdock.inventory.models import MoveState, StockMove, Transfer
from crossdock.masterdata.models import Currency, PartnerAddress, PriceList
from crossdock.sales.models import (
    MarginFloor,
    SalesOrder,
    SalesOrderLine,
    SalesOrderState,
    SalesSettings,
    SourcingPolicy,
)
from crossdock.sales.services.orders import (
    SalesLineDraft,
    cancel_sales_order,
    confirm_sales_order,
    update_sales_order,
)
from tests import factories
from tests.inventory.conftest import SYSTEM, Site

D = Decimal


def nothing_written():
    return SalesOrder.objects.count() == 0 and SalesOrderLine.objects.count() == 0


# -- pricing --------------------------------------------------------------------------------------


def test_the_price_comes_from_the_best_quantity_break_of_the_customers_list(selling):
    product = factories.product()
    selling.price(product, "10.00")
    selling.price(product, "9.00", min_quantity="10")
    selling.price(product, "8.00", min_quantity="100")
    order = selling.order((product, "5", None), (product, "50", None))
    prices = list(order.lines.order_by("sequence").values_list("unit_price", flat=True))
    assert prices == [D("10"), D("9")]
    assert order.amount == D("500.00")  # 5 × 10 + 50 × 9
    assert order.state == SalesOrderState.QUOTATION


def test_the_customers_own_list_wins_over_the_general_one(selling):
    product = factories.product()
    selling.price(product, "10.00")
    own = create_record(
        SYSTEM,
        PriceList,
        {
            "company": selling.company,
            "code": "OWN",
            "name": "Own",
            "currency": selling.customer.currency,
        },
    )
    selling.price(product, "7.50", price_list=own)
    selling.customer.price_list = own
    selling.customer.save()
    order = selling.order((product, "2", None))
    assert order.lines.get().unit_price == D("7.5")


def test_a_discount_is_taken_off_the_list_price_and_the_margin_is_kept(selling):
    product = factories.product(standard_cost=D("6.00"))
    selling.price(product, "10.00")
    order = selling.order((product, "10", None, {"discount_percent": "5"}))
    line = order.lines.get()
    assert (line.list_price, line.discount_percent, line.unit_price) == (D(10), D(5), D("9.5"))
    assert line.unit_cost == D(6)
    assert order.cost_company == D(60)
    assert order.margin_company == D(35)
    assert line.price_exception == ""


def test_a_price_under_the_margin_floor_goes_through_approval(selling, warehouse_a):
    product = factories.product(standard_cost=D("6.00"))
    selling.price(product, "10.00")
    selling.stock(product, "10")
    MarginFloor.objects.create(
        company=selling.company, category=product.category, min_margin_percent=D(25)
    )
    manager = factories.user(Role.SALES_MANAGER, companies=[selling.company])
    order = selling.order((product, "5", "7.00"))
    line = order.lines.get()
    assert "under the floor" in line.price_exception
    order = confirm_sales_order(selling.actor, order.pk)
    assert order.state == SalesOrderState.TO_APPROVE
    assert not Transfer.objects.filter(origin=order.reference).exists()
    request = ApprovalRequest.objects.get(
        document_type="sales-price-exception", document_id=str(order.pk)
    )
    with pytest.raises(DomainError):  # the requester never decides their own request
        decide(selling.actor, request.pk, approve=True)
    decide(Actor.of(manager), request.pk, approve=True)
    order.refresh_from_db()
    assert order.state == SalesOrderState.CONFIRMED
    assert StockMove.objects.get(transfer__origin=order.reference).state == MoveState.ASSIGNED


def test_a_rejected_price_returns_the_order_to_a_quotation(selling):
    product = factories.product(standard_cost=D("6.00"))
    selling.price(product, "10.00")
    order = selling.order((product, "5", None, {"discount_percent": "30"}))
    assert "discount 30" in order.lines.get().price_exception
    manager = factories.user(Role.SALES_MANAGER, companies=[selling.company])
    confirm_sales_order(selling.actor, order.pk)
    request = ApprovalRequest.objects.get(
        document_type="sales-price-exception", document_id=str(order.pk)
    )
    decide(Actor.of(manager), request.pk, approve=False, comment="Too cheap")
    order.refresh_from_db()
    assert (order.state, order.rejection_comment) == (SalesOrderState.QUOTATION, "Too cheap")


def test_the_company_discount_limit_applies_where_no_floor_is_set(selling):
    SalesSettings.objects.create(company=selling.company, max_discount_percent=D(3))
    product = factories.product()
    selling.price(product, "10.00")
    order = selling.order((product, "1", None, {"discount_percent": "4"}))
    assert "over 3 %" in order.lines.get().price_exception


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"product": "unknown"}, "lines[0].product", "Unknown product."),
        ({"quantity": "1.5"}, "lines[0].quantity", "decimal places"),
        ({"quantity": "0"}, "lines[0].quantity", "more than zero"),
        ({"quantity": 1.5}, "lines[0].quantity", "exact decimal"),
        ({"price": "-1"}, "lines[0].unit_price", "negative"),
        ({"no_price": True}, "lines[0].unit_price", "No price"),
    ],
)
def test_bad_lines_are_refused_naming_the_field_and_nothing_is_written(
    selling, line, field, message
):
    product = factories.product()
    if not line.get("no_price"):
        selling.price(product, "10.00")
    from crossdock.sales.services.orders import SalesOrderDraft, create_sales_order

    draft = SalesOrderDraft(
        customer_id=selling.customer.pk,
        lines=[
            SalesLineDraft(
                product_id=999999 if line.get("product") else product.pk,
                quantity=line.get("quantity", D(2)),
                unit_price=line.get("price"),
            )
        ],
    )
    with pytest.raises(DomainError) as refused:
        create_sales_order(selling.actor, draft)
    assert field in refused.value.fields
    assert message in " ".join(refused.value.fields[field])
    assert nothing_written()


def test_an_unknown_customer_and_a_supplier_are_refused(selling):
    from crossdock.sales.services.orders import SalesOrderDraft, create_sales_order

    product = factories.product()
    for customer_id in (
        987654,
        factories.partner(selling.company, is_customer=False, is_supplier=True).pk,
    ):
        with pytest.raises(DomainError) as refused:
            create_sales_order(
                selling.actor,
                SalesOrderDraft(customer_id, [SalesLineDraft(product.pk, D(1), D(1))]),
            )
        assert "customer" in refused.value.fields
    assert nothing_written()


def test_a_price_list_in_another_currency_is_refused(selling):
    usd = create_record(
        SYSTEM,
        PriceList,
        {
            "company": selling.company,
            "code": "USD",
            "name": "Dollar prices",
            "currency": Currency.objects.get(code="USD"),
        },
    )
    product = factories.product()
    with pytest.raises(DomainError) as refused:
        selling.order((product, "1", None), price_list_id=usd.pk)
    assert "is in USD, the order in EUR" in refused.value.fields["price_list"][0]
    assert nothing_written()


def test_only_a_quotation_can_be_changed_and_a_confirmed_order_cannot_be_confirmed_again(selling):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "5")
    order = selling.order((product, "1", None))
    order = update_sales_order(selling.actor, order.pk, selling.draft((product, "3", None)))
    assert order.lines.get().quantity == 3
    assert order.amount == D(30)
    confirm_sales_order(selling.actor, order.pk)
    with pytest.raises(ConflictError):
        confirm_sales_order(selling.actor, order.pk)
    with pytest.raises(ConflictError):
        update_sales_order(selling.actor, order.pk, selling.draft((product, "4", None)))


def test_a_sales_rep_of_another_company_does_not_find_the_order(selling, company_b):
    product = factories.product()
    selling.price(product, "10.00")
    order = selling.order((product, "1", None))
    other = Actor.of(factories.user(Role.SALES_REP, companies=[company_b]))
    from crossdock.core.errors import NotFoundError

    with pytest.raises(NotFoundError):
        confirm_sales_order(other, order.pk)


def test_cancelling_a_confirmed_order_releases_its_reservation(selling):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "5")
    order = selling.confirmed((product, "5", None))
    order = cancel_sales_order(selling.actor, order.pk, "Customer changed their mind")
    assert order.state == SalesOrderState.CANCELLED
    assert Transfer.objects.get(origin=order.reference).state == MoveState.CANCELLED
    from crossdock.inventory.models import Quant

    assert Quant.objects.get(product=product, location=selling.site.stock).reserved == 0


# -- sourcing -------------------------------------------------------------------------------------


@pytest.fixture
def network(selling):
    """Central in Brussels, depots in Antwerp and Liège; the customer ships to Liège."""
    company = selling.company
    warehouse = selling.warehouse
    warehouse.latitude, warehouse.longitude, warehouse.is_central = D("50.85"), D("4.35"), True
    warehouse.save()
    antwerp = factories.warehouse(company, "A-ANT", latitude=D("51.22"), longitude=D("4.40"))
    liege = factories.warehouse(company, "A-LGG", latitude=D("50.63"), longitude=D("5.57"))
    address = PartnerAddress.objects.create(
        partner=selling.customer, street="Rue Léopold 1", city="Liège", country="BE",
        latitude=D("50.64"), longitude=D("5.57"), is_default=True,
    )  # fmt: skip
    return {
        "central": selling.site,
        "antwerp": Site(antwerp),
        "liege": Site(liege),
        "address": address,
    }


def test_nearest_warehouse_with_stock_ships(selling, network):
    product = factories.product()
    selling.price(product, "10.00")
    for site, quantity in (("central", "20"), ("antwerp", "10"), ("liege", "10")):
        selling.stock(product, quantity, site=network[site])
    line = selling.order((product, "4", None)).lines.get()
    assert line.warehouse == network["liege"].warehouse
    # Liège short: the next nearest that can serve the whole line (Brussels, not Antwerp).
    line = selling.order((product, "15", None)).lines.get()
    assert line.warehouse == network["central"].warehouse
    assert line.promise_date is not None


def test_central_first_policy_prefers_the_central_warehouse(selling, network):
    SalesSettings.objects.create(company=selling.company, sourcing_policy=SourcingPolicy.CENTRAL)
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "10", site=network["central"])
    selling.stock(product, "10", site=network["liege"])
    assert selling.order((product, "4", None)).lines.get().warehouse == network["central"].warehouse


def test_split_policy_splits_a_line_across_warehouses_and_releases_one_delivery_each(
    selling, network
):
    SalesSettings.objects.create(company=selling.company, sourcing_policy=SourcingPolicy.SPLIT)
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "3", site=network["liege"])
    selling.stock(product, "5", site=network["central"])
    order = selling.order((product, "7", None))
    parts = list(order.lines.order_by("sequence").values_list("warehouse__code", "quantity"))
    assert parts == [("A-LGG", D(3)), ("A-CENTRAL", D(4))]
    order = confirm_sales_order(selling.actor, order.pk)
    transfers = Transfer.objects.filter(origin=order.reference)
    assert sorted(transfers.values_list("warehouse__code", "state")) == [
        ("A-CENTRAL", MoveState.ASSIGNED),
        ("A-LGG", MoveState.ASSIGNED),
    ]


def test_a_line_may_name_its_warehouse(selling, network):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "10", site=network["liege"])
    antwerp = network["antwerp"].warehouse
    line = selling.order((product, "2", None, {"warehouse_id": antwerp.pk})).lines.get()
    assert (line.warehouse, line.warehouse_chosen, line.promise_date) == (antwerp, True, None)


def test_the_promise_date_is_when_planned_supply_covers_the_line(selling):
    import datetime

    from crossdock.inventory.models import TransferKind

    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "2")
    arrival = datetime.datetime(2031, 3, 14, 12, tzinfo=datetime.UTC)
    selling.site.transfer(
        TransferKind.RECEIPT, selling.site.supplier, selling.site.stock, [(product, "10", "5")],
        scheduled_at=arrival,
    )  # fmt: skip
    now_line, later_line = selling.order((product, "2", None), (product, "5", None)).lines.order_by(
        "sequence"
    )
    assert now_line.promise_date == __import__("django.utils.timezone").utils.timezone.localdate()
    assert later_line.promise_date == datetime.date(2031, 3, 14)
