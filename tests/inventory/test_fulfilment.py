"""Outbound fulfilment services: pick waves, packing, shipping, the delivery note."""

from __future__ import annotations

import datetime
import re
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crossdock.core import events
from crossdock.core.checks import run_checks
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, PermissionDeniedError
from crossdock.core.models import OutboxEvent
from crossdock.core.roles import Role
from crossdock.inventory import services
from crossdock.inventory.delivery_note import delivery_note_pdf
from crossdock.inventory.events import ShipmentShipped
from crossdock.inventory.fulfilment import pick_list
from crossdock.inventory.models import (
    MoveLine,
    Package,
    PackageContent,
    PickWave,
    PickWaveState,
    Quant,
    Shipment,
    Transfer,
)
from crossdock.masterdata.models import PartnerAddress
from crossdock.masterdata.services import update_warehouse
from tests import factories
from tests.inventory.conftest import SYSTEM
from tests.inventory.test_api import written

D = Decimal


def reserved(transfer):
    services.reserve_moves(SYSTEM, list(transfer.moves.values_list("pk", flat=True)))
    return Transfer.objects.get(pk=transfer.pk)


def everything():
    """What fulfilment and stock services write, to prove a refusal wrote nothing."""
    return (
        written(),
        Package.objects.count(),
        PackageContent.objects.count(),
        list(Shipment.objects.order_by("pk").values_list("tracking_number", "shipped_at")),
        list(PickWave.objects.order_by("pk").values_list("state", flat=True)),
        OutboxEvent.objects.count(),
    )


@pytest.fixture
def stocked(site):
    """Three bins walked in the order C (sequence 1), A (2), B (3); two products in them."""
    bin_a, bin_b, bin_c = site.bin("A-01", 2), site.bin("B-01", 3), site.bin("C-01", 1)
    bolt, nut = factories.product(sku="BOLT"), factories.product(sku="NUT")
    site.receive(bolt, "5", cost="1", into=bin_b)
    site.receive(bolt, "5", cost="1", into=bin_c)
    site.receive(nut, "8", cost="1", into=bin_a)
    return {"A": bin_a, "B": bin_b, "C": bin_c, "bolt": bolt, "nut": nut}


def test_the_pick_list_walks_locations_by_pick_sequence_with_every_transfer(site, stocked):
    bolt, nut = stocked["bolt"], stocked["nut"]
    first = reserved(site.deliver(bolt, "7"))  # FIFO: 5 from B (received first), 2 from C
    second = reserved(site.deliver(nut, "3"))
    third = reserved(site.deliver(nut, "2"))
    wave = services.create_pick_wave(
        SYSTEM, services.PickWaveDraft(site.warehouse.pk, [first.pk, second.pk, third.pk])
    )
    assert wave.reference == f"{site.warehouse.code}/WAVE/000001"
    with CaptureQueriesContext(connection) as queries:
        stops = pick_list(wave)
    assert len(queries) == 1  # one query whatever the number of lines
    assert [stop.location.code for stop in stops] == ["C-01", "A-01", "B-01"]
    assert [
        [(line.sku, line.quantity, line.transfer_reference) for line in stop.lines]
        for stop in stops
    ] == [
        [("BOLT", D(2), first.reference)],
        [("NUT", D(3), second.reference), ("NUT", D(2), third.reference)],
        [("BOLT", D(5), first.reference)],
    ]


