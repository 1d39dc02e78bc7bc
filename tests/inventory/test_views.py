"""The warehouse screens through Django's test client: lists, actions, scanning, reports."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.core.roles import Role
from crossdock.inventory.models import Lot, Quant, Transfer, TransferKind
from crossdock.inventory.views import TALLY_KEY
from crossdock.masterdata.models import ProductBarcode
from tests import factories
from tests.browser import client_for
from tests.inventory.conftest import Site

D = Decimal
GTIN = "09501101530003"
HTMX = {"HTTP_HX_REQUEST": "true"}
EXPIRY = datetime.date.today() + datetime.timedelta(days=90)


def url(name, *args):
    return reverse(f"inventory:{name}", args=args)


@pytest.fixture
def operator(company_a, warehouse_a):
    return factories.user(
        Role.WAREHOUSE_OPERATOR, companies=[company_a], warehouses=[warehouse_a], username="op"
    )


@pytest.fixture
def web(operator):
    return client_for(operator)


@pytest.fixture
def cheese():
    product = factories.product("CHEESE-1", name="Gouda 1 kg", tracking="lot", shelf_life_days=60)
    ProductBarcode.objects.create(product=product, gtin=GTIN, unit=product.base_unit)
    return product


@pytest.fixture
def receipt(site, cheese):
    return site.transfer(TransferKind.RECEIPT, site.supplier, site.stock, [(cheese, "3", "4.00")])


def test_pages_need_a_login(client, site, receipt):
    for name, args in (("transfer_list", ()), ("transfer_detail", (receipt.pk,)), ("stock", ())):
        response = client.get(url(name, *args))
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_transfer_list_shows_open_transfers_and_filters_in_place(web, site, receipt, warehouse_b):
    beta = Site(warehouse_b)
    hidden = beta.transfer(
        TransferKind.RECEIPT, beta.supplier, beta.stock, [(factories.product(), "1", "1")]
    )
    done = site.receive(factories.product(), "1")
    response = web.get(url("transfer_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert receipt.reference in html
    assert done.reference not in html  # done transfers are not "to do"
    assert hidden.reference not in html  # another company's
    all_states = web.get(url("transfer_list"), {"state": ""}).content.decode()
    assert done.reference in all_states
    partial = web.get(url("transfer_list"), {"q": receipt.reference[-4:], "state": ""}, **HTMX)
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="transfer-table"')
    assert receipt.reference in body
    assert "<html" not in body
    assert list(web.get(url("transfer_list"), {"kind": "delivery"}).context["page"]) == []


def test_detail_shows_moves_and_only_the_actions_the_user_may_take(web, site, receipt, company_a):
    response = web.get(url("transfer_detail", receipt.pk))
    html = response.content.decode()
    assert "CHEESE-1" in html
    assert "Process by scanning" in html
    assert response.context["can_reserve"] is False  # a receipt comes from a supplier
    auditor = client_for(factories.user(Role.AUDITOR, companies=[company_a]))
    seen = auditor.get(url("transfer_detail", receipt.pk))
    assert seen.status_code == 200
    assert "Process by scanning" not in seen.content.decode()
    assert auditor.post(url("transfer_action", receipt.pk, "cancel")).status_code == 403
    assert auditor.get(url("transfer_process", receipt.pk)).status_code == 403
    receipt.refresh_from_db()
    assert receipt.state == "confirmed"


def test_actions_confirm_reserve_validate_and_cancel(web, site):
    product = factories.product()
    site.receive(product, "5")
    delivery = site.deliver(product, "2")
    response = web.post(url("transfer_action", delivery.pk, "reserve"), follow=True)
    assert "reserved as far as stock allows" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.state == "assigned"
    web.post(url("transfer_action", delivery.pk, "validate"))
    delivery.refresh_from_db()
    assert delivery.state == "done"
    again = web.post(url("transfer_action", delivery.pk, "cancel"), follow=True)
    assert "already done" in again.content.decode()
    assert web.post(url("transfer_action", delivery.pk, "explode")).status_code == 404
    assert web.get(url("transfer_action", delivery.pk, "cancel")).status_code == 405


def test_process_a_receipt_by_scanning_gs1_labels_then_validate(web, site, receipt, cheese):
    process = url("transfer_process", receipt.pk)
    assert web.get(process).status_code == 200
    label = f"]C101{GTIN}17{EXPIRY:%y%m%d}10L-2024-7"
    first = web.post(process, {"barcode": label}, **HTMX)
    assert first.status_code == 200
    assert "+1 CHEESE-1, L-2024-7" in first.content.decode()
    web.post(process, {"barcode": label}, **HTMX)
    # A plain EAN-13 of a lot-tracked product needs the lot: refused, nothing counted.
    plain = web.post(process, {"barcode": GTIN[1:]}, **HTMX)
    assert plain.status_code == 200  # HTMX swaps the fragment with the message
    assert 'data-feedback="error"' in plain.content.decode()
    assert "tracked by lot" in plain.content.decode()
    # ... typed by hand, it is accepted.
    typed = web.post(process, {"barcode": GTIN[1:], "lot": "L-HAND"}, **HTMX)
    assert "+1 CHEESE-1, L-HAND" in typed.content.decode()
    too_many = web.post(process, {"barcode": label}, **HTMX)
    assert "more than the 0 still to do" in too_many.content.decode()
    assert web.session[TALLY_KEY.format(receipt.pk)] == [
        [receipt.moves.get().pk, "1.000000", "L-2024-7", EXPIRY.isoformat()],
        [receipt.moves.get().pk, "1.000000", "L-2024-7", EXPIRY.isoformat()],
        [receipt.moves.get().pk, "1.000000", "L-HAND", ""],
    ]
    web.post(process, {"step": "undo"}, **HTMX)
    done = web.post(process, {"step": "validate"}, **HTMX)
    assert done.status_code == 204
    assert done["HX-Redirect"] == url("transfer_detail", receipt.pk)
    receipt.refresh_from_db()
    assert receipt.state == "done"
    lot = Lot.objects.get(product=cheese, name="L-2024-7")
    assert lot.expires_on == EXPIRY
    assert Quant.objects.get(product=cheese, lot=lot, location=site.stock).quantity == 2
    backorder = Transfer.objects.get(backorder_of=receipt)
    assert backorder.moves.get().quantity == 1
    assert TALLY_KEY.format(receipt.pk) not in web.session


def test_processing_errors_without_htmx_are_422_pages(web, site, receipt):
    process = url("transfer_process", receipt.pk)
    bad = web.post(process, {"barcode": "0109501101530004"})
    assert bad.status_code == 422
    assert "check digit" in bad.content.decode()
    empty = web.post(process, {"step": "validate"})
    assert empty.status_code == 422
    assert "Scan what you processed first" in empty.content.decode()
    unknown = web.post(process, {"barcode": "NOTHING-HERE"})
    assert "Nothing matches" in unknown.content.decode()
    receipt.refresh_from_db()
    assert receipt.state == "confirmed"


def test_processing_a_delivery_checks_lots_on_the_way_out(web, site, cheese):
    site.receive(cheese, "4", lot="OLD", expires_on=datetime.date.today() - datetime.timedelta(1))
    site.receive(cheese, "4", lot="GOOD", expires_on=EXPIRY)
    delivery = site.deliver(cheese, "2")
    process = url("transfer_process", delivery.pk)
    expired = web.post(process, {"barcode": GTIN, "lot": "OLD"})
    assert "expired on" in expired.content.decode()
    unknown = web.post(process, {"barcode": GTIN, "lot": "NEVER"})
    assert "Unknown lot" in unknown.content.decode()
    web.post(process, {"barcode": GTIN, "lot": "GOOD", "count": "2"})
    response = web.post(process, {"step": "validate"})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "done"
    good = Lot.objects.get(product=cheese, name="GOOD")
    assert Quant.objects.get(lot=good, location=site.stock).quantity == 2


def test_a_finished_transfer_cannot_be_processed(web, site, receipt):
    site_receipt = site.receive(factories.product(), "1")
    response = web.get(url("transfer_process", site_receipt.pk))
    assert response.status_code == 302
    assert response["Location"] == url("transfer_detail", site_receipt.pk)


def test_stock_by_product_and_by_location(web, site, cheese, warehouse_b):
    site.receive(cheese, "5", lot="L1", expires_on=EXPIRY)
    bin_a = site.bin("A-01")
    other = factories.product("CHEESE-2", name="Gouda 2 kg")
    site.receive(other, "7", into=bin_a)
    Site(warehouse_b).receive(cheese, "9", lot="B-LOT", expires_on=EXPIRY)
    by_product = web.get(url("stock"), {"product": "cheese-1"})
    quants = by_product.context["quants"]
    assert [(q.location.path, q.lot.name, q.quantity) for q in quants] == [
        (site.stock.path, "L1", D(5))
    ]
    assert by_product.context["totals"]["available"] == 5
    by_gtin = web.get(url("stock"), {"product": GTIN.lstrip("0")})
    assert len(by_gtin.context["quants"]) == 1
    by_location = web.get(url("stock"), {"location": site.stock.path})
    assert {q.product.sku for q in by_location.context["quants"]} == {"CHEESE-1", "CHEESE-2"}
    by_bin = web.get(url("stock"), {"location": bin_a.path})
    assert [q.product.sku for q in by_bin.context["quants"]] == ["CHEESE-2"]
    ambiguous = web.get(url("stock"), {"product": "gouda"})
    assert ambiguous.context["quants"] is None
    assert "Which product?" in ambiguous.content.decode()


def test_lot_search_and_trace(web, site, cheese):
    site.receive(cheese, "5", lot="TRACE-1", expires_on=EXPIRY)
    delivery = site.deliver(cheese, "2")
    from crossdock.inventory import services
    from tests.inventory.conftest import SYSTEM

    services.validate_transfer(SYSTEM, delivery.pk)
    found = web.get(url("lot_list"), {"q": "trace-1"})
    lot = Lot.objects.get(name="TRACE-1")
    assert found.status_code == 302
    assert found["Location"] == url("lot_trace", lot.pk)
    trace = web.get(url("lot_trace", lot.pk))
    steps = trace.context["steps"]
    assert [(s.reference, s.quantity) for s in steps][-1] == (delivery.reference, D(2))
    assert [q.quantity for q in trace.context["quants"]] == [D(3)]
    assert "No lot or serial matches" in web.get(url("lot_list"), {"q": "zzz"}).content.decode()


def test_availability_page(web, site, cheese):
    plain = factories.product("BOLT-1", name="Bolt")
    site.receive(plain, "4")
    site.deliver(plain, "1")
    response = web.get(url("availability"), {"product": "BOLT-1", "quantity": "3"})
    (row,) = response.context["rows"]
    assert (row.scope, row.on_hand, row.available_now) == (site.warehouse.code, D(4), D(3))
    assert row.earliest_date == datetime.date.today()
    none_yet = web.get(url("availability"), {"product": "BOLT-1", "quantity": "5"})
    assert none_yet.context["rows"][0].earliest_date is None
    assert "not planned" in none_yet.content.decode()


def test_valuation_report_with_csv_and_a_past_date(site, company_a, cheese):
    controller = client_for(factories.user(Role.CONTROLLER, companies=[company_a]))
    product = factories.product("VAL-1", costing_method="fifo")
    site.receive(product, "4", cost="2.50")
    page = controller.get(url("valuation"))
    assert page.status_code == 200
    report = page.context["report"]
    assert (report.company, report.total_value) == (company_a, D("10.0000"))
    assert "10.00" in page.content.decode()
    exported = controller.get(url("valuation"), {"company": company_a.pk, "format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["sku", "name", "quantity", "value_eur"]
    assert rows[1][0] == "VAL-1"
    assert rows[-1] == ["TOTAL", "", "", "10.0000"]
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    past = controller.get(url("valuation"), {"company": company_a.pk, "as_of": yesterday})
    assert past.context["report"].lines == []


def test_roles_see_only_the_screens_they_may_open(web, company_a, company_b):
    assert web.get(url("valuation")).status_code == 403
    keys = {e.key for g in web.get(url("stock")).context["shell"].navigation for e in g.entries}
    assert {"inventory-transfers", "inventory-stock", "inventory-lots"} <= keys
    assert "inventory-valuation" not in keys
    # An AP clerk reads the transfers it bills, and nothing else of the warehouse.
    clerk = client_for(factories.user(Role.AP_CLERK, companies=[company_a]))
    assert clerk.get(url("transfer_list")).status_code == 200
    for name in ("stock", "availability", "lot_list", "valuation"):
        assert clerk.get(url(name)).status_code == 403
    service = client_for(factories.user(Role.CREDIT_CONTROLLER, companies=[company_a]))
    for name in ("transfer_list", "stock", "availability", "lot_list", "valuation"):
        assert service.get(url(name)).status_code == 403
    controller = client_for(factories.user(Role.CONTROLLER, companies=[company_a]))
    other = controller.get(url("valuation"), {"company": company_b.pk})
    assert other.context["report"] is None  # not one of the controller's companies
