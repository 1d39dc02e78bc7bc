"""The inventory REST API: flows, bad input that writes nothing, company isolation, permissions."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from crossdock.core.roles import Role, role_allows
from crossdock.inventory import services
from crossdock.inventory.gs1 import GS
from crossdock.inventory.models import (
    Lot,
    MoveLine,
    Quant,
    StockMove,
    Transfer,
    TransferKind,
    ValuationLayer,
)
from crossdock.masterdata.models import LocationKind, ProductBarcode, Unit
from crossdock.masterdata.services import warehouse_location
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM, Site
from tests.permission_matrix import assert_answer, module_matrix, tagged_operations

D = Decimal
GTIN = "09501101530003"
TODAY = datetime.date.today()


def written() -> tuple[Any, ...]:
    """Everything a stock document can write, to prove a refusal wrote nothing."""
    return (
        Transfer.objects.count(),
        list(Transfer.objects.order_by("pk").values_list("state", "version")),
        StockMove.objects.count(),
        list(StockMove.objects.order_by("pk").values_list("state", "quantity")),
        MoveLine.objects.count(),
        list(Quant.objects.order_by("pk").values_list("quantity", "reserved")),
        ValuationLayer.objects.count(),
        Lot.objects.count(),
    )


def problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["detail"]
    if field is not None:
        assert field in body["errors"], body
    return body


def with_barcode(product: Any, gtin: str = GTIN, quantity: str = "1") -> Any:
    ProductBarcode.objects.create(
        product=product, gtin=gtin, unit=product.base_unit, quantity=D(quantity)
    )
    return product


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


@pytest.fixture
def receipt_body(site):
    def body(*lines: tuple[Any, str], **extra: Any) -> dict[str, Any]:
        return {
            "warehouse": site.warehouse.pk,
            "kind": "receipt",
            "source": site.supplier.pk,
            "destination": site.stock.pk,
            "lines": [{"product": p.pk, "quantity": q, "unit_cost": "2.50"} for p, q in lines],
            **extra,
        }

    return body


# -- flows ----------------------------------------------------------------------------------


def test_receive_a_lot_by_api_then_see_stock_trace_and_value(api, site, receipt_body):
    cheese = factories.product(tracking="lot", shelf_life_days=40, costing_method="fifo")
    bolts = factories.product(costing_method="fifo")
    created = api.post("transfers", receipt_body((cheese, "5"), (bolts, "3")))
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["state"]) == ("receipt", "draft")
    assert [m["quantity"] for m in body["moves"]] == ["5.000000", "3.000000"]
    assert created["ETag"] == '"1"'

    confirmed = api.post(f"transfers/{body['id']}/confirm")
    assert confirmed.json()["state"] == "confirmed"
    cheese_move, bolts_move = (m["id"] for m in confirmed.json()["moves"])
    expiry = (TODAY + datetime.timedelta(days=30)).isoformat()
    done = api.post(
        f"transfers/{body['id']}/validate",
        {
            "lines": [
                {"move": cheese_move, "quantity": "5", "lot": "L-0042", "expires_on": expiry},
                {"move": bolts_move, "quantity": "2"},
            ]
        },
    )
    assert done.status_code == 200, done.content
    detail = done.json()
    assert detail["state"] == "done"
    assert len(detail["backorders"]) == 1  # one bolt still to come
    (line,) = detail["moves"][0]["lines"]
    assert (line["lot_name"], line["quantity"], line["done"]) == ("L-0042", "5.000000", True)

    stock = api.get("stock", {"product": cheese.pk}).json()["items"]
    assert [(s["location_path"], s["lot_name"], s["quantity"], s["expires_on"]) for s in stock] == [
        (site.stock.path, "L-0042", "5.000000", expiry)
    ]
    lot = Lot.objects.get(name="L-0042")
    trace = api.get(f"lots/{lot.pk}/trace").json()
    assert [(s["reference"], s["destination"], s["quantity"]) for s in trace["steps"]] == [
        (body["reference"], site.stock.path, "5.000000")
    ]
    assert trace["stock"][0]["quantity"] == "5.000000"

    value = api.get("stock-valuation", {"company": site.company.pk}).json()
    assert value["total_value"] == "17.5000"  # (5 + 2) × 2.50
    assert {i["sku"]: i["value"] for i in value["items"]} == {
        cheese.sku: "12.5000",
        bolts.sku: "5.0000",
    }
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    before = api.get("stock-valuation", {"company": site.company.pk, "as_of": yesterday})
    assert before.json()["items"] == []


def test_deliver_reserve_validate_partially_with_backorder(api, site):
    product = factories.product(costing_method="fifo")
    site.receive(product, "10", cost="4.00")
    created = api.post(
        "transfers",
        {
            "warehouse": site.warehouse.pk,
            "kind": "delivery",
            "source": site.stock.pk,
            "destination": site.customer.pk,
            "lines": [{"product": product.pk, "quantity": "8"}],
        },
    ).json()
    api.post(f"transfers/{created['id']}/confirm")
    reserved = api.post(f"transfers/{created['id']}/reserve").json()
    assert reserved["state"] == "assigned"
    (move,) = reserved["moves"]
    assert [(ln["source_path"], ln["quantity"], ln["done"]) for ln in move["lines"]] == [
        (site.stock.path, "8.000000", False)
    ]
    done = api.post(
        f"transfers/{created['id']}/validate", {"lines": [{"move": move["id"], "quantity": "5"}]}
    ).json()
    assert done["state"] == "done"
    (backorder_id,) = done["backorders"]
    backorder = api.get(f"transfers/{backorder_id}").json()
    assert (backorder["state"], backorder["moves"][0]["quantity"]) == ("assigned", "3.000000")
    quant = Quant.objects.get(product=product, location=site.stock)
    assert (quant.quantity, quant.reserved) == (D(5), D(3))
    cancelled = api.post(f"transfers/{backorder_id}/cancel").json()
    assert cancelled["state"] == "cancelled"
    quant.refresh_from_db()
    assert (quant.quantity, quant.reserved) == (D(5), D(0))


def test_validate_without_lines_does_everything(api, site):
    product = factories.product()
    transfer = site.transfer(TransferKind.RECEIPT, site.supplier, site.stock, [(product, "4", "1")])
    # No body at all (``curl -X POST``): everything is done.
    response = api.client.post(
        f"/api/v1/transfers/{transfer.pk}/validate", "", content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "done"
    assert Quant.objects.get(product=product, location=site.stock).quantity == 4


def test_list_filters_search_and_cursor(api, site):
    product = factories.product()
    receipts = [
        site.transfer(TransferKind.RECEIPT, site.supplier, site.stock, [(product, "1", "1")])
        for _ in range(3)
    ]
    site.receive(product, "5")
    delivery = site.deliver(product, "1")
    listed = api.get("transfers", {"kind": "receipt", "state": "confirmed"}).json()["items"]
    assert {t["id"] for t in listed} == {t.pk for t in receipts}
    found = api.get("transfers", {"q": delivery.reference[-6:], "kind": "delivery"}).json()
    assert [t["id"] for t in found["items"]] == [delivery.pk]
    seen, cursor = [], None
    while True:
        params = {"warehouse": site.warehouse.pk, "limit": 2, "ordering": "reference"}
        page = api.get("transfers", {**params, **({"cursor": cursor} if cursor else {})}).json()
        seen += [t["reference"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(Transfer.objects.values_list("reference", flat=True))
    assert len(seen) == 5
    problem(api.get("transfers", {"colour": "red"}), 422, "colour")
    problem(api.get("transfers", {"cursor": "nonsense"}), 422, "cursor")
    problem(api.get("transfers", {"state": "lost"}), 422, "state")


def test_idempotency_key_replays_the_create(api, site, receipt_body):
    product = factories.product()
    body = receipt_body((product, "2"))
    first = api.post("transfers", body, HTTP_IDEMPOTENCY_KEY="receipt-77")
    again = api.post("transfers", body, HTTP_IDEMPOTENCY_KEY="receipt-77")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert Transfer.objects.count() == 1
    confirm = api.post(f"transfers/{first.json()['id']}/confirm", HTTP_IDEMPOTENCY_KEY="c-1")
    replay = api.post(f"transfers/{first.json()['id']}/confirm", HTTP_IDEMPOTENCY_KEY="c-1")
    assert confirm.status_code == replay.status_code == 200  # not 409: replayed, not re-run
    problem(api.post(f"transfers/{first.json()['id']}/confirm"), 409)


# -- bad input writes nothing ------------------------------------------------------------------


@pytest.fixture
def stocked(site):
    """Stock of a lot product, an expired lot, a serial in stock and a plain product."""
    lot_product = factories.product(tracking="lot", shelf_life_days=20)
    site.receive(lot_product, "5", lot="GOOD", expires_on=TODAY + datetime.timedelta(days=10))
    site.receive(lot_product, "5", lot="OLD", expires_on=TODAY - datetime.timedelta(days=1))
    serial_product = factories.product(tracking="serial")
    site.receive(serial_product, "1", lot="SN-1")
    plain = factories.product()
    site.receive(plain, "10")
    return SimpleNamespace(lot=lot_product, serial=serial_product, plain=plain)


def _delivery(site, product, quantity="1"):
    return site.deliver(product, quantity)


def _receipt(site, product, quantity="1"):
    return site.transfer(
        TransferKind.RECEIPT, site.supplier, site.stock, [(product, quantity, "1")]
    )


VALIDATE_CASES = {
    # name: (build transfer, done line, error field, words in the message)
    "unknown lot": (
        lambda s, st: _delivery(s, st.lot),
        {"quantity": "1", "lot": "NOPE"},
        "lines[0].lot",
        "unknown lot",
    ),
    "expired lot": (
        lambda s, st: _delivery(s, st.lot),
        {"quantity": "1", "lot": "OLD"},
        "lines[0].lot",
        "expired",
    ),
    "serial already in stock": (
        lambda s, st: _receipt(s, st.serial),
        {"quantity": "1", "serial": "SN-1"},
        "lines[0].lot",
        "already in stock",
    ),
    "too many decimals": (
        lambda s, st: _receipt(s, st.plain, "2"),
        {"quantity": "1.5"},
        "lines[0].quantity",
        "decimal places",
    ),
    "more than planned": (
        lambda s, st: _receipt(s, st.plain, "2"),
        {"quantity": "3"},
        "lines[0].quantity",
        "More than planned",
    ),
    "a serial is one unit": (
        lambda s, st: _receipt(s, st.serial, "2"),
        {"quantity": "2", "serial": "SN-9"},
        "lines[0].quantity",
        "one unit",
    ),
    "tracked product without lot": (
        lambda s, st: _receipt(s, st.lot),
        {"quantity": "1"},
        "lines[0].lot",
        "give the lot",
    ),
}


@pytest.mark.parametrize("case", list(VALIDATE_CASES))
def test_bad_validation_is_a_422_naming_the_field_and_writes_nothing(api, site, stocked, case):
    build, line, field, words = VALIDATE_CASES[case]
    transfer = build(site, stocked)
    move = transfer.moves.get()
    before = written()
    response = api.post(f"transfers/{transfer.pk}/validate", {"lines": [{"move": move.pk, **line}]})
    body = problem(response, 422, field)
    assert words.lower() in body["detail"].lower(), body
    assert written() == before


def test_validate_refusals_that_are_not_about_one_line(api, site, stocked):
    delivery = site.deliver(stocked.plain, "50")  # only 10 in stock
    other = _receipt(site, stocked.plain)
    before = written()
    problem(api.post(f"transfers/{delivery.pk}/validate"), 422)
    problem(
        api.post(
            f"transfers/{delivery.pk}/validate",
            {"lines": [{"move": other.moves.get().pk, "quantity": "1"}]},
        ),
        422,
        "lines[0].move",
    )
    problem(
        api.post(
            f"transfers/{delivery.pk}/validate",
            {"lines": [{"move": delivery.moves.get().pk, "quantity": 1.0}]},
        ),
        422,
        "lines[0].quantity",
    )
    problem(
        api.post(
            f"transfers/{delivery.pk}/validate",
            {
                "lines": [
                    {"move": delivery.moves.get().pk, "quantity": "1", "lot": "A", "serial": "B"}
                ]
            },
        ),
        422,
        "lines[0].serial",
    )
    assert written() == before


CREATE_CASES = {
    "too many decimals": ({"lines": [{"quantity": "1.5"}]}, "lines[0].quantity"),
    "float quantity": ({"lines": [{"quantity": 1.5}]}, "lines[0].quantity"),
    "negative quantity": ({"lines": [{"quantity": "-1"}]}, "lines[0].quantity"),
    "unknown product": ({"lines": [{"product": 10**9}]}, "lines[0].product"),
    "no lines": ({"lines": []}, "lines"),
    "unknown kind": ({"kind": "teleport"}, "kind"),
    "same source and destination": ({"source": "stock"}, "destination"),
    "view location": ({"destination": "root"}, "destination"),
    "location of another company": ({"source": "other_stock"}, "source"),
    "unknown location": ({"destination": 10**9}, "destination"),
    "unknown warehouse": ({"warehouse": 10**9}, "warehouse"),
    "naive datetime": ({"scheduled_at": "2030-01-01T10:00:00"}, "scheduled_at"),
    "unknown field": ({"colour": "red"}, "colour"),
    "lot of another product": ({"lines": [{"lot": "other_lot"}]}, "lines[0].lot"),
    "partner of another company": ({"partner": "other_partner"}, "partner"),
}


@pytest.mark.parametrize("case", list(CREATE_CASES))
def test_bad_create_is_a_422_naming_the_field_and_writes_nothing(
    api, site, warehouse_b, company_b, case
):
    product = factories.product()
    other = factories.product(tracking="lot")
    other_lot = Lot.objects.create(product=other, name="X1")
    refs = {
        "stock": site.stock.pk,
        "root": site.stock.parent_id,
        "other_stock": warehouse_location(warehouse_b, LocationKind.RESERVE).pk,
        "other_lot": other_lot.pk,
        "other_partner": factories.partner(company_b).pk,
    }
    change, field = CREATE_CASES[case]
    body: dict[str, Any] = {
        "warehouse": site.warehouse.pk,
        "kind": "receipt",
        "source": site.supplier.pk,
        "destination": site.stock.pk,
        "lines": [{"product": product.pk, "quantity": "2"}],
    }
    for name, value in change.items():
        if name == "lines":
            body["lines"] = [{**body["lines"][0], **line} for line in value]
            for line in body["lines"]:
                line.update({k: refs.get(v, v) for k, v in line.items() if isinstance(v, str)})
        else:
            body[name] = refs.get(value, value) if isinstance(value, str) else value
    before = written()
    problem(api.post("transfers", body), 422, field)
    assert written() == before


def test_state_conflicts_and_unknown_ids(api, site):
    product = factories.product()
    draft = services.create_transfer(
        SYSTEM,
        services.TransferDraft(
            site.warehouse.pk,
            "receipt",
            site.supplier.pk,
            site.stock.pk,
            [services.LineDraft(product.pk, D(1))],
        ),
    )
    before = written()
    problem(api.post(f"transfers/{draft.pk}/reserve"), 409)
    problem(api.post(f"transfers/{draft.pk}/validate"), 409)
    assert written() == before
    api.post(f"transfers/{draft.pk}/cancel")
    problem(api.post(f"transfers/{draft.pk}/confirm"), 409)
    problem(api.get("transfers/999999"), 404)
    problem(api.post("transfers/999999/confirm"), 404)
    problem(api.get("lots/999999/trace"), 404)


def test_stock_availability_and_valuation_parameters(api, site):
    problem(api.get("stock"), 422, "product")
    problem(api.get("availability"), 422, "products")
    problem(api.get("availability", {"products": "1,x"}), 422, "products")
    problem(api.get("availability", {"products": "999999"}), 422, "products")
    product = factories.product()
    problem(api.get("availability", {"products": product.pk, "quantity": "0"}), 422, "quantity")
    problem(api.get("availability", {"products": product.pk, "quantity": "1.0000001"}), 422)
    problem(api.get("availability", {"products": product.pk, "group_by": "city"}), 422)
    problem(api.get("stock-valuation"), 422, "company")
    problem(api.get("stock-valuation", {"company": 999999}), 422, "company")
    problem(api.get("stock-valuation", {"company": site.company.pk, "as_of": "yesterday"}), 422)


def test_availability_with_earliest_date(api, site):
    product = factories.product()
    site.receive(product, "5")
    incoming = site.transfer(
        TransferKind.RECEIPT,
        site.supplier,
        site.stock,
        [(product, "10", "1")],
        scheduled_at=timezone.now() + datetime.timedelta(days=3),
    )
    assert incoming.state == "confirmed"
    response = api.get(
        "availability",
        {"products": str(product.pk), "warehouses": str(site.warehouse.pk), "quantity": "12"},
    )
    (row,) = response.json()["items"]
    assert (row["scope"], row["on_hand"], row["available_now"]) == (
        site.warehouse.code,
        "5.000000",
        "5.000000",
    )
    assert row["earliest_date"] == (TODAY + datetime.timedelta(days=3)).isoformat()
    assert row["incoming"] == [
        {"date": (TODAY + datetime.timedelta(days=3)).isoformat(), "quantity": "10.000000"}
    ]
    grouped = api.get("availability", {"products": str(product.pk), "group_by": "group"})
    assert [r["scope"] for r in grouped.json()["items"]] == ["group"]


def test_valuation_pages_by_product_with_the_total_on_every_page(api, site):
    products = [factories.product(costing_method="fifo") for _ in range(3)]
    for product in products:
        site.receive(product, "2", cost="1.25")
    first = api.get("stock-valuation", {"company": site.company.pk, "limit": 2}).json()
    second = api.get(
        "stock-valuation", {"company": site.company.pk, "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert first["total_value"] == second["total_value"] == "7.5000"
    assert first["products"] == 3
    assert [i["product"] for i in first["items"] + second["items"]] == [p.pk for p in products]
    assert second["next_cursor"] is None


# -- scanning -------------------------------------------------------------------------------


def test_scan_reads_gs1_and_matches_product_lot_and_move(api, site):
    product = with_barcode(factories.product(tracking="lot"), quantity="6")  # a case of six
    receipt = _receipt(site, product, "12")
    response = api.post(
        "scan", {"barcode": f"]C101{GTIN}17261231{GS}10L-7", "transfer": receipt.pk}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["gtin"], body["lot"], body["expires_on"]) == (GTIN, "L-7", "2026-12-31")
    assert (body["product"], body["quantity"], body["move"]) == (
        product.pk,
        "6.000000",
        receipt.moves.get().pk,
    )
    assert body["elements"] == {"01": GTIN, "17": "261231", "10": "L-7"}
    assert body["problem"] == ""

    location = api.post("scan", {"barcode": site.stock.path}).json()
    assert (location["kind"], location["location"]) == ("text", site.stock.pk)
    nothing = api.post("scan", {"barcode": "NO-SUCH-THING"}).json()
    assert "Nothing matches" in nothing["problem"]
    problem(api.post("scan", {"barcode": f"01{GTIN[:-1]}9"}), 422, "barcode")
    problem(api.post("scan", {"barcode": ""}), 422, "barcode")
    problem(api.post("scan", {"barcode": "x", "transfer": 999999}), 404)


# -- company isolation ----------------------------------------------------------------------


def test_a_user_of_company_a_never_sees_company_b_stock(site, company_a, warehouse_b, company_b):
    beta = Site(warehouse_b)
    product = factories.product(tracking="lot")
    beta.receive(product, "7", lot="BETA-LOT", cost="3")
    site.receive(product, "2", lot="BETA-LOT", cost="3")  # the same lot name in both companies
    beta_delivery = beta.deliver(product, "1")
    user = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a])
    acme = ApiClient(user)
    listed = acme.get("transfers", {"limit": 500}).json()["items"]
    assert listed
    assert all(t["company"] == company_a.pk for t in listed)
    assert acme.get("transfers", {"warehouse": warehouse_b.pk}).json()["items"] == []
    before = written()
    for action in ("confirm", "reserve", "validate", "cancel"):
        problem(acme.post(f"transfers/{beta_delivery.pk}/{action}"), 404)
    problem(acme.get(f"transfers/{beta_delivery.pk}"), 404)
    assert written() == before
    assert acme.get("stock", {"warehouse": warehouse_b.pk}).json()["items"] == []
    stock = acme.get("stock", {"product": product.pk}).json()["items"]
    assert [s["warehouse"] for s in stock] == [site.warehouse.pk]
    problem(acme.get("stock-valuation", {"company": company_b.pk}), 422, "company")
    lot = Lot.objects.get(name="BETA-LOT")
    trace = acme.get(f"lots/{lot.pk}/trace").json()
    assert all(s["destination"].startswith(site.warehouse.code) for s in trace["steps"])
    assert len(trace["steps"]) == 1
    availability = acme.get("availability", {"products": str(product.pk)}).json()["items"]
    assert [a["scope"] for a in availability] == [site.warehouse.code]
    problem(acme.post("scan", {"barcode": "x", "transfer": beta_delivery.pk}), 404)
    # Pointing a new transfer at company B's locations or warehouse is refused, nothing written.
    b_stock = warehouse_location(warehouse_b, LocationKind.RESERVE)
    body = {
        "warehouse": site.warehouse.pk,
        "kind": "internal",
        "source": site.stock.pk,
        "destination": b_stock.pk,
        "lines": [{"product": product.pk, "quantity": "1"}],
    }
    problem(acme.post("transfers", body), 422, "destination")
    problem(acme.post("transfers", {**body, "warehouse": warehouse_b.pk}), 422, "warehouse")
    assert written() == before


def test_a_warehouse_bound_operator_sees_only_their_warehouse(site, company_a):
    other = factories.warehouse(company_a, "A-DEPOT")
    depot = Site(other)
    product = factories.product()
    depot.receive(product, "3")
    operator = factories.user(
        Role.WAREHOUSE_OPERATOR, companies=[company_a], warehouses=[site.warehouse]
    )
    client = ApiClient(operator)
    assert client.get("transfers").json()["items"] == []
    assert client.get("stock", {"product": product.pk}).json()["items"] == []


# -- the permission matrix ---------------------------------------------------------------------

ROLES = list(Role)
# endpoint: (model label, action, expected status when allowed, call)
ENDPOINTS: dict[str, tuple[str, str, int, Any]] = {
    "list-transfers": ("inventory.transfer", "view", 200, lambda c, m: c.get("transfers")),
    "create-transfer": (
        "inventory.transfer",
        "add",
        201,
        lambda c, m: c.post("transfers", m.receipt_body()),
    ),
    "get-transfer": (
        "inventory.transfer",
        "view",
        200,
        lambda c, m: c.get(f"transfers/{m.confirmed_receipt().pk}"),
    ),
    "confirm": (
        "inventory.transfer",
        "change",
        200,
        lambda c, m: c.post(f"transfers/{m.draft().pk}/confirm"),
    ),
    "reserve": (
        "inventory.transfer",
        "change",
        200,
        lambda c, m: c.post(f"transfers/{m.delivery().pk}/reserve"),
    ),
    "validate": (
        "inventory.transfer",
        "change",
        200,
        lambda c, m: c.post(f"transfers/{m.confirmed_receipt().pk}/validate"),
    ),
    "cancel": (
        "inventory.transfer",
        "change",
        200,
        lambda c, m: c.post(f"transfers/{m.confirmed_receipt().pk}/cancel"),
    ),
    "stock": (
        "inventory.quant",
        "view",
        200,
        lambda c, m: c.get("stock", {"product": m.product.pk}),
    ),
    "availability": (
        "inventory.quant",
        "view",
        200,
        lambda c, m: c.get("availability", {"products": str(m.product.pk)}),
    ),
    "stock-valuation": (
        "inventory.valuationlayer",
        "view",
        200,
        lambda c, m: c.get("stock-valuation", {"company": m.site.company.pk}),
    ),
    "lot-trace": ("inventory.lot", "view", 200, lambda c, m: c.get(f"lots/{m.lot.pk}/trace")),
    "scan": (
        "inventory.transfer",
        "view",
        200,
        lambda c, m: c.post("scan", {"barcode": f"01{GTIN}10L-1"}),
    ),
    "return": (
        "inventory.transfer",
        "add",
        201,
        lambda c, m: c.post(*m.return_request()),
    ),
    "dispatch": (
        "inventory.transfer",
        "add",
        201,
        lambda c, m: c.post("dispatches", m.dispatch_body()),
    ),
    "arrive": (
        "inventory.transfer",
        "change",
        200,
        lambda c, m: c.post(f"transfers/{m.arrival().pk}/arrive"),
    ),
    "scrap": ("inventory.transfer", "add", 201, lambda c, m: c.post("scraps", m.scrap_body())),
    "damage": ("inventory.transfer", "add", 201, lambda c, m: c.post("damages", m.scrap_body())),
    "list-putaway-rules": (
        "inventory.putawayrule",
        "view",
        200,
        lambda c, m: c.get("putaway-rules"),
    ),
    "create-putaway-rule": (
        "inventory.putawayrule",
        "add",
        201,
        lambda c, m: c.post("putaway-rules", m.rule_body()),
    ),
    "get-putaway-rule": (
        "inventory.putawayrule",
        "view",
        200,
        lambda c, m: c.get(f"putaway-rules/{m.rule().pk}"),
    ),
    "update-putaway-rule": (
        "inventory.putawayrule",
        "change",
        200,
        lambda c, m: c.put(f"putaway-rules/{m.rule().pk}", m.rule_body()),
    ),
    "delete-putaway-rule": (
        "inventory.putawayrule",
        "delete",
        204,
        lambda c, m: c.delete(f"putaway-rules/{m.rule().pk}"),
    ),
}
ROUTES = {
    "list-transfers": ("get", "/api/v1/transfers"),
    "create-transfer": ("post", "/api/v1/transfers"),
    "get-transfer": ("get", "/api/v1/transfers/{id}"),
    "confirm": ("post", "/api/v1/transfers/{id}/confirm"),
    "reserve": ("post", "/api/v1/transfers/{id}/reserve"),
    "validate": ("post", "/api/v1/transfers/{id}/validate"),
    "cancel": ("post", "/api/v1/transfers/{id}/cancel"),
    "stock": ("get", "/api/v1/stock"),
    "availability": ("get", "/api/v1/availability"),
    "stock-valuation": ("get", "/api/v1/stock-valuation"),
    "lot-trace": ("get", "/api/v1/lots/{id}/trace"),
    "scan": ("post", "/api/v1/scan"),
    "return": ("post", "/api/v1/transfers/{id}/return"),
    "dispatch": ("post", "/api/v1/dispatches"),
    "arrive": ("post", "/api/v1/transfers/{id}/arrive"),
    "scrap": ("post", "/api/v1/scraps"),
    "damage": ("post", "/api/v1/damages"),
    "list-putaway-rules": ("get", "/api/v1/putaway-rules"),
    "create-putaway-rule": ("post", "/api/v1/putaway-rules"),
    "get-putaway-rule": ("get", "/api/v1/putaway-rules/{id}"),
    "update-putaway-rule": ("put", "/api/v1/putaway-rules/{id}"),
    "delete-putaway-rule": ("delete", "/api/v1/putaway-rules/{id}"),
}


class Matrix:
    """Rows every matrix case needs, built once; each case's own writes are rolled back."""

    def __init__(self) -> None:
        company = factories.company("PMX", name="Permission matrix")
        warehouse = factories.warehouse(company, "PMX-WH")
        self.site = Site(warehouse)
        self.product = with_barcode(factories.product(tracking="lot"))
        self.site.receive(self.product, "20", lot="L-1", cost="2")
        self.lot = Lot.objects.get(product=self.product, name="L-1")
        self.plain = factories.product()
        self.site.receive(self.plain, "50", cost="2")
        self.depot = Site(factories.warehouse(company, "PMX-WH2"))
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    def receipt_body(self) -> dict[str, Any]:
        return {
            "warehouse": self.site.warehouse.pk,
            "kind": "receipt",
            "source": self.site.supplier.pk,
            "destination": self.site.stock.pk,
            "lines": [{"product": self.product.pk, "quantity": "1"}],
        }

    def draft(self) -> Transfer:
        site = self.site
        return services.create_transfer(
            SYSTEM,
            services.TransferDraft(
                site.warehouse.pk,
                "receipt",
                site.supplier.pk,
                site.stock.pk,
                [services.LineDraft(self.product.pk, D(1))],
            ),
        )

    def confirmed_receipt(self) -> Transfer:
        receipt = self.site.transfer(
            TransferKind.RECEIPT, self.site.supplier, self.site.stock, [(self.product, "1", "2")]
        )
        return receipt

    def delivery(self) -> Transfer:
        return self.site.deliver(self.product, "1")

    def return_request(self) -> tuple[str, dict[str, Any]]:
        receipt = self.site.receive(self.plain, "1", cost="2")
        move = receipt.moves.get()
        return f"transfers/{receipt.pk}/return", {"lines": [{"move": move.pk, "quantity": "1"}]}

    def dispatch_body(self) -> dict[str, Any]:
        return {
            "from_warehouse": self.site.warehouse.pk,
            "to_warehouse": self.depot.warehouse.pk,
            "lines": [{"product": self.plain.pk, "quantity": "1"}],
        }

    def arrival(self) -> Transfer:
        dispatch = services.dispatch_to_warehouse(
            SYSTEM,
            services.DispatchDraft(
                self.site.warehouse.pk,
                self.depot.warehouse.pk,
                [services.DispatchLine(self.plain.pk, D(1))],
            ),
        )
        services.validate_transfer(SYSTEM, dispatch.pk)
        return Transfer.objects.get(previous_step=dispatch)

    def scrap_body(self) -> dict[str, Any]:
        return {
            "warehouse": self.site.warehouse.pk,
            "location": self.site.stock.pk,
            "reason": "Broken",
            "lines": [{"product": self.plain.pk, "quantity": "1"}],
        }

    def rule_body(self) -> dict[str, Any]:
        return {
            "warehouse": self.site.warehouse.pk,
            "location": self.site.qc.pk,
            "product": self.plain.pk,
        }

    def rule(self) -> Any:
        draft = services.PutawayRuleDraft(
            self.site.warehouse.pk, self.site.stock.pk, product_id=self.plain.pk
        )
        return services.save_putaway_rule(SYSTEM, draft)