def test_completing_the_wave_validates_each_transfer_with_what_was_picked(site, stocked):
    bolt, nut = stocked["bolt"], stocked["nut"]
    first = reserved(site.deliver(bolt, "7"))
    second = reserved(site.deliver(nut, "3"))
    wave = services.create_pick_wave(SYSTEM, services.PickWaveDraft(site.warehouse.pk))
    assert set(wave.transfers.values_list("pk", flat=True)) == {first.pk, second.pk}
    nut_line = MoveLine.objects.get(move__transfer=second)
    bolt_lines = list(MoveLine.objects.filter(move__transfer=first).order_by("pk"))
    picked = [services.PickedLine(line.pk, line.quantity) for line in bolt_lines]
    picked.append(services.PickedLine(nut_line.pk, D(2)))  # one short
    done = services.complete_picking(SYSTEM, wave.pk, picked)
    assert (done.state, done.done_at is not None) == (PickWaveState.DONE, True)
    assert Transfer.objects.get(pk=first.pk).state == "done"
    assert Transfer.objects.get(pk=second.pk).state == "done"
    backorder = Transfer.objects.get(backorder_of=second)
    assert backorder.moves.get().quantity == 1
    assert backorder.state == "assigned"
    assert Quant.objects.get(product=nut, location=site.customer).quantity == 2
    assert Quant.objects.get(product=bolt, location=site.customer).quantity == 7
    assert run_checks()[1] == []
    # The backorder is ready again: a new wave may take it.
    again = services.create_pick_wave(SYSTEM, services.PickWaveDraft(site.warehouse.pk))
    assert list(again.transfers.values_list("pk", flat=True)) == [backorder.pk]


def test_a_wave_refuses_what_cannot_be_picked_and_writes_nothing(site, stocked):
    bolt = stocked["bolt"]
    ready = reserved(site.deliver(bolt, "2"))
    waiting = site.deliver(bolt, "1")  # confirmed, nothing reserved
    receipt = site.transfer("receipt", site.supplier, site.stock, [(bolt, "1", "1")])
    services.create_pick_wave(SYSTEM, services.PickWaveDraft(site.warehouse.pk, [ready.pk]))
    before = everything()
    with pytest.raises(DomainError) as refused:
        services.create_pick_wave(
            SYSTEM,
            services.PickWaveDraft(site.warehouse.pk, [ready.pk, waiting.pk, receipt.pk, 999999]),
        )
    assert set(refused.value.fields) == {
        "transfers[0]",
        "transfers[1]",
        "transfers[2]",
        "transfers[3]",
    }
    assert "already in an open wave" in refused.value.fields["transfers[0]"][0]
    assert "no reserved stock" in refused.value.fields["transfers[1]"][0]
    assert "not a delivery or a pick" in refused.value.fields["transfers[2]"][0]
    with pytest.raises(DomainError, match=r"No transfer .* is ready"):
        services.create_pick_wave(SYSTEM, services.PickWaveDraft(site.warehouse.pk))
    assert everything() == before


def test_picking_more_than_a_line_holds_is_refused_and_nothing_moves(site, stocked):
    delivery = reserved(site.deliver(stocked["nut"], "3"))
    wave = services.create_pick_wave(SYSTEM, services.PickWaveDraft(site.warehouse.pk))
    line = MoveLine.objects.get(move__transfer=delivery)
    before = everything()
    with pytest.raises(DomainError) as refused:
        services.complete_picking(SYSTEM, wave.pk, [services.PickedLine(line.pk, D(4))])
    assert refused.value.fields == {"lines[0].quantity": ["Only 3 reserved on this line."]}
    assert everything() == before
    services.cancel_pick_wave(SYSTEM, wave.pk)
    with pytest.raises(ConflictError):
        services.complete_picking(SYSTEM, wave.pk)


