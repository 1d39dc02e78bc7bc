"""Property test: any sequence of receipts, moves, reservations, deliveries, cancellations,
returns, scrap and cycle counts (started, then submitted while other work happens) keeps quants
equal to the moves, never negative, and reserved within on hand."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.core.checks import run_checks
from crossdock.core.errors import DomainError
from crossdock.inventory import services
from crossdock.inventory.models import CountLine, CountSheet, Quant, Transfer
from crossdock.inventory.services import counts
from tests import factories
from tests.inventory.conftest import SYSTEM

operation = st.one_of(
    st.tuples(st.just("receive"), st.integers(0, 1), st.integers(1, 9), st.integers(0, 1)),
    st.tuples(st.just("deliver"), st.integers(0, 1), st.integers(1, 9), st.integers(0, 1)),
    st.tuples(st.just("move"), st.integers(0, 1), st.integers(1, 9), st.integers(0, 1)),
    st.tuples(st.just("reserve"), st.integers(0, 1), st.integers(1, 9), st.integers(0, 1)),
    st.tuples(st.just("cancel"), st.integers(0, 1), st.integers(1, 9), st.integers(0, 1)),
    st.tuples(st.just("partial"), st.integers(0, 1), st.integers(1, 9), st.integers(0, 1)),
    st.tuples(st.just("count"), st.integers(0, 1), st.integers(1, 9), st.integers(0, 1)),
    st.tuples(st.just("return"), st.integers(0, 1), st.integers(1, 9), st.integers(0, 1)),
    st.tuples(st.just("scrap"), st.integers(0, 1), st.integers(1, 9), st.integers(0, 1)),
)


def _count(site, sheet, product, location, offset):
    """Open a count of ``location``; or count the open sheet (on hand + offset) and submit it."""
    if sheet is None:
        draft = counts.CountDraft(site.warehouse.pk, "locations", [location.pk])
        return counts.start_count(SYSTEM, counts.create_count(SYSTEM, draft).pk)
    keys = set(CountLine.objects.filter(sheet=sheet).values_list("product_id", "location_id"))
    keys.add((product.pk, sheet.locations.get().pk))
    entries = []
    for product_id, location_id in sorted(keys):
        quant = Quant.objects.filter(product_id=product_id, location_id=location_id).first()
        on_hand = quant.quantity if quant else Decimal(0)
        entries.append(
            counts.CountEntry(product_id, location_id, max(Decimal(0), on_hand + offset))
        )
    counts.record_counts(SYSTEM, sheet.pk, entries)
    counts.submit_count(SYSTEM, sheet.pk)
    return None


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=14))
def test_quants_always_equal_the_moves(site, operations):
    products = [
        factories.product(costing_method="fifo"),
        factories.product(costing_method="average"),
    ]
    bins = [site.stock, site.bin(factories.next_code("B"))]
    open_deliveries: list[Transfer] = []
    sheet: CountSheet | None = None
    done: list[Transfer] = []  # receipts and deliveries that can be returned
    for kind, p, quantity, b in operations:
        product, location = products[p], bins[b]
        amount = str(quantity)
        try:
            if kind == "receive":
                done.append(site.receive(product, amount, cost="1.25", into=location))
            elif kind == "deliver":
                done.append(
                    services.validate_transfer(
                        SYSTEM, site.deliver(product, amount, source=location).pk
                    )
                )
            elif kind == "return" and done:
                original = done[quantity % len(done)]
                move = original.moves.first()
                returned = services.return_transfer(
                    SYSTEM,
                    original.pk,
                    [services.ReturnLine(move.pk, Decimal(1 + quantity % 3))],
                    location_id=location.pk,
                )
                services.validate_transfer(SYSTEM, returned.pk)
            elif kind == "scrap":
                services.scrap_stock(
                    SYSTEM,
                    services.ScrapDraft(
                        site.warehouse.pk,
                        [services.ScrapLine(product.pk, location.pk, Decimal(amount))],
                        "Broken",
                    ),
                )
            elif kind == "move":
                transfer = site.transfer(
                    "internal", location, bins[1 - b], [(product, amount, None)]
                )
                services.validate_transfer(SYSTEM, transfer.pk)
            elif kind == "reserve":
                delivery = site.deliver(product, amount)
                services.reserve_moves(SYSTEM, delivery.moves.values_list("pk", flat=True))
                open_deliveries.append(delivery)
            elif kind == "cancel" and open_deliveries:
                services.cancel_transfer(SYSTEM, open_deliveries.pop().pk)
            elif kind == "partial" and open_deliveries:
                delivery = open_deliveries.pop()
                move = delivery.moves.get()
                services.validate_transfer(
                    SYSTEM, delivery.pk, [services.DoneLine(move.pk, Decimal(1))]
                )
            elif kind == "count":
                sheet = _count(site, sheet, product, location, Decimal(quantity - 5))
        except DomainError:
            if kind == "count" and sheet is not None:  # a refused submit leaves it counting
                assert CountSheet.objects.get(pk=sheet.pk).state == "counting"
                counts.cancel_count(SYSTEM, sheet.pk)
                sheet = None
        for quant in Quant.objects.filter(location__warehouse__isnull=False):
            assert quant.quantity >= 0
            assert 0 <= quant.reserved <= quant.quantity
        _, findings = run_checks()
        assert findings == [], findings
