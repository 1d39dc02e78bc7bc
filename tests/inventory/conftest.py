"""Inventory fixtures: a warehouse with bins and helpers to receive and deliver."""

from decimal import Decimal

import pytest

from crossdock.core.context import Actor
from crossdock.core.records import create_record
from crossdock.inventory import services
from crossdock.inventory.models import TransferKind
from crossdock.masterdata.models import Location, LocationKind
from crossdock.masterdata.services import warehouse_location

SYSTEM = Actor.system("tests")


class Site:
    def __init__(self, warehouse):
        self.warehouse = warehouse
        self.company = warehouse.company
        self.stock = warehouse_location(warehouse, LocationKind.RESERVE)
        self.qc = warehouse_location(warehouse, LocationKind.QUALITY_HOLD)
        self.supplier = Location.objects.get(company=self.company, kind="supplier")
        self.customer = Location.objects.get(company=self.company, kind="customer")
        self.loss = Location.objects.get(company=self.company, kind="inventory_loss")

    def bin(self, code, sequence=0):
        return create_record(
            SYSTEM,
            Location,
            {
                "company": self.company,
                "warehouse": self.warehouse,
                "parent": self.stock,
                "code": code,
                "name": code,
                "kind": "reserve",
                "pick_sequence": sequence,
            },
        )

    def transfer(self, kind, source, destination, lines, **extra):
        draft = services.TransferDraft(
            warehouse_id=self.warehouse.pk,
            kind=kind,
            source_id=source.pk,
            destination_id=destination.pk,
            lines=[
                services.LineDraft(p.pk, Decimal(q), unit_cost=(Decimal(c) if c else None))
                for p, q, c in lines
            ],
            **extra,
        )
        transfer = services.create_transfer(SYSTEM, draft)
        return services.confirm_transfer(SYSTEM, transfer.pk)

    def receive(self, product, quantity, cost=None, into=None, lot="", expires_on=None):
        transfer = self.transfer(
            TransferKind.RECEIPT, self.supplier, into or self.stock, [(product, quantity, cost)]
        )
        move = transfer.moves.get()
        done = [services.DoneLine(move.pk, Decimal(quantity), lot, expires_on)] if lot else None
        return services.validate_transfer(SYSTEM, transfer.pk, done)

    def deliver(self, product, quantity, source=None, **extra):
        return self.transfer(
            TransferKind.DELIVERY,
            source or self.stock,
            self.customer,
            [(product, quantity, None)],
            **extra,
        )


@pytest.fixture
def site(warehouse_a):
    return Site(warehouse_a)