def test_waves_by_carrier_and_date_take_the_pick_step_of_a_multi_step_warehouse(site, stocked):
    update_warehouse(SYSTEM, site.warehouse.pk, {"delivery_steps": 3})
    bolt = stocked["bolt"]
    late = datetime.datetime(2031, 1, 10, 9, tzinfo=datetime.UTC)
    dhl = reserved(site.deliver(bolt, "2"))
    ups = reserved(site.deliver(bolt, "1"))
    later = reserved(site.deliver(bolt, "1", scheduled_at=late))
    for transfer, carrier in ((dhl, "DHL"), (ups, "UPS"), (later, "DHL")):
        services.plan_shipment(SYSTEM, transfer.pk, carrier, "express")
    assert dhl.kind == "internal"  # the pick step
    wave = services.create_pick_wave(
        SYSTEM,
        services.PickWaveDraft(
            site.warehouse.pk, carrier="dhl", scheduled_until=datetime.date(2030, 12, 31)
        ),
    )
    assert list(wave.transfers.values_list("pk", flat=True)) == [dhl.pk]
    services.complete_picking(SYSTEM, wave.pk)
    pack_step = Transfer.objects.get(previous_step=dhl)
    assert pack_step.state == "assigned"  # the next step, reserved in the packing zone
    packages = services.pack(
        SYSTEM,
        pack_step.pk,
        [services.PackageDraft(D("1.25"), [services.PackedItem(bolt.pk, D(2))])],
    )
    services.validate_transfer(SYSTEM, pack_step.pk)
    delivery = Transfer.objects.get(previous_step=pack_step)
    shipment = services.ship(SYSTEM, delivery.pk, "DHL", "JD0001")
    assert Transfer.objects.get(pk=delivery.pk).state == "done"
    pdf = delivery_note_pdf(delivery, compress=False, fonts=Path("/nonexistent"))
    assert packages[0].number.encode() in pdf
    assert b"JD0001" in pdf
    assert b"1.25" in pdf
    assert shipment.carrier == "DHL"


def test_packing_refuses_more_than_the_transfer_carries_and_writes_nothing(site, stocked):
    bolt, nut = stocked["bolt"], stocked["nut"]
    delivery = reserved(site.deliver(bolt, "4"))
    first = services.pack(
        SYSTEM,
        delivery.pk,
        [
            services.PackageDraft(
                D("2.500"),
                [services.PackedItem(bolt.pk, D(3))],
                length=D("40"),
                width=D("30"),
                height=D("20.5"),
            )
        ],
    )
    assert first[0].number.startswith("PKG")
    assert first[0].weight == D("2.5")
    before = everything()
    with pytest.raises(DomainError) as refused:
        services.pack(
            SYSTEM,
            delivery.pk,
            [services.PackageDraft(D(1), [services.PackedItem(bolt.pk, D(2))])],
        )
    assert list(refused.value.fields) == ["packages[0].contents[0].quantity"]
    assert "carries 4" in refused.value.message
    with pytest.raises(DomainError) as refused:
        services.pack(
            SYSTEM,
            delivery.pk,
            [
                services.PackageDraft(D("0.0005"), [services.PackedItem(nut.pk, D(1))]),
                services.PackageDraft(D(1), [], number=first[0].number),
            ],
        )
    assert set(refused.value.fields) == {
        "packages[0].weight",
        "packages[1].contents",
        "packages[1].number",
    }
    with pytest.raises(DomainError) as refused:
        services.pack(
            SYSTEM, delivery.pk, [services.PackageDraft(D(1), [services.PackedItem(nut.pk, D(1))])]
        )
    assert list(refused.value.fields) == ["packages[0].contents[0].quantity"]
    assert everything() == before
    services.pack(
        SYSTEM,
        delivery.pk,
        [services.PackageDraft(D("0.75"), [services.PackedItem(bolt.pk, D(1))], number="BOX-2")],
    )
    assert Package.objects.get(number="BOX-2").contents.get().quantity == 1