matrix = module_matrix(Matrix)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_permission_matrix(matrix, db, role, endpoint):
    label, action, allowed, call = ENDPOINTS[endpoint]
    if endpoint == "validate":  # the validate call on a lot product needs its lot
        receipt = matrix.confirmed_receipt()
        move = receipt.moves.get()
        response = matrix.clients[role].post(
            f"transfers/{receipt.pk}/validate",
            {"lines": [{"move": move.pk, "quantity": "1", "lot": "L-2"}]},
        )
    else:
        response = call(matrix.clients[role], matrix)
    assert_answer(
        response, allowed=allowed, permitted=role_allows(role, label, action), case=(role, endpoint)
    )


def test_the_matrix_covers_every_inventory_endpoint(db):
    ours = tagged_operations("Inventory")
    assert ours == set(ROUTES.values())
    assert set(ROUTES) == set(ENDPOINTS)


def test_every_quantity_sum_is_exact_on_this_database(api, site):
    """A thousand receipts of 0.001 kg sum to exactly 1 kg in the database (no float drift)."""
    kilogram = Unit.objects.get(code="KGM")
    product = factories.product(base_unit=kilogram, purchase_unit=kilogram, sales_unit=kilogram)
    transfer = site.transfer(
        TransferKind.RECEIPT,
        site.supplier,
        site.stock,
        [(product, "0.001", "1")] * 1000,
    )
    services.validate_transfer(SYSTEM, transfer.pk)
    total = Quant.objects.filter(product=product, location=site.stock).aggregate(t=Sum("quantity"))
    assert total["t"] == D("1.000")
    stock = api.get("stock", {"product": product.pk}).json()["items"]
    assert stock[0]["quantity"] == "1.000000"
    assert connection.vendor in ("sqlite", "postgresql")
