"""Landed costs and price differences to stock: worked examples with exact figures.

Every example receives and delivers with the inventory services, posts through
the accounting services and ends with every ``crossdock audit`` check clean.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.accounting.models import (
    JournalEntry,
    JournalLine,
    LandedCost,
    LandedCostLine,
    LandedCostState,
    LedgerSettings,
)
from crossdock.accounting.selectors import stock_reconciliation, trial_balance
from crossdock.accounting.services import PeriodLockedError, set_lock_date
from crossdock.accounting.services.landed import (
    LandedCostInput,
    allocate,
    cancel_landed_cost,
    create_landed_cost,
    post_landed_cost,
    update_landed_cost,
)
from crossdock.core.checks import run_checks
from crossdock.core.errors import ConflictError, DomainError
from crossdock.core.models import AuditEntry
from crossdock.inventory import services as inventory
from crossdock.inventory.models import CostPool, TransferKind, ValuationLayer
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal


def today() -> datetime.date:
    return timezone.localdate()


def balances(company) -> dict[str, Decimal]:
    return {r.account.code: r.balance for r in trial_balance(company.pk) if r.balance}


def lines_of(entry_id) -> list[tuple[str, Decimal, Decimal, int | None]]:
    return sorted(
        (line.account.code, line.debit, line.credit, line.product_id)
        for line in JournalLine.objects.filter(entry_id=entry_id).select_related("account")
    )


def assert_audit_clean() -> None:
    _names, findings = run_checks()
    assert findings == [], findings


def deliver(site, product, quantity):
    delivery = site.deliver(product, quantity)
    inventory.validate_transfer(SYSTEM, delivery.pk)
    return JournalEntry.objects.get(source_type="inventory.transfer", source_id=str(delivery.pk))


def landed(site, moves, amount, method="equally", **extra) -> LandedCost:
    return create_landed_cost(
        SYSTEM,
        LandedCostInput(
            company_id=site.company.pk,
            date=extra.pop("date", today()),
            description=extra.pop("description", "Sea freight"),
            amount=D(amount),
            split_method=method,
            move_ids=[m.pk for m in moves],
            **extra,
        ),
    )


def written() -> tuple[int, ...]:
    return (
        ValuationLayer.objects.count(),
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        LandedCost.objects.count(),
        LandedCostLine.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("method", ["fifo", "average"])
def test_landed_cost_after_part_was_sold(site, method):
    """In 10 @ 5.00, out 4 (20.00); landed 30.00 → 18.00 to stock, 12.00 to COGS; out 6 = 48.00."""
    product = factories.product(costing_method=method)
    receipt = site.receive(product, "10", cost="5.00").moves.get()
    deliver(site, product, "4")
    draft = landed(site, [receipt], "30.00")
    assert (draft.state, draft.number) == (LandedCostState.DRAFT, "")
    posted = post_landed_cost(SYSTEM, draft.pk)
    assert posted.state == LandedCostState.POSTED
    assert posted.number.startswith(f"STK/{today().year}/")
    assert list(posted.lines.values_list("move_id", "allocated", "on_hand", "sold")) == [
        (receipt.pk, D("30.00"), D("18.00"), D("12.00"))
    ]
    assert lines_of(posted.entry_id) == [
        ("1200", D("18.00"), D(0), product.pk),
        ("2150", D(0), D("30.00"), None),
        ("5000", D("12.00"), D(0), product.pk),
    ]
    layer = ValuationLayer.objects.get(move=receipt, quantity=0)
    assert (layer.value, layer.description) == (D("18.00"), "Landed cost: Sea freight")
    assert balances(site.company) == {
        "1200": D("48.00"), "2100": D("-50.00"), "2150": D("-30.00"), "5000": D("32.00"),
    }  # fmt: skip
    assert_audit_clean()
    last = deliver(site, product, "6")
    assert lines_of(last.pk) == [
        ("1200", D(0), D("48.00"), product.pk),
        ("5000", D("48.00"), D(0), product.pk),
    ]
    assert balances(site.company) == {"2100": D("-50.00"), "2150": D("-30.00"), "5000": D("80.00")}
    assert_audit_clean()


def test_landed_cost_before_anything_was_sold_is_all_stock(site):
    product = factories.product(costing_method="average")
    receipt = site.receive(product, "8", cost="2.50").moves.get()
    posted = post_landed_cost(SYSTEM, landed(site, [receipt], "4.00").pk)
    assert list(posted.lines.values_list("on_hand", "sold")) == [(D("4.00"), D(0))]
    assert lines_of(posted.entry_id) == [
        ("1200", D("4.00"), D(0), product.pk),
        ("2150", D(0), D("4.00"), None),
    ]
    pool = CostPool.objects.get(company=site.company, product=product)
    assert (pool.quantity, pool.value) == (D(8), D(24))
    assert_audit_clean()


def test_standard_cost_products_send_the_whole_landed_cost_to_cogs(site):
    product = factories.product(costing_method="standard", standard_cost=D("5.00"))
    receipt = site.receive(product, "10").moves.get()
    posted = post_landed_cost(SYSTEM, landed(site, [receipt], "7.50").pk)
    assert lines_of(posted.entry_id) == [
        ("2150", D(0), D("7.50"), None),
        ("5000", D("7.50"), D(0), product.pk),
    ]
    assert not ValuationLayer.objects.filter(move=receipt, quantity=0).exists()
    assert_audit_clean()


def test_rounding_ten_over_three_receipts_adds_up_exactly(site):
    """10.00 equally over 3 receipts: 3.33, 3.33, 3.34; the first is a third sold."""
    product = factories.product(costing_method="fifo")
    moves = [site.receive(product, "3", cost="1.00").moves.get() for _ in range(3)]
    deliver(site, product, "1")  # FIFO: from the first receipt
    posted = post_landed_cost(SYSTEM, landed(site, moves, "10.00").pk)
    rows = list(posted.lines.order_by("move_id").values_list("allocated", "on_hand", "sold"))
    assert rows == [
        (D("3.33"), D("2.22"), D("1.11")),
        (D("3.33"), D("3.33"), D(0)),
        (D("3.34"), D("3.34"), D(0)),
    ]
    assert sum(r[0] for r in rows) == D("10.00")
    assert lines_of(posted.entry_id) == [
        ("1200", D("8.89"), D(0), product.pk),
        ("2150", D(0), D("10.00"), None),
        ("5000", D("1.11"), D(0), product.pk),
    ]
    assert_audit_clean()
    # The 8 left carry 8 × 1.00 + 8.89: the next 8 out cost 16.89 exactly.
    assert lines_of(deliver(site, product, "8").pk) == [
        ("1200", D(0), D("16.89"), product.pk),
        ("5000", D("16.89"), D(0), product.pk),
    ]
    assert_audit_clean()


def test_split_by_value_and_by_quantity(site):
    apples = factories.product(costing_method="fifo")
    pears = factories.product(costing_method="average")
    cheap = site.receive(apples, "10", cost="1.00").moves.get()  # 10.00
    dear = site.receive(pears, "5", cost="6.00").moves.get()  # 30.00
    by_value = post_landed_cost(SYSTEM, landed(site, [cheap, dear], "8.00", "by_value").pk)
    assert list(by_value.lines.order_by("move_id").values_list("move_id", "allocated")) == [
        (cheap.pk, D("2.00")),
        (dear.pk, D("6.00")),
    ]
    by_quantity = post_landed_cost(SYSTEM, landed(site, [cheap, dear], "9.00", "by_quantity").pk)
    assert list(by_quantity.lines.order_by("move_id").values_list("allocated", flat=True)) == [
        D("6.00"),
        D("3.00"),
    ]
    assert lines_of(by_quantity.entry_id) == sorted(
        [
            ("1200", D("6.00"), D(0), apples.pk),
            ("1200", D("3.00"), D(0), pears.pk),
            ("2150", D(0), D("9.00"), None),
        ]
    )
    assert_audit_clean()


def test_allocation_rounding_is_exact():
    def cents(x):
        return x.quantize(D("0.01"))

    assert allocate(D("0.02"), [D(1)] * 3, cents) == [D("0.01"), D("0.01"), D("0.00")]
    assert allocate(D("100.00"), [D(1), D(2)], cents) == [D("33.33"), D("66.67")]


def test_targets_by_receipt_transfer_reference(site):
    product = factories.product(costing_method="fifo")
    transfer = site.transfer(
        TransferKind.RECEIPT,
        site.supplier,
        site.stock,
        [(product, "2", "1.00"), (product, "2", "3.00")],
    )
    inventory.validate_transfer(SYSTEM, transfer.pk)
    draft = create_landed_cost(
        SYSTEM,
        LandedCostInput(
            company_id=site.company.pk,
            date=today(),
            description="Duty",
            amount=D("4.00"),
            split_method="by_value",
            transfer_references=[transfer.reference],
        ),
    )
    moves = sorted(transfer.moves.values_list("pk", flat=True))
    assert sorted(draft.targets.values_list("move_id", flat=True)) == moves
    posted = post_landed_cost(SYSTEM, draft.pk)
    assert list(posted.lines.order_by("move_id").values_list("allocated", flat=True)) == [
        D("1.00"),
        D("3.00"),
    ]
    assert_audit_clean()


def test_posting_into_a_locked_period_is_refused_and_writes_nothing(site):
    product = factories.product(costing_method="fifo")
    receipt = site.receive(product, "10", cost="5.00").moves.get()
    deliver(site, product, "4")
    draft = landed(site, [receipt], "30.00")
    set_lock_date(SYSTEM, site.company.pk, today())
    before = written()
    with pytest.raises(PeriodLockedError) as refused:
        post_landed_cost(SYSTEM, draft.pk)
    assert "date" in refused.value.fields
    assert written() == before
    assert LandedCost.objects.get(pk=draft.pk).state == LandedCostState.DRAFT
    layer = ValuationLayer.objects.get(move=receipt, quantity__gt=0)
    assert (layer.remaining_quantity, layer.remaining_value) == (D(6), D(30))
    assert_audit_clean()


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("delivery", "moves"),
        ("not done", "moves"),
        ("other company", "moves"),
        ("no receipts", "moves"),
        ("unknown transfer", "transfers"),
        ("zero", "amount"),
        ("negative", "amount"),
        ("sub-cent", "amount"),
        ("method", "split_method"),
        ("description", "description"),
        ("bill", "vendor_bill"),
    ],
)
def test_bad_drafts_are_refused_naming_the_field_and_write_nothing(site, warehouse_b, case, field):
    from tests.inventory.conftest import Site

    product = factories.product(costing_method="fifo")
    receipt = site.receive(product, "10", cost="5.00").moves.get()
    moves, extra, amount = [receipt], {}, "30.00"
    if case == "delivery":
        delivery = site.deliver(product, "1")
        inventory.validate_transfer(SYSTEM, delivery.pk)
        moves = [delivery.moves.get()]
    elif case == "not done":
        pending = site.transfer(
            TransferKind.RECEIPT, site.supplier, site.stock, [(product, "1", "1")]
        )
        moves = [pending.moves.get()]
    elif case == "other company":
        moves = [Site(warehouse_b).receive(product, "1", cost="1.00").moves.get()]
    elif case == "no receipts":
        moves = []
    elif case == "unknown transfer":
        extra = {"transfer_references": ["IN/NOPE"]}
    elif case == "zero":
        amount = "0"
    elif case == "negative":
        amount = "-1.00"
    elif case == "sub-cent":
        amount = "1.005"
    elif case == "method":
        extra = {"split_method": "by_colour"}
    elif case == "description":
        extra = {"description": "  "}
    elif case == "bill":
        extra = {"vendor_bill_id": 999_999}
    before = written()
    method = extra.pop("split_method", "equally")
    with pytest.raises(DomainError) as refused:
        landed(site, moves, amount, method, **extra)
    assert field in refused.value.fields, refused.value.fields
    assert refused.value.message.startswith(f"{field}: ")
    assert written() == before


def test_drafts_are_updated_and_cancelled_but_a_posted_one_is_final(site):
    product = factories.product(costing_method="fifo")
    first = site.receive(product, "2", cost="1.00").moves.get()
    second = site.receive(product, "2", cost="1.00").moves.get()
    draft = landed(site, [first], "5.00")
    changed = update_landed_cost(
        SYSTEM,
        draft.pk,
        LandedCostInput(
            site.company.pk, today(), "Insurance", D("6.00"), "equally", [first.pk, second.pk]
        ),
        version=draft.version,
    )
    assert (changed.description, changed.amount, changed.version) == ("Insurance", D(6), 2)
    assert changed.targets.count() == 2
    cancelled = cancel_landed_cost(SYSTEM, draft.pk)
    assert cancelled.state == LandedCostState.CANCELLED
    with pytest.raises(ConflictError):
        post_landed_cost(SYSTEM, draft.pk)
    posted = post_landed_cost(SYSTEM, landed(site, [first], "1.00").pk)
    with pytest.raises(ConflictError):
        cancel_landed_cost(SYSTEM, posted.pk)
    with pytest.raises(ConflictError):
        post_landed_cost(SYSTEM, posted.pk)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "accounting.landedcost.create",
        "accounting.landedcost.update",
        "accounting.landedcost.cancel",
        "accounting.landedcost.post",
    } <= actions
    assert_audit_clean()


def test_a_landed_cost_dated_before_its_receipt_is_refused(site):
    product = factories.product(costing_method="fifo")
    receipt = site.receive(product, "10", cost="5.00").moves.get()
    yesterday = today() - datetime.timedelta(days=1)
    before = written()
    with pytest.raises(DomainError) as refused:
        landed(site, [receipt], "30.00", date=yesterday)
    assert (
        f"Move {receipt.pk} was received on {today().isoformat()}"
        in refused.value.fields["date"][0]
    )
    assert written() == before


def test_reconciliation_as_of_a_date_sees_the_layer_and_the_entry_together(site):
    product = factories.product(costing_method="fifo")
    receipt = site.receive(product, "10", cost="5.00").moves.get()
    tomorrow = today() + datetime.timedelta(days=1)
    post_landed_cost(SYSTEM, landed(site, [receipt], "30.00", date=tomorrow).pk)
    assert [(r.layers, r.ledger) for r in stock_reconciliation(site.company.pk, today())] == [
        (D("50.00"), D("50.00"))
    ]
    assert [(r.layers, r.ledger) for r in stock_reconciliation(site.company.pk, tomorrow)] == [
        (D("80.00"), D("80.00"))
    ]
    assert_audit_clean()


def test_settings_default_to_variance(site):
    assert LedgerSettings.objects.get(company=site.company).price_difference == "variance"


# -- price differences on vendor bills -----------------------------------------------------------


def bill_received_goods(site, method, price, setting):
    """In 10 @ 5.00 from a supplier, out 4, then the bill for the 10 at ``price``."""
    from crossdock.accounting.models import InvoiceKind
    from crossdock.accounting.services.invoicing import (
        InvoiceInput,
        InvoiceLineInput,
        create_invoice,
        post_invoice,
    )

    LedgerSettings.objects.filter(company=site.company).update(price_difference=setting)
    supplier = factories.partner(site.company, is_customer=False, is_supplier=True)
    product = factories.product(costing_method=method)
    transfer = site.transfer(
        TransferKind.RECEIPT,
        site.supplier,
        site.stock,
        [(product, "10", "5.00")],
        partner_id=supplier.pk,
    )
    inventory.validate_transfer(SYSTEM, transfer.pk)
    move = transfer.moves.get()
    deliver(site, product, "4")
    bill = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=site.company.pk,
            kind=InvoiceKind.VENDOR_BILL,
            partner_id=supplier.pk,
            date=today(),
            partner_reference="INV-77",
            lines=[
                InvoiceLineInput("Widgets", D(10), D(price), product_id=product.pk,
                                 stock_move_id=move.pk)
            ],
        ),
    )  # fmt: skip
    return product, move, post_invoice(SYSTEM, bill.pk)


@pytest.mark.parametrize("method", ["fifo", "average"])
def test_a_higher_bill_with_price_difference_to_stock(site, method):
    """Billed 60.00 for goods received at 50.00, 4 of 10 sold: 6.00 to stock, 4.00 variance."""
    product, move, bill = bill_received_goods(site, method, "6.00", "stock")
    assert lines_of(bill.entry_id) == [
        ("1200", D("6.00"), D(0), product.pk),
        ("2000", D(0), D("60.00"), None),
        ("2100", D("50.00"), D(0), product.pk),
        ("5100", D("4.00"), D(0), product.pk),
    ]
    layer = ValuationLayer.objects.get(move=move, quantity=0)
    assert (layer.value, layer.description) == (D("6.00"), "Price difference, vendor bill INV-77")
    assert_audit_clean()
    assert lines_of(deliver(site, product, "6").pk) == [
        ("1200", D(0), D("36.00"), product.pk),
        ("5000", D("36.00"), D(0), product.pk),
    ]
    assert balances(site.company) == {
        "2000": D("-60.00"), "5000": D("56.00"), "5100": D("4.00"),
    }  # fmt: skip
    assert_audit_clean()


def test_a_lower_bill_with_price_difference_to_stock_takes_value_out(site):
    product, _move, bill = bill_received_goods(site, "fifo", "4.50", "stock")
    assert lines_of(bill.entry_id) == [
        ("1200", D(0), D("3.00"), product.pk),
        ("2000", D(0), D("45.00"), None),
        ("2100", D("50.00"), D(0), product.pk),
        ("5100", D(0), D("2.00"), product.pk),
    ]
    assert lines_of(deliver(site, product, "6").pk) == [
        ("1200", D(0), D("27.00"), product.pk),
        ("5000", D("27.00"), D(0), product.pk),
    ]
    assert_audit_clean()


def test_price_difference_to_variance_by_default(site):
    product, move, bill = bill_received_goods(site, "fifo", "6.00", "variance")
    assert lines_of(bill.entry_id) == [
        ("2000", D(0), D("60.00"), None),
        ("2100", D("50.00"), D(0), product.pk),
        ("5100", D("10.00"), D(0), product.pk),
    ]
    assert not ValuationLayer.objects.filter(move=move, quantity=0).exists()
    assert_audit_clean()


def test_a_second_bill_after_a_landed_cost_still_clears_grni_at_the_receipt_value(site):
    """Value-only layers do not change what goods received not invoiced clears at."""
    _product, move, _bill = bill_received_goods(site, "fifo", "5.00", "stock")
    post_landed_cost(SYSTEM, landed(site, [move], "30.00").pk)
    assert ValuationLayer.objects.filter(move=move, quantity=0).count() == 1
    from crossdock.accounting.services.invoicing import _received_values

    bill = JournalEntry.objects.get(source_type="accounting.invoice").invoice
    line = bill.lines.get()
    assert _received_values(bill, [line], site.company) == {line.pk: D("50.00")}
    assert "2100" not in balances(site.company)  # cleared to zero
    assert_audit_clean()


def test_split_by_weight_after_part_was_sold(site):
    """Apples 10 × 2 kg = 20 kg, pears 20 × 0.5 kg = 10 kg: 30.00 splits 20.00 / 10.00.
    4 of the 10 apples were sold before the charge: 12.00 to stock, 8.00 to COGS."""
    apples = factories.product(costing_method="fifo", weight_kg=D("2"))
    pears = factories.product(costing_method="fifo", weight_kg=D("0.5"))
    apple_move = site.receive(apples, "10", cost="1.00").moves.get()
    pear_move = site.receive(pears, "20", cost="1.00").moves.get()
    deliver(site, apples, "4")
    posted = post_landed_cost(
        SYSTEM, landed(site, [apple_move, pear_move], "30.00", "by_weight").pk
    )
    assert list(posted.lines.order_by("move_id").values_list("allocated", "on_hand", "sold")) == [
        (D("20.00"), D("12.00"), D("8.00")),
        (D("10.00"), D("10.00"), D("0.00")),
    ]
    assert lines_of(posted.entry_id) == sorted(
        [
            ("1200", D("12.00"), D(0), apples.pk),
            ("1200", D("10.00"), D(0), pears.pk),
            ("2150", D(0), D("30.00"), None),
            ("5000", D("8.00"), D(0), apples.pk),
        ]
    )
    assert_audit_clean()


def test_split_by_volume(site):
    """Boxes 10 × 0.01 m³ = 0.1 m³, drums 20 × 0.02 m³ = 0.4 m³: 30.00 splits 6.00 / 24.00."""
    boxes = factories.product(costing_method="average", volume_m3=D("0.01"))
    drums = factories.product(costing_method="fifo", volume_m3=D("0.02"))
    box_move = site.receive(boxes, "10", cost="3.00").moves.get()
    drum_move = site.receive(drums, "20", cost="3.00").moves.get()
    posted = post_landed_cost(SYSTEM, landed(site, [box_move, drum_move], "30.00", "by_volume").pk)
    assert list(posted.lines.order_by("move_id").values_list("allocated", flat=True)) == [
        D("6.00"),
        D("24.00"),
    ]
    assert_audit_clean()


def test_split_by_weight_needs_every_product_weighed(site):
    weighed = factories.product(costing_method="fifo", weight_kg=D("1"))
    unweighed = factories.product(costing_method="fifo", sku="NO-WEIGHT")
    moves = [
        site.receive(weighed, "1", cost="1.00").moves.get(),
        site.receive(unweighed, "1", cost="1.00").moves.get(),
    ]
    draft = landed(site, moves, "5.00", "by_weight")
    with pytest.raises(DomainError) as refused:
        post_landed_cost(SYSTEM, draft.pk)
    assert "split_method" in refused.value.fields
    assert "NO-WEIGHT" in refused.value.message
    assert LandedCost.objects.get(pk=draft.pk).state == LandedCostState.DRAFT