def test_packing_checks_lots(site):
    wine = factories.product(sku="WINE", tracking="lot")
    site.receive(wine, "3", cost="1", lot="L1")
    site.receive(wine, "3", cost="1", lot="L2")
    delivery = site.deliver(wine, "4")
    delivery = reserved(delivery)
    carried = dict(
        MoveLine.objects.filter(move__transfer=delivery).values_list("lot__name", "quantity")
    )
    assert carried == {"L1": D(3), "L2": D(1)}
    with pytest.raises(DomainError) as refused:
        services.pack(
            SYSTEM,
            delivery.pk,
            [services.PackageDraft(D(1), [services.PackedItem(wine.pk, D(2), "L2")])],
        )
    assert "in this lot" in refused.value.message
    with pytest.raises(DomainError, match="Unknown lot"):
        services.pack(
            SYSTEM,
            delivery.pk,
            [services.PackageDraft(D(1), [services.PackedItem(wine.pk, D(1), "NOPE")])],
        )
    services.pack(
        SYSTEM,
        delivery.pk,
        [services.PackageDraft(D(1), [services.PackedItem(wine.pk, D(3), "L1")])],
    )


def test_shipping_validates_the_delivery_records_the_shipment_and_tells_the_customer(site, stocked):
    seen = []
    handler = events.subscribe(ShipmentShipped)(seen.append)
    try:
        customer = factories.partner(site.company, name="Müller GmbH")
        delivery = reserved(site.deliver(stocked["bolt"], "6", partner_id=customer.pk))
        shipment = services.ship(SYSTEM, delivery.pk, "DHL", "00340434161094042557",
                                 service_level="Express")  # fmt: skip
    finally:
        events.unsubscribe(ShipmentShipped, handler)
    assert Transfer.objects.get(pk=delivery.pk).state == "done"
    assert Quant.objects.get(product=stocked["bolt"], location=site.customer).quantity == 6
    assert (shipment.carrier, shipment.service_level, shipment.tracking_number) == (
        "DHL",
        "Express",
        "00340434161094042557",
    )
    assert shipment.shipped_at is not None
    assert [e.name for e in seen] == ["inventory.shipment.shipped"]
    stored = OutboxEvent.objects.get(name="inventory.shipment.shipped")
    assert stored.company_id == site.company.pk
    assert stored.payload["partner_id"] == customer.pk
    assert stored.payload["tracking_number"] == "00340434161094042557"
    assert stored.payload["reference"] == delivery.reference
    with pytest.raises(ConflictError):
        services.ship(SYSTEM, delivery.pk, "DHL", "ANOTHER")


def test_shipping_more_than_reserved_is_refused_naming_the_field_and_writes_nothing(site, stocked):
    delivery = site.deliver(stocked["nut"], "10")
    delivery = reserved(delivery)  # 8 in stock: 8 reserved of 10
    move = delivery.moves.get()
    before = everything()
    with pytest.raises(DomainError) as refused:
        services.ship(SYSTEM, delivery.pk, "UPS", "1Z999", done=[services.DoneLine(move.pk, D(9))])
    assert refused.value.fields == {"lines[0].quantity": ["Only 8 reserved; 9 cannot ship."]}
    assert refused.value.message.startswith("lines[0].quantity:")
    with pytest.raises(DomainError) as refused:
        services.ship(SYSTEM, delivery.pk, " ", "")
    assert set(refused.value.fields) == {"carrier", "tracking_number"}
    assert everything() == before
    services.ship(SYSTEM, delivery.pk, "UPS", "1Z999", done=[services.DoneLine(move.pk, D(5))])
    backorder = Transfer.objects.get(backorder_of=delivery)
    assert backorder.moves.get().quantity == 5  # 3 still reserved, 2 waiting for stock
    with pytest.raises(DomainError) as refused:
        services.ship(SYSTEM, backorder.pk, "UPS", "1Z999")
    assert list(refused.value.fields) == ["tracking_number"]  # already used by that carrier


def test_nothing_reserved_cannot_ship(site, stocked):
    empty = site.deliver(factories.product(), "1")
    receipt = site.transfer("receipt", site.supplier, site.stock, [(stocked["nut"], "1", "1")])
    before = everything()
    with pytest.raises(DomainError, match=r"Nothing of .* is reserved"):
        services.ship(SYSTEM, empty.pk, "UPS", "1Z1")
    with pytest.raises(ConflictError, match="not a delivery"):
        services.ship(SYSTEM, receipt.pk, "UPS", "1Z1")
    assert everything() == before


