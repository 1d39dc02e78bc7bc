"""The sales screens with Django's test client: every screen renders for whoever may open it
and is refused to whoever may not, order entry refuses bad input on the field at fault and
writes nothing, the live panel shows prices, ATP and credit, and the order actions move an
order from quotation to invoiced."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.accounting.models import Invoice
from crossdock.core.roles import Role
from crossdock.sales.models import SalesOrder, SalesOrderState
from crossdock.sales.services.orders import confirm_sales_order
from tests import factories
from tests.browser import client_for

D = Decimal


@pytest.fixture
def people(selling, company_b):
    company = selling.company
    return {
        "rep": selling.rep,
        "operator": factories.user(
            Role.WAREHOUSE_OPERATOR, companies=[company], warehouses=[selling.warehouse]
        ),
        "clerk": factories.user(Role.AR_CLERK, companies=[company]),
        "controller": factories.user(Role.CREDIT_CONTROLLER, companies=[company]),
        "ap": factories.user(Role.AP_CLERK, companies=[company]),
        "outsider": factories.user(Role.SALES_REP, companies=[company_b]),
    }


@pytest.fixture
def goods(selling):
    """Bolts at 10.00 (cost 6, 20 in stock) and nuts at 4.00 (cost 1, 5 in stock)."""
    bolts = factories.product("BOLT-M8", name="Bolts M8")
    nuts = factories.product("NUT-M8", name="Nuts M8")
    selling.price(bolts, "10.00")
    selling.price(nuts, "4.00")
    selling.stock(bolts, "20", cost="6")
    selling.stock(nuts, "5", cost="1")
    return {"bolts": bolts, "nuts": nuts}


def entry(customer, *lines, **header):
    data = {
        "customer": str(customer.pk),
        "channel": "field",
        "requested_date": "",
        "customer_reference": "",
        "note": "",
        "lines-TOTAL_FORMS": str(max(len(lines), 3)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500",
        **header,
    }
    for index, (sku, quantity, price) in enumerate(lines):
        data |= {
            f"lines-{index}-sku": sku,
            f"lines-{index}-quantity": quantity,
            f"lines-{index}-unit_price": price,
            f"lines-{index}-discount_percent": "",
            f"lines-{index}-warehouse": "",
        }
    return data


def test_every_screen_renders_for_a_sales_rep(selling, goods, people):
    order = selling.confirmed((goods["bolts"], "5", None))
    client = client_for(people["rep"])
    pages = {
        reverse("sales:order_list"): order.reference,
        reverse("sales:order_list") + "?state=open&channel=field": order.reference,
        reverse("sales:order_create"): "New sales order",
        reverse("sales:order_detail", args=[order.pk]): "BOLT-M8",
        reverse("sales:credit_holds"): "No order is on credit hold.",
        reverse("sales:customer_detail", args=[selling.customer.pk]): order.reference,
        reverse("sales:allocation"): "Every open sales delivery is fully reserved.",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
    nav = client.get(reverse("sales:order_list")).content.decode()
    for label in ("Sales orders", "New sales order", "Credit holds", "Allocation", "Price lists"):
        assert label in nav
    assert f'href="{reverse("sales_returns:list")}"' in nav  # Returns, under Sales


def test_order_page_shows_lines_deliveries_and_margin(selling, goods, people):
    order = selling.confirmed((goods["bolts"], "5", None))
    page = client_for(people["rep"]).get(reverse("sales:order_detail", args=[order.pk]))
    html = page.content.decode()
    assert page.context["lines"][0].margin_percent == D("40.00")
    assert "40.00 %" in html
    assert [t.origin for t in page.context["deliveries"]] == [order.reference]
    assert page.context["can_cancel"]
    assert not page.context["can_ship"]
    assert not page.context["can_invoice"]


def test_who_may_open_what(selling, goods, people):
    order = selling.confirmed((goods["bolts"], "5", None))
    ap, outsider, operator = people["ap"], people["outsider"], people["operator"]
    assert client_for(ap).get(reverse("sales:order_list")).status_code == 403
    assert client_for(ap).get(reverse("sales:credit_holds")).status_code == 403
    assert client_for(operator).get(reverse("sales:order_create")).status_code == 403
    assert client_for(operator).post(reverse("sales:order_panel"), {}).status_code == 403
    detail = reverse("sales:order_detail", args=[order.pk])
    assert client_for(outsider).get(detail).status_code == 404
    assert (
        client_for(outsider)
        .get(reverse("sales:customer_detail", args=[selling.customer.pk]))
        .status_code
        == 404
    )
    confirm = reverse("sales:order_action", args=[order.pk, "cancel"])
    assert client_for(operator).post(confirm).status_code == 403
    order.refresh_from_db()
    assert order.state == SalesOrderState.CONFIRMED
    assert client_for(operator).get(detail).context["can_ship"]
    nav = client_for(ap).get(reverse("web:home")).content.decode()
    assert "Credit holds" not in nav
    assert f'href="{reverse("sales_returns:list")}"' not in nav


def test_order_entry_saves_a_quotation_priced_from_the_list(selling, goods, people):
    client = client_for(people["rep"])
    response = client.post(
        reverse("sales:order_create"),
        entry(selling.customer, ("BOLT-M8", "3", ""), ("NUT-M8", "2", "3.50")),
    )
    order = SalesOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:order_detail", args=[order.pk])
    assert order.state == SalesOrderState.QUOTATION
    assert [(ln.product.sku, ln.unit_price) for ln in order.lines.order_by("sequence")] == [
        ("BOLT-M8", D("10")),
        ("NUT-M8", D("3.5")),
    ]
    assert order.amount == D("37")


@pytest.mark.parametrize(
    ("lines", "field", "message"),
    [
        ([("NOPE-1", "3", "")], "lines-0-sku", "No product with SKU NOPE-1."),
        ([("BOLT-M8", "", "")], "lines-0-quantity", "How many?"),
        ([("BOLT-M8", "-2", "")], "lines-0-quantity", ""),
        ([("UNPRICED", "2", "")], "lines-0-unit_price", "No price for UNPRICED"),
        ([("BOLT-M8", "1", ""), ("BOLT-M8", "1.5", "")], "lines-1-quantity", "decimal places"),
    ],
    ids=["unknown-sku", "no-quantity", "negative", "no-price", "unit-decimals"],
)
def test_bad_input_shows_a_field_error_and_writes_nothing(
    selling, goods, people, lines, field, message
):
    factories.product("UNPRICED")
    response = client_for(people["rep"]).post(
        reverse("sales:order_create"), entry(selling.customer, *lines)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-field="{field}"' in html
    assert message in html
    assert not SalesOrder.objects.exists()


def test_a_customer_of_another_company_is_refused_on_the_customer_field(
    selling, goods, people, company_b
):
    stranger = factories.partner(company_b, is_customer=True)
    response = client_for(people["rep"]).post(
        reverse("sales:order_create"), entry(stranger, ("BOLT-M8", "1", ""))
    )
    assert response.status_code == 200
    assert 'data-field="customer"' in response.content.decode()
    assert not SalesOrder.objects.exists()


def test_the_live_panel_shows_prices_atp_and_exposure(selling, goods, people):
    selling.confirmed((goods["bolts"], "2", None))  # 20.00 of open orders
    response = client_for(people["rep"]).post(
        reverse("sales:order_panel"),
        entry(selling.customer, ("BOLT-M8", "4", ""), ("NUT-M8", "8", "")),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    panel = response.context["panel"]
    html = response.content.decode()
    assert "<html" not in html
    bolts, nuts = panel.lines
    assert (bolts.sku, bolts.number, bolts.unit_price, bolts.margin_percent) == (
        "BOLT-M8",
        1,
        D("10"),
        D("40.00"),
    )
    assert bolts.available == D("18")
    assert bolts.promise_date is not None
    assert (nuts.number, nuts.unit_price, nuts.available) == (2, D("4"), D("5"))
    assert nuts.promise_date is None  # 8 wanted, 5 free and nothing coming
    assert panel.atp == [("BOLT-M8", [D("18")]), ("NUT-M8", [D("5")])]
    assert panel.exposure.open_orders == D("20")
    assert panel.amount_company == D("72")
    assert panel.with_order == D("92")
    assert not panel.over_limit
    assert "data-exposure>92" in html.replace(".0000", "").replace(".00", "")
    assert not SalesOrder.objects.filter(state=SalesOrderState.QUOTATION).exists()


def test_the_live_panel_flags_margin_and_credit(selling, goods, people):
    selling.customer.credit_limit = D("40")
    selling.customer.save()
    response = client_for(people["rep"]).post(
        reverse("sales:order_panel"),
        entry(selling.customer, ("BOLT-M8", "10", "5.00"), ("NOPE", "1", "")),
    )
    panel = response.context["panel"]
    assert panel.over_limit
    assert "Line 2, product sku: No product with SKU NOPE." in panel.problems
    html = response.content.decode()
    assert "data-over-limit" in html
    assert panel.lines[0].margin_percent == D("-20.00")
    factories_floor(selling, goods["bolts"])
    again = client_for(people["rep"]).post(
        reverse("sales:order_panel"), entry(selling.customer, ("BOLT-M8", "10", "5.00"))
    )
    assert again.context["panel"].needs_approval
    assert "needs approval" in again.content.decode()


def factories_floor(selling, product):
    from crossdock.sales.models import MarginFloor

    MarginFloor.objects.create(
        company=selling.company, category=product.category, min_margin_percent=D("10")
    )


def test_confirm_ship_and_invoice_from_the_order_page(selling, goods, people):
    order = selling.order((goods["bolts"], "5", None), (goods["nuts"], "2", None))
    detail = reverse("sales:order_detail", args=[order.pk])
    client = client_for(people["rep"])
    response = client.post(reverse("sales:order_action", args=[order.pk, "confirm"]))
    assert response["Location"] == detail
    order.refresh_from_db()
    assert order.state == SalesOrderState.CONFIRMED
    # A second confirm is refused with a message, not a 500.
    again = client.post(reverse("sales:order_action", args=[order.pk, "confirm"]), follow=True)
    assert "it must be quotation" in again.content.decode()

    operator = client_for(people["operator"])
    assert (
        client_for(people["rep"])
        .post(reverse("sales:order_action", args=[order.pk, "ship"]), follow=True)
        .status_code
        == 200
    )
    order.refresh_from_db()
    assert order.state == SalesOrderState.CONFIRMED  # a rep may not process deliveries
    operator.post(reverse("sales:order_action", args=[order.pk, "ship"]))
    order.refresh_from_db()
    assert order.state == SalesOrderState.SHIPPED

    clerk = client_for(people["clerk"])
    assert clerk.get(detail).context["can_invoice"]
    page = clerk.post(reverse("sales:order_action", args=[order.pk, "invoice"]), follow=True)
    assert "Invoiced:" in page.content.decode()
    order.refresh_from_db()
    assert order.state == SalesOrderState.INVOICED
    assert Invoice.objects.get().untaxed_amount == D("58")
    shown = clerk.get(detail)
    assert [i.pk for i in shown.context["invoices"]] == [Invoice.objects.get().pk]


def test_edit_a_quotation(selling, goods, people):
    order = selling.order((goods["bolts"], "5", None))
    client = client_for(people["rep"])
    url = reverse("sales:order_edit", args=[order.pk])
    assert client.get(url).status_code == 200
    data = entry(selling.customer, ("BOLT-M8", "7", ""), version=str(order.version))
    response = client.post(url, data)
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.lines.get().quantity == D("7")
    panel = client.post(reverse("sales:order_edit_panel", args=[order.pk]), data)
    assert panel.context["panel"].lines[0].quantity == D("7")
    confirm_sales_order(selling.actor, order.pk)
    assert client.get(url).status_code == 302  # only a quotation changes


def held(selling, goods):
    selling.customer.credit_limit = D("30")
    selling.customer.save()
    order = selling.confirmed((goods["bolts"], "5", None))
    assert order.state == SalesOrderState.CREDIT_HOLD
    return order


def test_credit_hold_queue_shows_exposure_limit_and_reason(selling, goods, people):
    order = held(selling, goods)
    response = client_for(people["controller"]).get(reverse("sales:credit_holds"))
    assert response.status_code == 200
    (row,) = response.context["rows"]
    assert (row.order.pk, row.exposure, row.limit, row.with_order, row.over_limit) == (
        order.pk,
        D("0"),
        D("30"),
        D("50"),
        D("20"),
    )
    assert row.held_days == 0
    html = response.content.decode()
    assert "over the limit" in html
    assert order.reference in html


def test_credit_hold_queue_links_the_approval_request(selling, goods, people):
    held(selling, goods)
    (row,) = client_for(people["controller"]).get(reverse("sales:credit_holds")).context["rows"]
    assert row.request is not None
    assert row.request.document_type == "sales-credit-release"


def test_allocation_lists_claims_in_reservation_order(selling, goods, people):
    key = factories.partner(
        selling.company, is_customer=True, credit_limit=D("100000"), customer_tier="key"
    )
    first = selling.confirmed((goods["nuts"], "4", None))  # standard tier, reserves 4 of 5
    second = selling.confirmed((goods["nuts"], "3", None), customer=key)  # key tier, gets 1
    response = client_for(people["rep"]).get(reverse("sales:allocation"))
    (scarce,) = response.context["products"]
    assert scarce.product.sku == "NUT-M8"
    assert [(c.reference, c.wanted, c.reserved) for c in scarce.claims] == [
        (second.reference, D("3"), D("1")),
        (first.reference, D("4"), D("4")),
    ]
    assert scarce.short == D("2")
    html = response.content.decode()
    assert html.index(second.reference) < html.index(first.reference)


def test_customer_360_shows_receivables_aged(selling, goods, people):
    from crossdock.core.context import Actor
    from crossdock.sales.services.fulfilment import invoice_sales_orders, ship_sales_order

    order = selling.confirmed((goods["bolts"], "5", None))
    ship_sales_order(Actor.of(people["operator"]), order.pk)
    invoice_sales_orders(Actor.of(people["clerk"]), [order.pk])
    url = reverse("sales:customer_detail", args=[selling.customer.pk])
    page = client_for(people["controller"]).get(url)
    receivables = page.context["receivables"]
    invoice = Invoice.objects.get()
    assert receivables.total == invoice.total_company > 0
    assert [item.invoice_id for item in receivables.items] == [invoice.pk]
    assert page.context["exposure"].receivables == invoice.total_company
    assert page.context["deliveries"] == []  # credit controllers do not read stock documents
    rep = client_for(people["rep"]).get(url)
    assert [t.origin for t in rep.context["deliveries"]] == [order.reference]
    assert "No returns from this customer" in rep.content.decode()
    assert client_for(people["ap"]).get(url).status_code == 403
