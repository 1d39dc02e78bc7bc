"""The sales API: order to cash end to end, refusals that write nothing, company isolation,
idempotent retries, optimistic concurrency, pagination, availability and credit exposure."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from crossdock.accounting.models import Invoice
from crossdock.core.records import create_record
from crossdock.core.roles import Role
from crossdock.inventory.models import Transfer
from crossdock.masterdata.models import Currency, PriceList
from crossdock.sales.models import SalesOrder, SalesOrderLine
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM
from tests.sales.conftest import Selling

D = Decimal


@pytest.fixture(autouse=True)
def _fast_passwords():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def team(selling):
    """Clients of the sales rep, a warehouse operator and an AR clerk of the selling company."""

    class Team:
        rep = ApiClient(selling.rep)
        operator = ApiClient(factories.user(Role.WAREHOUSE_OPERATOR, companies=[selling.company]))
        clerk = ApiClient(factories.user(Role.AR_CLERK, companies=[selling.company]))

    return Team


def _body(selling, *lines, **extra):
    return {
        "customer": selling.customer.pk,
        "lines": [
            {"product": product.pk, "quantity": quantity, **more}
            for product, quantity, *rest in lines
            for more in [rest[0] if rest else {}]
        ],
        **extra,
    }


def _problem(response, status, field):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert field in body["errors"], body
    return body


def _nothing_written():
    assert SalesOrder.objects.count() == 0
    assert SalesOrderLine.objects.count() == 0


@pytest.fixture
def stocked(selling):
    product = factories.product()
    selling.price(product, "12.50")
    selling.stock(product, "20")
    return product


# -- the whole flow ----------------------------------------------------------------------------


def test_order_to_cash_through_the_api(selling, team, stocked):
    created = team.rep.post(
        "sales-orders", _body(selling, (stocked, "5"), customer_reference="PO-1")
    )
    assert created.status_code == 201, created.content
    order = created.json()
    assert created["ETag"] == f'"{order["version"]}"'
    (line,) = order["lines"]
    assert (order["state"], order["customer_reference"]) == ("quotation", "PO-1")
    assert (D(line["unit_price"]), D(line["quantity"]), line["warehouse"]) == (
        D("12.50"),
        D(5),
        selling.warehouse.pk,
    )
    assert isinstance(line["unit_price"], str)
    assert isinstance(order["amount"], str)
    assert D(order["amount"]) == D("62.50")
    assert line["promise_date"] is not None

    confirmed = team.rep.post(f"sales-orders/{order['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["state"] == "confirmed"
    assert [d["kind"] for d in confirmed.json()["deliveries"]] == ["delivery"]

    refused = team.rep.post(f"sales-orders/{order['id']}/ship")
    assert refused.status_code == 403, refused.content
    shipped = team.operator.post(f"sales-orders/{order['id']}/ship")
    assert shipped.status_code == 200, shipped.content
    assert shipped.json()["order"]["state"] == "shipped"
    assert [d["state"] for d in shipped.json()["deliveries"]] == ["done"]
    assert D(shipped.json()["order"]["lines"][0]["shipped_quantity"]) == D(5)

    invoiced = team.clerk.post(f"sales-orders/{order['id']}/invoice", {})
    assert invoiced.status_code == 201, invoiced.content
    (invoice,) = invoiced.json()["invoices"]
    assert (invoice["state"], D(invoice["untaxed_amount"])) == ("posted", D("62.50"))
    assert invoiced.json()["order"]["state"] == "invoiced"
    assert team.rep.get(f"sales-orders/{order['id']}").json()["state"] == "invoiced"

    again = team.clerk.post(f"sales-orders/{order['id']}/invoice", {})
    _problem(again, 409, "orders")
    assert Invoice.objects.count() == 1


def test_invoice_takes_its_date_and_consolidates(selling, team, stocked):
    order = selling.confirmed((stocked, "4", None))
    assert team.operator.post(f"sales-orders/{order.pk}/ship").status_code == 200
    response = team.clerk.post(
        f"sales-orders/{order.pk}/invoice", {"consolidate": True, "date": "2030-01-15"}
    )
    assert response.status_code == 201, response.content
    (invoice,) = response.json()["invoices"]
    assert invoice["date"] == "2030-01-15"
    bad = team.clerk.post(f"sales-orders/{order.pk}/invoice", {"consolidate": "maybe"})
    _problem(bad, 422, "consolidate")


def test_cancel_releases_the_deliveries(selling, team, stocked):
    order = selling.confirmed((stocked, "3", None))
    response = team.rep.post(f"sales-orders/{order.pk}/cancel", {"reason": "customer changed mind"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled"
    assert {d["state"] for d in response.json()["deliveries"]} == {"cancelled"}
    _problem(team.rep.post(f"sales-orders/{order.pk}/cancel", {}), 409, "state")


# -- bad input: 4xx problem+json naming the field, nothing written ------------------------------


def test_unknown_product_and_customer_are_refused(selling, team, stocked):
    body = _body(selling, (stocked, "1"))
    body["lines"].append({"product": 987654321, "quantity": "1"})
    _problem(team.rep.post("sales-orders", body), 422, "lines[1].product")
    _problem(team.rep.post("sales-orders", {**body, "customer": 987654321}), 422, "customer")
    supplier_only = factories.partner(selling.company, is_customer=False, is_supplier=True)
    _problem(
        team.rep.post("sales-orders", _body(selling, (stocked, "1"), customer=supplier_only.pk)),
        422,
        "customer",
    )
    _nothing_written()


def test_quantities_must_be_exact_for_the_unit(selling, team, stocked):
    _problem(
        team.rep.post("sales-orders", _body(selling, (stocked, "1.5"))), 422, "lines[0].quantity"
    )
    _problem(
        team.rep.post("sales-orders", _body(selling, (stocked, "1.0000001"))),
        422,
        "lines[0].quantity",
    )
    _problem(
        team.rep.post("sales-orders", _body(selling, (stocked, 1.5))), 422, "lines[0].quantity"
    )
    _problem(
        team.rep.post("sales-orders", _body(selling, (stocked, "2", {"unit_price": 9.99}))),
        422,
        "lines[0].unit_price",
    )
    _problem(
        team.rep.post("sales-orders", _body(selling, (stocked, "-2"))), 422, "lines[0].quantity"
    )
    _nothing_written()


def test_price_list_in_another_currency_is_refused(selling, team, stocked):
    dollars = create_record(
        SYSTEM,
        PriceList,
        {
            "company": selling.company,
            "code": factories.next_code("PL"),
            "name": "Dollar prices",
            "currency": Currency.objects.get(code="USD"),
        },
    )
    response = team.rep.post("sales-orders", _body(selling, (stocked, "1"), price_list=dollars.pk))
    body = _problem(response, 422, "price_list")
    assert "USD" in body["errors"]["price_list"][0]
    _nothing_written()


def test_a_product_without_a_price_needs_one(selling, team):
    unpriced = factories.product()
    _problem(
        team.rep.post("sales-orders", _body(selling, (unpriced, "1"))), 422, "lines[0].unit_price"
    )
    _nothing_written()
    priced = team.rep.post("sales-orders", _body(selling, (unpriced, "1", {"unit_price": "20"})))
    assert priced.status_code == 201, priced.content


def test_a_credit_held_order_cannot_ship(team, warehouse_a):
    tight = Selling(warehouse_a, credit_limit="10")
    product = factories.product()
    tight.price(product, "12.50")
    tight.stock(product, "20")
    rep = ApiClient(tight.rep)
    order = rep.post("sales-orders", _body(tight, (product, "5"))).json()
    held = rep.post(f"sales-orders/{order['id']}/confirm")
    assert held.json()["state"] == "credit_hold", held.content
    assert "over the limit" in held.json()["hold_reason"]
    operator = ApiClient(factories.user(Role.WAREHOUSE_OPERATOR, companies=[tight.company]))
    _problem(operator.post(f"sales-orders/{order['id']}/ship"), 409, "state")
    assert not Transfer.objects.filter(origin=order["reference"]).exists()

    exposure = rep.get(f"customers/{tight.customer.pk}/exposure")
    assert exposure.status_code == 200, exposure.content
    data = exposure.json()
    assert (D(data["limit"]), D(data["open_orders"]), D(data["receivables"])) == (D(10), 0, 0)
    assert [o["reference"] for o in data["held_orders"]] == [order["reference"]]


def test_a_credit_hold_waits_for_a_credit_controller(warehouse_a):
    tight = Selling(warehouse_a, credit_limit="10")
    factories.user(Role.CREDIT_CONTROLLER, companies=[tight.company])
    product = factories.product()
    tight.price(product, "12.50")
    rep = ApiClient(tight.rep)
    order = rep.post("sales-orders", _body(tight, (product, "5"))).json()
    held = rep.post(f"sales-orders/{order['id']}/confirm").json()
    assert held["state"] == "credit_hold"
    assert held["approval_request"] is not None


def test_unknown_fields_and_floats_never_reach_the_service(selling, team, stocked):
    body = _body(selling, (stocked, "1"), discount=5)
    _problem(team.rep.post("sales-orders", body), 422, "discount")
    response = team.rep.post("sales-orders", "{not json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    _nothing_written()


# -- permissions -------------------------------------------------------------------------------


def test_a_rep_of_another_company_cannot_see_the_order(selling, team, stocked, warehouse_b):
    order = selling.order((stocked, "1", None))
    other = ApiClient(factories.user(Role.SALES_REP, companies=[warehouse_b.company]))
    for response in (
        other.get(f"sales-orders/{order.pk}"),
        other.get(f"sales-orders/{order.pk}/availability"),
        other.post(f"sales-orders/{order.pk}/confirm"),
        other.patch(f"sales-orders/{order.pk}", {"note": "mine"}),
        other.get(f"customers/{selling.customer.pk}/exposure"),
    ):
        assert response.status_code == 404, response.content
        assert response["Content-Type"] == "application/problem+json"
    assert other.get("sales-orders").json()["items"] == []
    assert other.get("sales-orders", {"customer": selling.customer.pk}).json()["items"] == []
    # Nor can they sell to the other company's customer.
    _problem(other.post("sales-orders", _body(selling, (stocked, "1"))), 422, "customer")
    order.refresh_from_db()
    assert (order.state, order.note) == ("quotation", "")


def test_a_warehouse_operator_cannot_enter_orders_or_read_credit(selling, team, stocked):
    assert team.operator.post("sales-orders", _body(selling, (stocked, "1"))).status_code == 403
    assert team.operator.get(f"customers/{selling.customer.pk}/exposure").status_code == 403
    assert ApiClient(token="cdk_nonsense").get("sales-orders").status_code == 401
    _nothing_written()


# -- idempotency and concurrency ---------------------------------------------------------------


def test_a_retried_post_replays_the_first_answer(selling, team, stocked):
    body = _body(selling, (stocked, "2"))
    first = team.rep.post("sales-orders", body, HTTP_IDEMPOTENCY_KEY="order-1")
    second = team.rep.post("sales-orders", body, HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    assert SalesOrder.objects.count() == 1
    other = team.rep.post(
        "sales-orders", _body(selling, (stocked, "3")), HTTP_IDEMPOTENCY_KEY="order-1"
    )
    _problem(other, 422, "Idempotency-Key")

    order_id = first.json()["id"]
    confirm = team.rep.post(f"sales-orders/{order_id}/confirm", HTTP_IDEMPOTENCY_KEY="confirm-1")
    replay = team.rep.post(f"sales-orders/{order_id}/confirm", HTTP_IDEMPOTENCY_KEY="confirm-1")
    assert confirm.status_code == replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert Transfer.objects.filter(origin=first.json()["reference"]).count() == 1
    # Without the key the second confirmation is refused: the order is no longer a quotation.
    _problem(team.rep.post(f"sales-orders/{order_id}/confirm"), 409, "state")


def test_patch_replaces_a_quotation_with_if_match(selling, team, stocked):
    created = team.rep.post("sales-orders", _body(selling, (stocked, "2"), note="first"))
    order = created.json()
    stale = team.rep.patch(
        f"sales-orders/{order['id']}",
        {"lines": [{"product": stocked.pk, "quantity": "3"}]},
        HTTP_IF_MATCH=f'"{order["version"] + 5}"',
    )
    assert stale.status_code == 412, stale.content
    assert stale["Content-Type"] == "application/problem+json"
    changed = team.rep.patch(
        f"sales-orders/{order['id']}",
        {"lines": [{"product": stocked.pk, "quantity": "3"}], "customer_reference": "PO-9"},
        HTTP_IF_MATCH=created["ETag"],
    )
    assert changed.status_code == 200, changed.content
    data = changed.json()
    assert data["version"] == order["version"] + 1
    assert changed["ETag"] == f'"{data["version"]}"'
    assert (D(data["amount"]), data["customer_reference"], data["note"]) == (
        D("37.50"),
        "PO-9",
        "first",
    )
    # The ETag of the first version is stale now.
    assert (
        team.rep.patch(
            f"sales-orders/{order['id']}", {"note": "x"}, HTTP_IF_MATCH=created["ETag"]
        ).status_code
        == 412
    )
    header_only = team.rep.patch(f"sales-orders/{order['id']}", {"note": "kept lines"})
    assert header_only.status_code == 200, header_only.content
    assert [D(x["quantity"]) for x in header_only.json()["lines"]] == [D(3)]
    assert team.rep.post(f"sales-orders/{order['id']}/confirm").status_code == 200
    _problem(team.rep.patch(f"sales-orders/{order['id']}", {"note": "late"}), 409, "state")
    _problem(team.rep.patch(f"sales-orders/{order['id']}", {"customer": 1}), 422, "customer")


# -- lists, availability and exposure ----------------------------------------------------------


def test_list_pages_with_a_cursor_filters_and_orders(selling, team, stocked):
    import datetime

    days = [datetime.date(2030, 1, d) for d in (3, 1, 2)]
    made = [
        selling.order((stocked, "1", None), order_date=day, customer_reference=f"PO-{day.day}")
        for day in days
    ]
    selling.order((stocked, "1", None), channel="ecommerce", order_date=days[0])
    first = team.rep.get("sales-orders", {"limit": 2, "channel": "field"})
    assert first.status_code == 200, first.content
    page = first.json()
    assert [o["id"] for o in page["items"]] == [made[2].pk, made[1].pk]
    rest = team.rep.get(
        "sales-orders", {"limit": 2, "channel": "field", "cursor": page["next_cursor"]}
    ).json()
    assert ([o["id"] for o in rest["items"]], rest["next_cursor"]) == ([made[0].pk], None)

    by_date = team.rep.get(
        "sales-orders", {"ordering": "order_date", "channel": "field", "limit": 2}
    ).json()
    assert [o["order_date"] for o in by_date["items"]] == ["2030-01-01", "2030-01-02"]
    ranged = team.rep.get(
        "sales-orders", {"order_date_from": "2030-01-02", "order_date_to": "2030-01-02"}
    ).json()
    assert [o["id"] for o in ranged["items"]] == [made[2].pk]
    assert [o["id"] for o in team.rep.get("sales-orders", {"q": "PO-3"}).json()["items"]] == [
        made[0].pk
    ]
    filtered = team.rep.get(
        "sales-orders",
        {"state": "quotation", "customer": selling.customer.pk, "company": selling.company.pk},
    ).json()
    assert len(filtered["items"]) == 4
    assert team.rep.get("sales-orders", {"state": "confirmed"}).json()["items"] == []

    _problem(team.rep.get("sales-orders", {"cursor": "nonsense"}), 422, "cursor")
    cursor = page["next_cursor"]
    _problem(team.rep.get("sales-orders", {"cursor": cursor, "ordering": "id"}), 422, "cursor")
    _problem(team.rep.get("sales-orders", {"colour": "red"}), 422, "colour")
    _problem(team.rep.get("sales-orders", {"state": "lost"}), 422, "state")
    _problem(team.rep.get("sales-orders", {"limit": 0}), 422, "limit")


def test_availability_per_line_and_warehouse_with_credit(selling, team, stocked):
    from tests.inventory.conftest import Site

    depot = factories.warehouse(selling.company, name="Depot")
    selling.stock(stocked, "7", site=Site(depot))
    order = selling.order((stocked, "5", None))
    response = team.rep.get(f"sales-orders/{order.pk}/availability")
    assert response.status_code == 200, response.content
    data = response.json()
    (line,) = data["lines"]
    assert (D(line["margin_percent"]), line["warehouse"]) == (D("52.00"), selling.warehouse.pk)
    atp = {w["warehouse"]: w for w in line["warehouses"]}
    assert (D(atp[selling.warehouse.pk]["available_now"]), D(atp[depot.pk]["on_hand"])) == (
        D(20),
        D(7),
    )
    assert atp[depot.pk]["earliest_date"] is not None
    credit = data["credit"]
    assert (credit["order_counted"], D(credit["open_orders"]), D(credit["with_order"])) == (
        False,
        D(0),
        D("62.50"),
    )
    assert D(credit["limit"]) == D(100000)

    # Confirmed, the order reserves its stock and counts in the customer's exposure.
    assert team.rep.post(f"sales-orders/{order.pk}/confirm").json()["state"] == "confirmed"
    data = team.rep.get(f"sales-orders/{order.pk}/availability").json()
    atp = {w["warehouse"]: w for w in data["lines"][0]["warehouses"]}
    assert (
        D(atp[selling.warehouse.pk]["reserved"]),
        D(atp[selling.warehouse.pk]["available_now"]),
    ) == (
        D(5),
        D(15),
    )
    assert (data["credit"]["order_counted"], D(data["credit"]["open_orders"])) == (True, D("62.50"))

    exposure = team.clerk.get(f"customers/{selling.customer.pk}/exposure").json()
    assert (D(exposure["open_orders"]), D(exposure["available"]), exposure["held_orders"]) == (
        D("62.50"),
        D("99937.50"),
        [],
    )
    assert exposure["overdue_days"] == 0
    assert exposure["credit_checked"] is True
    assert team.clerk.get("customers/987654321/exposure").status_code == 404