def test_a_warehouse_operator_of_another_company_may_not_wave_pack_or_ship(
    site, stocked, company_b
):
    outsider = Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_b]))
    sales = Actor.of(factories.user(Role.SALES_REP, companies=[site.company]))
    delivery = reserved(site.deliver(stocked["nut"], "1"))
    for actor in (outsider, sales):
        with pytest.raises(PermissionDeniedError):
            services.create_pick_wave(actor, services.PickWaveDraft(site.warehouse.pk))
        with pytest.raises(PermissionDeniedError):
            services.pack(
                actor,
                delivery.pk,
                [services.PackageDraft(D(1), [services.PackedItem(stocked["nut"].pk, D(1))])],
            )
        with pytest.raises(PermissionDeniedError):
            services.ship(actor, delivery.pk, "UPS", "1Z5")
    operator = Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[site.company]))
    wave = services.create_pick_wave(operator, services.PickWaveDraft(site.warehouse.pk))
    services.complete_picking(operator, wave.pk)
    assert Transfer.objects.get(pk=delivery.pk).state == "done"


def _page_text(pdf: bytes) -> bytes:
    """The uncompressed content of every page stream (the PDF structure parsed)."""
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\s+(\d+)", pdf)[1])
    assert pdf[startxref:].startswith(b"xref")  # the cross-reference table is where it says
    streams = re.findall(rb"<<(.*?)>>\s*stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    text = b""
    for header, body in streams:
        if b"/FlateDecode" in header and b"/Length1" not in header:  # not the embedded font
            text += zlib.decompress(body)
        elif b"/Filter" not in header:
            text += body
    return text


def test_the_delivery_note_pdf_parses_and_shows_reference_lines_packages_and_tracking(
    site, stocked
):
    customer = factories.partner(site.company, name="Müller GmbH")
    PartnerAddress.objects.create(
        partner=customer, kind="shipping", street="Hafenstraße 1", city="Bremen",
        postal_code="28195", country="DE", is_default=True,
    )  # fmt: skip
    wine = factories.product(sku="WINE-RED", tracking="lot", name="Red wine")
    site.receive(wine, "6", cost="1", lot="LOT-77")
    delivery = site.transfer(
        "delivery",
        site.stock,
        site.customer,
        [(wine, "6", None), (stocked["bolt"], "2", None)],
        partner_id=customer.pk,
    )
    delivery = reserved(delivery)
    services.pack(
        SYSTEM,
        delivery.pk,
        [
            services.PackageDraft(D("4.200"), [services.PackedItem(wine.pk, D(6), "LOT-77")],
                                  number="PARCEL-1"),
            services.PackageDraft(D("0.35"), [services.PackedItem(stocked["bolt"].pk, D(2))],
                                  number="PARCEL-2"),
        ],
    )  # fmt: skip
    services.ship(SYSTEM, delivery.pk, "DHL", "JJD000390007", service_level="Parcel")
    transfer = Transfer.objects.select_related("company", "warehouse", "partner").get(
        pk=delivery.pk
    )
    served = delivery_note_pdf(transfer)  # Unicode font, compressed: as the API serves it
    assert b"DejaVu" in served
    assert _page_text(served)
    # With the core font the text is latin-1 in the (compressed) page stream: parse and read it.
    text = _page_text(delivery_note_pdf(transfer, fonts=Path("/nonexistent")))
    for expected in (transfer.reference, "WINE-RED", "LOT-77", "PARCEL-1", "PARCEL-2", "4.2",
                     "0.35", "Total weight", "4.55", "JJD000390007", "DHL", "Parcel",
                     "Müller GmbH", "Hafenstraße 1", "28195 Bremen"):  # fmt: skip
        assert expected.encode("latin-1") in text, expected
