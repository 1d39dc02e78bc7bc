"""The purchasing API: the procure-to-pay flow end to end, refusals that write nothing,
idempotent retries, optimistic concurrency and company isolation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from crossdock.accounting.models import Invoice
from crossdock.core.roles import Role
from crossdock.inventory.models import Lot, Transfer
from crossdock.purchasing.models import (
    BillMatch,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasingSettings,
    SupplierPriceBreak,
    SupplierProduct,
)
from tests import factories
from tests.api.conftest import ApiClient

D = Decimal


@pytest.fixture(autouse=True)
def _fast_passwords():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def team(buying):
    """Clients of the buyer, a warehouse operator and an AP clerk of the buying company."""

    class Team:
        buyer = ApiClient(buying.buyer)
        operator = ApiClient(factories.user(Role.WAREHOUSE_OPERATOR, companies=[buying.company]))
        clerk = ApiClient(factories.user(Role.AP_CLERK, companies=[buying.company]))

    return Team


def _offer_body(buying, product, **extra):
    return {
        "company": buying.company.pk,
        "supplier": buying.supplier.pk,
        "product": product.pk,
        "breaks": [
            {"min_quantity": "0", "unit_price": "5.00"},
            {"min_quantity": "100", "unit_price": "4.50"},
        ],
        "supplier_sku": "SUP-1",
        "minimum_quantity": "10",
        "order_multiple": "10",
        "contract_reference": "C-2026",
        **extra,
    }


def _order_body(buying, *lines, **extra):
    return {
        "supplier": buying.supplier.pk,
        "warehouse": buying.warehouse.pk,
        "lines": [
            {"product_id": product.pk, "quantity": quantity, **more}
            for product, quantity, more in lines
        ],
        **extra,
    }


def _approved_order(buying, product, quantity="20", price="5.00"):
    buying.offer(product, ("0", price))
    response = ApiClient(buying.buyer).post(
        "purchase-orders", _order_body(buying, (product, quantity, {}))
    )
    assert response.status_code == 201, response.content
    order_id = response.json()["id"]
    response = ApiClient(buying.buyer).post(f"purchase-orders/{order_id}/submit")
    assert response.json()["state"] == "approved", response.content
    return response.json()


def _problem(response, status, field):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert field in body["errors"], body
    return body


# -- the whole flow ----------------------------------------------------------------------------


def test_catalogue_to_posted_bill_through_the_api(buying, team):
    product = factories.product(tracking="lot")
    created = team.buyer.post("supplier-products", _offer_body(buying, product))
    assert created.status_code == 201, created.content
    offer = created.json()
    assert offer["on_contract"] is True
    assert [(D(b["min_quantity"]), D(b["unit_price"])) for b in offer["breaks"]] == [
        (D(0), D("5.00")),
        (D(100), D("4.50")),
    ]
    assert all(isinstance(b["unit_price"], str) for b in offer["breaks"])
    assert created["ETag"] == f'"{offer["version"]}"'
    listed = team.buyer.get("supplier-products", {"product": product.pk}).json()
    assert [row["id"] for row in listed["items"]] == [offer["id"]]

    order = team.buyer.post("purchase-orders", _order_body(buying, (product, "120", {})))
    assert order.status_code == 201, order.content
    order = order.json()
    (line,) = order["lines"]
    assert (order["state"], D(line["unit_price"]), line["off_contract"]) == (
        "draft",
        D("4.50"),
        False,
    )
    assert D(order["amount"]) == D("540.00")
    assert isinstance(order["amount"], str)

    order = team.buyer.post(f"purchase-orders/{order['id']}/submit").json()
    assert order["state"] == "approved"
    order = team.buyer.post(f"purchase-orders/{order['id']}/send").json()
    assert order["state"] == "sent"
    confirmed_on = (
        datetime.date.fromisoformat(order["order_date"]) + datetime.timedelta(days=5)
    ).isoformat()
    response = team.buyer.post(
        f"purchase-orders/{order['id']}/confirm",
        {"lines": [{"line_id": line["id"], "quantity": "120", "date": confirmed_on}]},
    )
    assert response.status_code == 200, response.content
    order = response.json()
    assert order["state"] == "confirmed"
    assert (D(order["lines"][0]["confirmed_quantity"]), order["lines"][0]["confirmed_date"]) == (
        D(120),
        confirmed_on,
    )

    expected = team.operator.get("expected-receipts").json()["items"]
    assert [(row["line"], D(row["open_quantity"]), row["due"]) for row in expected] == [
        (line["id"], D(120), confirmed_on)
    ]

    received = team.operator.post(
        f"purchase-orders/{order['id']}/receive",
        {"lines": [{"line_id": line["id"], "quantity": "120", "lot_name": "L-77",
                    "expires_on": "2030-01-31"}]},
    )  # fmt: skip
    assert received.status_code == 201, received.content
    body = received.json()
    receipt = Transfer.objects.get(pk=body["receipt"]["id"])
    assert receipt.reference == body["receipt"]["reference"]
    assert receipt.state == "done"
    assert Lot.objects.get(product=product, name="L-77").expires_on == datetime.date(2030, 1, 31)
    assert body["order"]["state"] == "received"
    assert D(body["order"]["lines"][0]["received_quantity"]) == D(120)
    assert team.operator.get("expected-receipts").json()["items"] == []

    billed = team.clerk.post(
        f"purchase-orders/{order['id']}/bill", {"partner_reference": "INV-2026-001"}
    )
    assert billed.status_code == 201, billed.content
    bill = billed.json()
    assert (bill["status"], bill["state"]) == ("matched", "posted")
    assert Invoice.objects.get(pk=bill["bill"]).state == "posted"
    detail = team.buyer.get(f"purchase-orders/{order['id']}").json()
    assert detail["state"] == "billed"
    assert D(detail["lines"][0]["billed_quantity"]) == D(120)
    match = team.clerk.get(f"bill-matches/{bill['bill']}").json()
    assert (match["status"], match["order"], match["invoice_state"]) == (
        "matched",
        order["id"],
        "posted",
    )
    assert team.clerk.get("bill-matches").json()["items"] == []
    everything = team.clerk.get("bill-matches", {"status": "all"}).json()["items"]
    assert [m["invoice"] for m in everything] == [bill["bill"]]

    pdf = team.buyer.get(f"purchase-orders/{order['id']}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    closed = team.buyer.post(f"purchase-orders/{order['id']}/close", {"reason": "done"})
    assert closed.json()["state"] == "closed"


def test_a_price_variance_waits_in_the_queue_until_accepted(buying, team):
    order = _approved_order(buying, factories.product())
    line = order["lines"][0]
    team.operator.post(
        f"purchase-orders/{order['id']}/receive",
        {"lines": [{"line_id": line["id"], "quantity": "20"}]},
    )
    billed = team.clerk.post(
        f"purchase-orders/{order['id']}/bill",
        {"partner_reference": "INV-9", "prices": {str(line["id"]): "6.00"}},
    ).json()
    assert (billed["status"], billed["state"]) == ("price_variance", "draft")
    queue = team.clerk.get("bill-matches").json()["items"]
    assert [m["invoice"] for m in queue] == [billed["bill"]]
    # matching again changes nothing while the price is still above the tolerance
    again = team.clerk.post(f"bill-matches/{billed['bill']}/match")
    assert again.json()["status"] == "price_variance"
    refused = team.clerk.post(f"bill-matches/{billed['bill']}/accept", {"note": ""})
    _problem(refused, 422, "note")
    accepted = team.clerk.post(
        f"bill-matches/{billed['bill']}/accept", {"note": "Freight surcharge agreed"}
    )
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["status"], accepted.json()["invoice_state"]) == ("accepted", "posted")
    assert team.clerk.get("bill-matches").json()["items"] == []


def test_a_credit_note_request_keeps_the_bill_held(buying, team):
    order = _approved_order(buying, factories.product())
    line = order["lines"][0]
    team.operator.post(
        f"purchase-orders/{order['id']}/receive",
        {"lines": [{"line_id": line["id"], "quantity": "20"}]},
    )
    billed = team.clerk.post(
        f"purchase-orders/{order['id']}/bill",
        {"partner_reference": "INV-10", "prices": {str(line["id"]): "7.00"}},
    ).json()
    response = team.clerk.post(
        f"bill-matches/{billed['bill']}/request-credit", {"note": "Price 5.00 agreed"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["invoice_state"]) == (
        "credit_requested",
        "draft",
    )
    assert [m["invoice"] for m in team.clerk.get("bill-matches").json()["items"]] == [
        billed["bill"]
    ]
    by_status = team.clerk.get("bill-matches", {"status": "credit_requested"}).json()["items"]
    assert [m["invoice"] for m in by_status] == [billed["bill"]]


# -- updates, revisions, cancelling ------------------------------------------------------------


def test_catalogue_updates_check_the_version(buying, team):
    product = factories.product()
    offer = team.buyer.post("supplier-products", _offer_body(buying, product)).json()
    patched = team.buyer.patch(
        f"supplier-products/{offer['id']}", {"lead_time_days": 14}, HTTP_IF_MATCH='"1"'
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["lead_time_days"] == 14
    assert patched.json()["version"] == 2
    assert len(patched.json()["breaks"]) == 2  # breaks not sent are kept
    stale = team.buyer.patch(
        f"supplier-products/{offer['id']}", {"lead_time_days": 3}, HTTP_IF_MATCH='"1"'
    )
    assert stale.status_code == 412, stale.content
    replaced = team.buyer.put(
        f"supplier-products/{offer['id']}",
        _offer_body(buying, product, breaks=[{"min_quantity": "0", "unit_price": "4.00"}],
                    version=2),
    )  # fmt: skip
    assert replaced.status_code == 200, replaced.content
    assert [D(b["unit_price"]) for b in replaced.json()["breaks"]] == [D("4.00")]
    assert SupplierProduct.objects.get(pk=offer["id"]).lead_time_days == 7


def test_revising_lines_after_approval_makes_a_revision(buying, team):
    product = factories.product()
    order = _approved_order(buying, product)
    stale = team.buyer.put(
        f"purchase-orders/{order['id']}/lines",
        {"lines": [{"product_id": product.pk, "quantity": "30"}]},
        HTTP_IF_MATCH=f'"{order["version"] - 1}"',
    )
    assert stale.status_code == 412, stale.content
    revised = team.buyer.put(
        f"purchase-orders/{order['id']}/lines",
        {"lines": [{"product_id": product.pk, "quantity": "30"}], "reason": "More demand"},
        HTTP_IF_MATCH=f'"{order["version"]}"',
    )
    assert revised.status_code == 200, revised.content
    body = revised.json()
    assert (body["revision"], body["state"]) == (1, "approved")
    assert D(body["lines"][0]["quantity"]) == D(30)
    assert body["revisions"][0]["reason"] == "More demand"
    assert body["revisions"][0]["changes"][0]["change"] == "quantity"


def test_cancel_and_states_that_do_not_allow_an_action(buying, team):
    order = _approved_order(buying, factories.product())
    closed = team.buyer.post(f"purchase-orders/{order['id']}/close", {})
    _problem(closed, 409, "state")
    cancelled = team.buyer.post(f"purchase-orders/{order['id']}/cancel", {"reason": "No need"})
    assert cancelled.json()["state"] == "cancelled"
    again = team.buyer.post(f"purchase-orders/{order['id']}/submit")
    _problem(again, 409, "state")


# -- bad input writes nothing -----------------------------------------------------------------


def _nothing_ordered():
    assert PurchaseOrder.objects.count() == 0
    assert PurchaseOrderLine.objects.count() == 0


@pytest.mark.parametrize(
    ("line", "status", "field"),
    [
        ({"product_id": 999_999, "quantity": "10", "unit_price": "1.00"}, 422,
         "lines[0].product"),
        ({"quantity": "-5", "unit_price": "1.00"}, 422, "lines[0].quantity"),
        ({"quantity": 10.5, "unit_price": "1.00"}, 422, "lines[0].quantity"),
        ({"quantity": "10", "unit_price": 1.25}, 422, "lines[0].unit_price"),
        ({"quantity": "5"}, 422, "lines[0].quantity"),  # under the MOQ of 10
        ({"quantity": "15"}, 422, "lines[0].quantity"),  # not whole packs of 10
        ({"quantity": "10", "colour": "red"}, 422, "lines[0].colour"),
    ],
    ids=["unknown-product", "negative", "float-quantity", "float-price", "moq", "pack",
         "unknown-field"],
)  # fmt: skip
def test_bad_order_lines_are_refused_naming_the_field(buying, team, line, status, field):
    product = factories.product()
    buying.offer(product, ("0", "5.00"), moq="10", multiple="10")
    body = _order_body(buying, (product, "1", {}))
    body["lines"][0] = {"product_id": product.pk, **line}
    _problem(team.buyer.post("purchase-orders", body), status, field)
    _nothing_ordered()


def test_an_order_into_another_companys_warehouse_is_not_found(buying, team, warehouse_b):
    product = factories.product()
    body = _order_body(buying, (product, "10", {"unit_price": "1.00"}))
    body["warehouse"] = warehouse_b.pk
    _problem(team.buyer.post("purchase-orders", body), 404, "warehouse")
    _nothing_ordered()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"product": 999_999}, "product"),
        ({"minimum_quantity": "-1"}, "minimum_quantity"),
        ({"order_multiple": 2.5}, "order_multiple"),
        ({"breaks": [{"min_quantity": "0", "unit_price": 4.5}]}, "breaks[0].unit_price"),
        ({"breaks": []}, "breaks"),
        ({"valid_from": "2026-05-01", "valid_to": "2026-04-01"}, "valid_to"),
    ],
    ids=["unknown-product", "negative-moq", "float-multiple", "float-price", "no-breaks",
         "dates"],
)  # fmt: skip
def test_bad_catalogue_entries_write_nothing(buying, team, change, field):
    body = {**_offer_body(buying, factories.product()), **change}
    _problem(team.buyer.post("supplier-products", body), 422, field)
    assert SupplierProduct.objects.count() == 0
    assert SupplierPriceBreak.objects.count() == 0


def test_over_receipt_beyond_the_tolerance_writes_nothing(buying, team):
    PurchasingSettings.objects.create(company=buying.company, over_receipt_percent=D(10))
    order = _approved_order(buying, factories.product())
    line = order["lines"][0]
    refused = team.operator.post(
        f"purchase-orders/{order['id']}/receive",
        {"lines": [{"line_id": line["id"], "quantity": "22.5"}]},
    )
    body = _problem(refused, 422, "lines[0].quantity")
    assert "tolerance 10 %" in body["detail"]
    assert Transfer.objects.count() == 0
    unknown = team.operator.post(
        f"purchase-orders/{order['id']}/receive",
        {"lines": [{"line_id": 999_999, "quantity": "1"}]},
    )
    _problem(unknown, 422, "lines[0].line_id")
    assert Transfer.objects.count() == 0
    within = team.operator.post(
        f"purchase-orders/{order['id']}/receive",
        {"lines": [{"line_id": line["id"], "quantity": "22"}]},
    )
    assert within.status_code == 201, within.content


def test_a_duplicate_bill_number_is_refused_and_writes_nothing(buying, team):
    first = _approved_order(buying, factories.product())
    second = _approved_order(buying, factories.product())
    for order in (first, second):
        team.operator.post(
            f"purchase-orders/{order['id']}/receive",
            {"lines": [{"line_id": order["lines"][0]["id"], "quantity": "10"}]},
        )
    assert (
        team.clerk.post(
            f"purchase-orders/{first['id']}/bill", {"partner_reference": "DUP-1"}
        ).status_code
        == 201
    )
    bills, matches = Invoice.objects.count(), BillMatch.objects.count()
    refused = team.clerk.post(
        f"purchase-orders/{second['id']}/bill", {"partner_reference": "DUP-1"}
    )
    _problem(refused, 409, "partner_reference")
    assert (Invoice.objects.count(), BillMatch.objects.count()) == (bills, matches)
    assert team.buyer.get(f"purchase-orders/{second['id']}").json()["state"] == "partial"


def test_confirming_an_unknown_line_names_it(buying, team):
    order = _approved_order(buying, factories.product())
    response = team.buyer.post(
        f"purchase-orders/{order['id']}/confirm",
        {"lines": [{"line_id": 999_999, "quantity": "1", "date": order["order_date"]}]},
    )
    _problem(response, 422, "lines[0].line_id")
    assert PurchaseOrder.objects.get(pk=order["id"]).state == "approved"


def test_unknown_query_parameters_and_bad_cursors_are_refused(buying, team):
    _problem(team.buyer.get("purchase-orders", {"colour": "red"}), 422, "colour")
    _problem(team.buyer.get("purchase-orders", {"cursor": "nonsense"}), 422, "cursor")
    _problem(team.buyer.get("purchase-orders", {"state": "lost"}), 422, "state")


def test_lists_page_with_a_cursor_and_filter(buying, team):
    product = factories.product()
    buying.offer(product, ("0", "2.00"))
    ids = [
        team.buyer.post("purchase-orders", _order_body(buying, (product, "1", {}))).json()["id"]
        for _ in range(3)
    ]
    first = team.buyer.get("purchase-orders", {"limit": 2}).json()
    assert [row["id"] for row in first["items"]] == ids[::-1][:2]
    rest = team.buyer.get("purchase-orders", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [row["id"] for row in rest["items"]] == [ids[0]]
    assert rest["next_cursor"] is None
    oldest = team.buyer.get("purchase-orders", {"ordering": "id", "limit": 1}).json()
    assert oldest["items"][0]["id"] == ids[0]
    assert team.buyer.get("purchase-orders", {"state": "approved"}).json()["items"] == []
    assert len(team.buyer.get("purchase-orders", {"state": "draft"}).json()["items"]) == 3


# -- idempotency ---------------------------------------------------------------------------------


def test_a_retried_create_replays_and_writes_once(buying, team):
    product = factories.product()
    buying.offer(product, ("0", "2.00"))
    body = _order_body(buying, (product, "5", {}))
    first = team.buyer.post("purchase-orders", body, HTTP_IDEMPOTENCY_KEY="po-1")
    again = team.buyer.post("purchase-orders", body, HTTP_IDEMPOTENCY_KEY="po-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert PurchaseOrder.objects.count() == 1
    other = team.buyer.post(
        "purchase-orders", _order_body(buying, (product, "6", {})), HTTP_IDEMPOTENCY_KEY="po-1"
    )
    _problem(other, 422, "Idempotency-Key")
    assert PurchaseOrder.objects.count() == 1


def test_a_retried_receipt_receives_once(buying, team):
    order = _approved_order(buying, factories.product())
    body = {"lines": [{"line_id": order["lines"][0]["id"], "quantity": "5"}]}
    url = f"purchase-orders/{order['id']}/receive"
    first = team.operator.post(url, body, HTTP_IDEMPOTENCY_KEY="rcv-1")
    again = team.operator.post(url, body, HTTP_IDEMPOTENCY_KEY="rcv-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["receipt"] == first.json()["receipt"]
    assert Transfer.objects.count() == 1
    assert PurchaseOrderLine.objects.get().received_quantity == D(5)


# -- company isolation ---------------------------------------------------------------------------


def test_another_companys_rows_are_not_found(buying, team, warehouse_b):
    order = _approved_order(buying, factories.product())
    line = order["lines"][0]
    team.operator.post(
        f"purchase-orders/{order['id']}/receive",
        {"lines": [{"line_id": line["id"], "quantity": "20"}]},
    )
    bill = team.clerk.post(
        f"purchase-orders/{order['id']}/bill",
        {"partner_reference": "ISO-1", "prices": {str(line["id"]): "9.00"}},
    ).json()["bill"]
    offer = SupplierProduct.objects.get()
    beta = warehouse_b.company
    outsiders = {
        role: ApiClient(factories.user(role, companies=[beta]))
        for role in (Role.ADMINISTRATOR, Role.BUYER, Role.AP_CLERK, Role.WAREHOUSE_OPERATOR)
    }
    admin = outsiders[Role.ADMINISTRATOR]
    calls = [
        ("get", f"supplier-products/{offer.pk}", None),
        ("patch", f"supplier-products/{offer.pk}", {"lead_time_days": 1}),
        ("get", f"purchase-orders/{order['id']}", None),
        ("get", f"purchase-orders/{order['id']}/pdf", None),
        ("put", f"purchase-orders/{order['id']}/lines",
         {"lines": [{"product_id": line["product"], "quantity": "20"}]}),
        ("post", f"purchase-orders/{order['id']}/cancel", {}),
        ("post", f"purchase-orders/{order['id']}/receive",
         {"lines": [{"line_id": line["id"], "quantity": "1"}]}),
        ("post", f"purchase-orders/{order['id']}/bill", {"partner_reference": "X"}),
        ("get", f"bill-matches/{bill}", None),
        ("post", f"bill-matches/{bill}/match", None),
        ("post", f"bill-matches/{bill}/accept", {"note": "ok"}),
        ("post", f"bill-matches/{bill}/request-credit", {"note": "ok"}),
    ]  # fmt: skip
    for method, path, body in calls:
        response = getattr(admin, method)(path, *([body] if body is not None else []))
        assert response.status_code == 404, (method, path, response.content)
    for client in outsiders.values():
        assert client.get("purchase-orders").json().get("items", []) == []
        assert client.get("expected-receipts").json().get("items", []) == []
    assert admin.get("supplier-products").json()["items"] == []
    assert admin.get("bill-matches", {"status": "all"}).json()["items"] == []
    created = admin.post("supplier-products", _offer_body(buying, factories.product()))
    _problem(created, 404, "company")
    assert PurchaseOrder.objects.get(pk=order["id"]).state == "received"
    assert BillMatch.objects.get().status == "price_variance"


def test_a_free_freight_value_is_kept_cleared_and_refused_when_not_positive(buying, team):
    product = factories.product()
    body = _offer_body(buying, product, free_freight_value="1500.00")
    offer = team.buyer.post("supplier-products", body).json()
    assert D(offer["free_freight_value"]) == D("1500")
    refused = team.buyer.patch(
        f"supplier-products/{offer['id']}", {"free_freight_value": "0"}, HTTP_IF_MATCH='"1"'
    )
    _problem(refused, 422, "free_freight_value")
    assert SupplierProduct.objects.get(pk=offer["id"]).free_freight_value == D("1500")
    cleared = team.buyer.patch(
        f"supplier-products/{offer['id']}", {"free_freight_value": None}, HTTP_IF_MATCH='"1"'
    )
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["free_freight_value"] is None
    assert SupplierProduct.objects.get(pk=offer["id"]).free_freight_value is None
