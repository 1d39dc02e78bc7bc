"""The fulfilment screens: make a wave, pick it by scanning, pack by scanning, ship, print."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.core.roles import Role
from crossdock.inventory import services
from crossdock.inventory.models import Package, PickWave, Shipment, Transfer
from crossdock.masterdata.models import ProductBarcode
from tests import factories
from tests.browser import client_for
from tests.inventory.conftest import SYSTEM
from tests.inventory.test_fulfilment import reserved

D = Decimal
GTIN = "09501101530003"
HTMX = {"HTTP_HX_REQUEST": "true"}


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
def shelves(site):
    near, far = site.bin("NEAR", 1), site.bin("FAR", 5)
    soap = factories.product("SOAP-1", name="Soap")
    ProductBarcode.objects.create(product=soap, gtin=GTIN, unit=soap.base_unit)
    brush = factories.product("BRUSH-1", name="Brush")
    site.receive(soap, "10", cost="1", into=far)
    site.receive(brush, "10", cost="1", into=near)
    return soap, brush, near, far


def test_make_a_wave_then_pick_it_by_scanning_in_location_order(web, site, shelves):
    soap, brush, _near, far = shelves
    first = reserved(site.deliver(soap, "2"))
    second = reserved(site.deliver(brush, "1"))
    listed = web.get(url("wave_list"))
    assert listed.status_code == 200
    assert b"Pick waves" in listed.content
    made = web.post(url("wave_list"), {"warehouse": site.warehouse.pk, "carrier": ""})
    wave = PickWave.objects.get()
    assert made.status_code == 302
    assert made["Location"] == url("wave_pick", wave.pk)
    page = web.get(url("wave_pick", wave.pk)).content.decode()
    assert page.index("STOCK/NEAR") < page.index("STOCK/FAR")  # walking order
    assert first.reference in page
    assert second.reference in page
    scanned = web.post(url("wave_pick", wave.pk), {"step": "scan", "barcode": far.path}, **HTMX)
    assert b"At " in scanned.content
    scanned = web.post(url("wave_pick", wave.pk), {"step": "scan", "barcode": f"01{GTIN}"}, **HTMX)
    assert b"+1 SOAP-1" in scanned.content
    refused = web.post(
        url("wave_pick", wave.pk), {"step": "scan", "barcode": "SOAP-1", "count": "5"}
    )
    assert refused.status_code == 422
    assert b"more than the 1 to pick" in refused.content
    done = web.post(url("wave_pick", wave.pk), {"step": "complete"})
    assert done.status_code == 302
    assert PickWave.objects.get().state == "done"
    assert Transfer.objects.get(pk=first.pk).state == "done"
    assert Transfer.objects.get(backorder_of=first).moves.get().quantity == 1
    assert Transfer.objects.get(pk=second.pk).state == "assigned"  # nothing picked for it


def test_complete_all_and_cancel(web, site, shelves):
    delivery = reserved(site.deliver(shelves[1], "3"))
    wave = services.create_pick_wave(SYSTEM, services.PickWaveDraft(site.warehouse.pk))
    response = web.post(url("wave_pick", wave.pk), {"step": "complete_all"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("wave_pick", wave.pk)
    assert Transfer.objects.get(pk=delivery.pk).state == "done"
    other = reserved(site.deliver(shelves[1], "1"))
    wave = services.create_pick_wave(SYSTEM, services.PickWaveDraft(site.warehouse.pk))
    web.post(url("wave_pick", wave.pk), {"step": "cancel"})
    assert PickWave.objects.get(pk=wave.pk).state == "cancelled"
    assert Transfer.objects.get(pk=other.pk).state == "assigned"


def test_pack_by_scanning_then_ship_and_print(web, site, shelves):
    soap = shelves[0]
    customer = factories.partner(site.company, name="Corner shop")
    delivery = reserved(site.deliver(soap, "3", partner_id=customer.pk))
    detail = web.get(url("transfer_detail", delivery.pk)).content.decode()
    for label, name in (("Pack", "transfer_pack"), ("Ship", "transfer_ship"),
                        ("Delivery note", "delivery_note")):  # fmt: skip
        assert url(name, delivery.pk) in detail, label
    pack = url("transfer_pack", delivery.pk)
    assert web.post(pack, {"step": "scan", "barcode": f"01{GTIN}", "count": "2"}).status_code == 200
    refused = web.post(pack, {"step": "scan", "barcode": "SOAP-1", "count": "2"})
    assert refused.status_code == 422
    assert b"more than the 1 left to pack" in refused.content
    closed = web.post(pack, {"step": "close", "weight": "1.250", "package_type": "box",
                             "number": "CARTON-9"})  # fmt: skip
    assert closed.status_code == 200, closed.content
    package = Package.objects.get(number="CARTON-9")
    assert package.weight == D("1.25")
    assert package.contents.get().quantity == 2
    shown = web.post(pack, {"step": "scan", "barcode": "CARTON-9"})
    assert b"Package CARTON-9" in shown.content
    no_box = web.post(pack, {"step": "close", "weight": "1", "package_type": "box"})
    assert no_box.status_code == 422
    ship = url("transfer_ship", delivery.pk)
    assert web.get(ship).status_code == 200
    missing = web.post(ship, {"carrier": "DPD", "tracking_number": ""})
    assert missing.status_code == 422
    assert not Shipment.objects.exists()
    shipped = web.post(ship, {"carrier": "DPD", "service_level": "Classic",
                              "tracking_number": "05212345678"})  # fmt: skip
    assert shipped.status_code == 302
    assert Shipment.objects.get().tracking_number == "05212345678"
    assert Transfer.objects.get(pk=delivery.pk).state == "done"
    pdf = web.get(url("delivery_note", delivery.pk))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_sales_see_waves_but_may_not_pick_pack_or_ship(site, shelves, company_a):
    sales = client_for(factories.user(Role.SALES_REP, companies=[company_a]))
    delivery = reserved(site.deliver(shelves[0], "1"))
    wave = services.create_pick_wave(SYSTEM, services.PickWaveDraft(site.warehouse.pk))
    assert sales.get(url("wave_list")).status_code == 200
    page = sales.get(url("wave_pick", wave.pk))
    assert page.status_code == 200
    assert b"Complete picking" not in page.content
    assert sales.post(url("wave_pick", wave.pk), {"step": "complete_all"}).status_code == 404
    assert sales.post(url("wave_list"), {"warehouse": site.warehouse.pk}).status_code == 403
    assert sales.get(url("transfer_pack", delivery.pk)).status_code in (403, 404)
    assert sales.get(url("transfer_ship", delivery.pk)).status_code in (403, 404)
    assert sales.get(url("delivery_note", delivery.pk)).status_code == 200
    assert PickWave.objects.get().state == "open"


def test_navigation_lists_pick_waves_for_the_warehouse(web):
    page = web.get(url("wave_list")).content.decode()
    assert f'href="{url("wave_list")}"' in page
