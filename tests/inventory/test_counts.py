"""Cycle counts: worked examples with exact numbers, counting while the warehouse works,
differences booked through the adjustment approvals, ABC classes, and bad input that writes
nothing."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from crossdock.approvals import policies
from crossdock.approvals import services as approvals
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, SegregationOfDutiesError
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.inventory import selectors, services
from crossdock.inventory.models import CountLine, CountSheet, Lot, Quant, Transfer
from crossdock.inventory.services.adjustments import STOCK_ADJUSTMENT
from crossdock.inventory.services.counts import (
    CountDraft,
    CountEntry,
    cancel_count,
    create_count,
    record_counts,
    start_count,
    submit_count,
)
from tests import factories
from tests.inventory.conftest import SYSTEM

SHOWS_37 = re.compile(r"(?<![\w.:-])37(?:\.0+)?(?![\w:-])")  # not a time such as 15:37

D = Decimal


@pytest.fixture
def staff(company_a):
    """An operator who counts, a manager who approves above 1,000 (the adjustment policy)."""
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a], username="op")
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a], username="wm")
    policy = policies.save_policy(
        SYSTEM,
        PolicyDraft(
            company_a.pk,
            STOCK_ADJUSTMENT,
            "Adjustments above 1,000",
            {"field": "amount", "op": ">", "value": "1000"},
            [LevelDraft(name="Warehouse manager", rule="role", role="warehouse-manager")],
        ),
    )
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    return Actor.of(operator), Actor.of(manager)


def on_hand(product: Any, location: Any, lot: Any = None) -> Decimal:
    quant = Quant.objects.filter(product=product, location=location, lot=lot).first()
    return quant.quantity if quant else D(0)


def count_of(site: Any, actor: Actor, *locations: Any, blind: bool = False) -> CountSheet:
    sheet = create_count(
        actor,
        CountDraft(site.warehouse.pk, "locations", [loc.pk for loc in locations], blind=blind),
    )
    return start_count(actor, sheet.pk)


def lines_of(sheet: CountSheet) -> dict[tuple[str, str], CountLine]:
    return {
        (ln.product.sku, ln.location.path): ln
        for ln in CountLine.objects.filter(sheet=sheet).select_related("product", "location")
    }


def test_count_during_operations_books_only_the_real_difference(site, staff):
    """Snapshot 10; 3 picked during the count; 6 found: the difference is −1, not −4."""
    operator, _ = staff
    bin_1 = site.bin("B1")
    bolts = factories.product("BOLT", standard_cost=D("5"))
    nuts = factories.product("NUT", standard_cost=D("2"))
    site.receive(bolts, "10", cost="5", into=bin_1)
    site.receive(nuts, "4", cost="2", into=bin_1)
    sheet = count_of(site, operator, bin_1)
    assert sheet.state == "counting"
    lines = lines_of(sheet)
    assert {k: ln.expected for k, ln in lines.items()} == {
        ("BOLT", bin_1.path): D(10),
        ("NUT", bin_1.path): D(4),
    }

    services.validate_transfer(SYSTEM, site.deliver(bolts, "3", source=bin_1).pk)
    site.receive(nuts, "2", cost="2", into=bin_1)
    record_counts(
        operator,
        sheet.pk,
        [CountEntry(bolts.pk, bin_1.pk, D(6)), CountEntry(nuts.pk, bin_1.pk, D(6))],
    )
    sheet = submit_count(operator, sheet.pk)

    lines = lines_of(sheet)
    bolt_line, nut_line = lines[("BOLT", bin_1.path)], lines[("NUT", bin_1.path)]
    assert (bolt_line.expected, bolt_line.moved, bolt_line.counted, bolt_line.difference) == (
        D(10),
        D(-3),
        D(6),
        D(-1),
    )
    assert (nut_line.expected, nut_line.moved, nut_line.counted, nut_line.difference) == (
        D(4),
        D(2),
        D(6),
        D(0),
    )
    # 1 × 5.00 is under the threshold: processed at once, the sheet is done.
    assert sheet.state == "done"
    adjustment = Transfer.objects.get(pk=sheet.adjustment_id)
    assert adjustment.state == "done"
    assert adjustment.origin == f"Cycle count {sheet.reference}"
    assert list(adjustment.moves.values_list("product__sku", "quantity", "source_id")) == [
        ("BOLT", D(1), bin_1.pk)
    ]
    assert on_hand(bolts, bin_1) == 6
    assert on_hand(nuts, bin_1) == 6
    actions = list(
        AuditEntry.objects.filter(object_type="inventory.countsheet", object_id=str(sheet.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "inventory.count.create",
        "inventory.count.start",
        "inventory.count.record",
        "inventory.count.submit",
    ]


def test_large_difference_waits_for_the_manager_and_the_counter_cannot_approve(site, staff):
    operator, manager = staff
    bin_1 = site.bin("B1")
    motor = factories.product("MOTOR", standard_cost=D("400"))
    site.receive(motor, "10", cost="400", into=bin_1)
    sheet = count_of(site, operator, bin_1)
    record_counts(operator, sheet.pk, [CountEntry(motor.pk, bin_1.pk, D(6))])
    sheet = submit_count(operator, sheet.pk)

    assert sheet.state == "submitted"  # 4 × 400 = 1,600 waits
    adjustment = Transfer.objects.get(pk=sheet.adjustment_id)
    assert adjustment.state == "approval"
    assert on_hand(motor, bin_1) == 10
    request = approvals.request_for(STOCK_ADJUSTMENT, adjustment.pk)
    assert request.facts["amount"] == "1600.00"
    with pytest.raises(SegregationOfDutiesError):
        approvals.decide(operator, request.pk, approve=True)
    approvals.decide(manager, request.pk, approve=True, comment="Recounted: 6")
    sheet.refresh_from_db()
    assert sheet.state == "done"
    assert sheet.closed_at is not None
    assert on_hand(motor, bin_1) == 6


def test_rejected_difference_leaves_stock_and_the_sheet_can_be_cancelled(site, staff):
    operator, manager = staff
    bin_1 = site.bin("B1")
    motor = factories.product(standard_cost=D("400"))
    site.receive(motor, "10", cost="400", into=bin_1)
    sheet = count_of(site, operator, bin_1)
    record_counts(operator, sheet.pk, [CountEntry(motor.pk, bin_1.pk, D(14))])
    sheet = submit_count(operator, sheet.pk)
    request = approvals.request_for(STOCK_ADJUSTMENT, sheet.adjustment_id)
    approvals.decide(manager, request.pk, approve=False, comment="Count again")
    sheet.refresh_from_db()
    assert sheet.state == "submitted"
    assert on_hand(motor, bin_1) == 10
    assert cancel_count(operator, sheet.pk).state == "cancelled"


def test_no_difference_closes_without_an_adjustment(site, staff):
    operator, _ = staff
    bin_1 = site.bin("B1")
    bolts = factories.product()
    site.receive(bolts, "7", cost="1", into=bin_1)
    sheet = count_of(site, operator, bin_1)
    record_counts(operator, sheet.pk, [CountEntry(bolts.pk, bin_1.pk, D(7))])
    sheet = submit_count(operator, sheet.pk)
    assert (sheet.state, sheet.adjustment_id) == ("done", None)
    assert not Transfer.objects.filter(kind="adjustment").exists()


def test_a_location_counts_its_children_and_found_products_add_lines(site, staff):
    """Counting STOCK covers the bins below it; a product found that was not expected is a gain."""
    operator, _ = staff
    bin_1 = site.bin("B1")
    bolts, found = factories.product("BOLT"), factories.product("FOUND")
    site.receive(bolts, "5", cost="1", into=bin_1)
    sheet = count_of(site, operator, site.stock)
    assert set(lines_of(sheet)) == {("BOLT", bin_1.path)}
    record_counts(
        operator,
        sheet.pk,
        [
            CountEntry(bolts.pk, bin_1.pk, D(2)),
            CountEntry(bolts.pk, bin_1.pk, D(3), add=True),  # a second scan adds
            CountEntry(found.pk, site.stock.pk, D(2)),
        ],
    )
    lines = lines_of(sheet)
    assert lines[("BOLT", bin_1.path)].counted == 5
    added = lines[("FOUND", site.stock.path)]
    assert (added.added, added.expected, added.counted) == (True, D(0), D(2))
    sheet = submit_count(operator, sheet.pk)
    assert sheet.state == "done"
    assert on_hand(found, site.stock) == 2
    assert on_hand(bolts, bin_1) == 5


def test_a_found_line_expects_what_was_there_at_the_start(site, staff):
    """Stock received after the start into a product not on the sheet is no difference."""
    operator, _ = staff
    bin_1 = site.bin("B1")
    site.receive(factories.product(), "1", cost="1", into=bin_1)
    late = factories.product("LATE")
    sheet = count_of(site, operator, bin_1)
    site.receive(late, "3", cost="1", into=bin_1)
    first = CountLine.objects.get(sheet=sheet)
    record_counts(
        operator,
        sheet.pk,
        [CountEntry(first.product_id, bin_1.pk, D(1)), CountEntry(late.pk, bin_1.pk, D(3))],
    )
    sheet = submit_count(operator, sheet.pk)
    line = lines_of(sheet)[("LATE", bin_1.path)]
    assert (line.expected, line.moved, line.difference) == (D(0), D(3), D(0))
    assert sheet.adjustment_id is None


def test_lots_are_counted_per_lot_and_a_gain_of_a_lot_is_booked(site, staff):
    operator, _ = staff
    bin_1 = site.bin("B1")
    cheese = factories.product("CHEESE", tracking="lot", standard_cost=D("3"))
    site.receive(cheese, "5", cost="3", into=bin_1, lot="L-1")
    site.receive(cheese, "4", cost="3", into=bin_1, lot="L-2")
    l1, l2 = Lot.objects.get(name="L-1"), Lot.objects.get(name="L-2")
    sheet = count_of(site, operator, bin_1)
    assert sorted(CountLine.objects.filter(sheet=sheet).values_list("lot__name", "expected")) == [
        ("L-1", D(5)),
        ("L-2", D(4)),
    ]
    record_counts(
        operator,
        sheet.pk,
        [
            CountEntry(cheese.pk, bin_1.pk, D(6), "L-1"),
            CountEntry(cheese.pk, bin_1.pk, D(3), "L-2"),
        ],
    )
    sheet = submit_count(operator, sheet.pk)
    assert sheet.state == "done"
    assert (on_hand(cheese, bin_1, l1), on_hand(cheese, bin_1, l2)) == (D(6), D(3))


def test_abc_classes_split_the_stock_value_80_15_5(site):
    """Values 500, 300, 150, 40, 10 of 1,000: A holds 80%, B the next 15%, C the rest."""
    products = []
    for index, (quantity, cost) in enumerate(
        [("50", "10"), ("30", "10"), ("15", "10"), ("4", "10"), ("1", "10")]
    ):
        product = factories.product(f"ABC-{index}", standard_cost=D(cost))
        site.receive(product, quantity, cost=cost)
        products.append(product)
    nothing = factories.product("ABC-FREE", standard_cost=D(0))
    site.receive(nothing, "100")
    classes = selectors.abc_classes(site.warehouse.pk)
    assert [classes[p.pk] for p in products] == ["A", "A", "B", "C", "C"]
    assert classes[nothing.pk] == "C"


def test_a_count_by_abc_class_snapshots_only_that_class(site, staff):
    operator, _ = staff
    bin_1 = site.bin("B1")
    gold = factories.product("GOLD", standard_cost=D("100"))
    sand = factories.product("SAND", standard_cost=D("1"))
    site.receive(gold, "10", cost="100", into=bin_1)
    site.receive(gold, "2", cost="100")
    site.receive(sand, "5", cost="1", into=bin_1)
    sheet = create_count(operator, CountDraft(site.warehouse.pk, "abc", abc_class="A"))
    sheet = start_count(operator, sheet.pk)
    assert sorted(lines_of(sheet)) == [("GOLD", site.stock.path), ("GOLD", bin_1.path)]
    assert sheet.reference == f"{site.warehouse.code}/CNT/000001"


def snapshot_of_counts() -> tuple[Any, ...]:
    return (
        CountSheet.objects.count(),
        list(CountSheet.objects.order_by("pk").values_list("state", "version")),
        list(CountLine.objects.order_by("pk").values_list("counted", "counted_at", "difference")),
        Transfer.objects.count(),
        list(Quant.objects.order_by("pk").values_list("quantity", "reserved")),
        AuditEntry.objects.count(),
    )


def test_bad_counts_are_refused_naming_each_entry_and_write_nothing(site, staff, warehouse_b):
    operator, _ = staff
    bin_1, bin_2 = site.bin("B1"), site.bin("B2")
    kilos = factories.product("KILO", tracking="lot")
    bolts = factories.product("BOLT")
    site.receive(kilos, "5", cost="1", into=bin_1, lot="L-1")
    site.receive(bolts, "5", cost="1", into=bin_1)
    sheet = count_of(site, operator, bin_1)
    before = snapshot_of_counts()
    with pytest.raises(DomainError) as error:
        record_counts(
            operator,
            sheet.pk,
            [
                CountEntry(kilos.pk, bin_1.pk, D(5), "NO-SUCH-LOT"),
                CountEntry(bolts.pk, bin_1.pk, D("0.5")),
                CountEntry(bolts.pk, bin_2.pk, D(1)),
                CountEntry(bolts.pk, bin_1.pk, D(-1)),
                CountEntry(kilos.pk, bin_1.pk, D(5)),
                CountEntry(bolts.pk, bin_1.pk, D(1), "L-1"),
            ],
        )
    assert error.value.fields == {
        "entries[0].lot": [f"Unknown lot 'NO-SUCH-LOT' of {kilos.sku}."],
        "entries[1].quantity": ["H87 allows at most 0 decimal places."],
        "entries[2].location": [f"Not a stock location counted on {sheet.reference}."],
        "entries[3].quantity": ["A counted quantity cannot be negative."],
        "entries[4].lot": [f"{kilos.sku} is tracked by lot; give the lot."],
        "entries[5].lot": [f"{bolts.sku} is not tracked by lot or serial."],
    }
    assert str(error.value).startswith("entries[0].lot: Unknown lot")
    assert snapshot_of_counts() == before


def test_state_rules_and_bad_sheets(site, staff, warehouse_b):
    operator, _ = staff
    bin_1 = site.bin("B1")
    bolts = factories.product()
    site.receive(bolts, "5", cost="1", into=bin_1)
    other = factories.product()
    with pytest.raises(DomainError) as error:
        create_count(operator, CountDraft(site.warehouse.pk, "locations", []))
    assert set(error.value.fields) == {"locations"}
    foreign = factories.warehouse(site.company, "A-OTHER")
    from tests.inventory.conftest import Site

    with pytest.raises(DomainError) as error:
        create_count(
            operator, CountDraft(site.warehouse.pk, "locations", [Site(foreign).stock.pk], "A")
        )
    assert set(error.value.fields) == {"locations[0]", "abc_class"}
    with pytest.raises(DomainError) as error:
        create_count(operator, CountDraft(site.warehouse.pk, "abc", abc_class="D"))
    assert set(error.value.fields) == {"abc_class"}
    assert not CountSheet.objects.exists()

    draft = create_count(operator, CountDraft(site.warehouse.pk, "locations", [bin_1.pk]))
    with pytest.raises(ConflictError):
        record_counts(operator, draft.pk, [CountEntry(bolts.pk, bin_1.pk, D(1))])
    with pytest.raises(ConflictError):
        submit_count(operator, draft.pk)
    sheet = start_count(operator, draft.pk)
    with pytest.raises(ConflictError):
        start_count(operator, sheet.pk)
    record_counts(operator, sheet.pk, [CountEntry(other.pk, bin_1.pk, D(0))])
    with pytest.raises(DomainError) as error:
        submit_count(operator, sheet.pk)  # the bolts are not counted
    assert error.value.fields == {"lines": ["1 of 2 lines are not counted yet."]}
    assert CountSheet.objects.get(pk=sheet.pk).state == "counting"
    assert cancel_count(operator, sheet.pk).state == "cancelled"
    with pytest.raises(ConflictError):
        cancel_count(operator, sheet.pk)


def test_roles_and_companies_decide_who_counts(site, company_b):
    bin_1 = site.bin("B1")
    seller = Actor.of(factories.user(Role.SALES_REP, companies=[site.company]))
    stranger = Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_b]))
    for actor in (seller, stranger):
        with pytest.raises(DomainError) as error:
            create_count(actor, CountDraft(site.warehouse.pk, "locations", [bin_1.pk]))
        assert error.value.status == 403
    assert not CountSheet.objects.exists()


def test_blind_sheets_show_expectations_only_once_submitted(site, staff):
    operator, _ = staff
    bin_1 = site.bin("B1")
    bolts = factories.product()
    site.receive(bolts, "5", cost="1", into=bin_1)
    sheet = count_of(site, operator, bin_1, blind=True)
    assert sheet.shows_expected is False
    record_counts(operator, sheet.pk, [CountEntry(bolts.pk, bin_1.pk, D(5))])
    assert CountSheet.objects.get(pk=sheet.pk).shows_expected is False
    assert submit_count(operator, sheet.pk).shows_expected is True
    open_sheet = count_of(site, operator, bin_1, blind=False)
    assert open_sheet.shows_expected is True


# -- the screens ------------------------------------------------------------------------------

GTIN = "09501101530003"


def test_plan_count_blind_by_scanning_then_see_the_differences(site, staff, company_a):
    from django.urls import reverse

    from crossdock.masterdata.models import ProductBarcode
    from tests.browser import client_for

    operator, _ = staff
    bin_1 = site.bin("B1")
    cheese = factories.product("CHEESE", tracking="lot", standard_cost=D("600"))
    ProductBarcode.objects.create(product=cheese, gtin=GTIN, unit=cheese.base_unit)
    site.receive(cheese, "37", cost="600", into=bin_1, lot="L-7")
    web = client_for(operator.user)

    page = web.get(reverse("inventory:count_list"))
    assert page.status_code == 200
    assert "New count" in page.content.decode()
    created = web.post(
        reverse("inventory:count_create"),
        {"warehouse": site.warehouse.pk, "scope": "locations", "locations": bin_1.path,
         "blind": "on"},
    )  # fmt: skip
    sheet = CountSheet.objects.get()
    assert created.status_code == 302
    assert created["Location"] == reverse("inventory:count_detail", args=[sheet.pk])
    web.post(reverse("inventory:count_action", args=[sheet.pk, "start"]))
    screen = web.get(reverse("inventory:count_screen", args=[sheet.pk]))
    assert screen.status_code == 200
    # blind: the expected quantity is not there (as a number; tokens may contain the digits)
    assert not SHOWS_37.search(screen.content.decode())

    htmx = {"HTTP_HX_REQUEST": "true"}
    scan = reverse("inventory:count_screen", args=[sheet.pk])
    located = web.post(scan, {"barcode": bin_1.path}, **htmx)
    assert f"Location {bin_1.path}" in located.content.decode()
    counted = web.post(scan, {"barcode": f"01{GTIN}10L-7\x1d3030"}, **htmx)
    assert "+30 CHEESE, L-7" in counted.content.decode()
    counted = web.post(scan, {"barcode": f"01{GTIN}10L-7", "quantity": "35"}, **htmx)
    assert "=35 CHEESE, L-7" in counted.content.decode()
    assert "35 counted" in counted.content.decode()
    detail = web.get(reverse("inventory:count_detail", args=[sheet.pk])).content.decode()
    assert not SHOWS_37.search(detail)
    refused = web.post(scan, {"barcode": f"01{GTIN}10L-404"}, **htmx)
    assert "Unknown lot" in refused.content.decode()
    assert CountLine.objects.get(sheet=sheet).counted == 35

    web.post(reverse("inventory:count_action", args=[sheet.pk, "submit"]))
    sheet.refresh_from_db()
    assert sheet.state == "submitted"  # 2 × 600 = 1,200 waits for the manager
    detail = web.get(reverse("inventory:count_detail", args=[sheet.pk])).content.decode()
    assert "Differences" in detail
    assert ">-2<" in detail
    assert reverse("inventory:transfer_detail", args=[sheet.adjustment_id]) in detail
    assert "approvals/requests/" in detail
