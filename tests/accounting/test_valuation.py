"""Perpetual valuation: receipts, deliveries, adjustments and returns posted from the layers."""

from decimal import Decimal

from django.db.models import Sum

from crossdock.accounting.checks import stock_matches_layers, trial_balance_zero
from crossdock.accounting.models import JournalEntry, JournalLine
from crossdock.accounting.selectors import stock_reconciliation, trial_balance
from crossdock.core.checks import run_checks
from crossdock.inventory import services as inventory
from crossdock.inventory.models import TransferKind, ValuationLayer
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal


def balances(company):
    return {r.account.code: r.balance for r in trial_balance(company.pk)}


def lines_of(entry):
    return sorted(
        (line.account.code, line.debit, line.credit, line.product_id)
        for line in entry.lines.select_related("account")
    )


def assert_books_balance():
    _names, findings = run_checks()
    assert findings == [], findings


def test_fifo_receipts_and_a_delivery(site):
    """In 10 @ 5.00 and 10 @ 6.00; out 15 costs 80.00; stock 30.00, COGS 80.00, GRNI 110.00."""
    product = factories.product(costing_method="fifo")
    first = site.receive(product, "10", cost="5.00")
    site.receive(product, "10", cost="6.00")
    receipt = JournalEntry.objects.get(source_type="inventory.transfer", source_id=str(first.pk))
    assert receipt.journal.code == "STK"
    assert receipt.number.startswith("STK/")
    assert lines_of(receipt) == [
        ("1200", D("50.0000"), D(0), product.pk),
        ("2100", D(0), D("50.0000"), product.pk),
    ]
    delivery = site.deliver(product, "15")
    inventory.validate_transfer(SYSTEM, delivery.pk)
    issue = JournalEntry.objects.get(source_id=str(delivery.pk))
    assert lines_of(issue) == [
        ("1200", D(0), D("80.0000"), product.pk),
        ("5000", D("80.0000"), D(0), product.pk),
    ]
    assert balances(site.company) == {"1200": D(30), "2100": D(-110), "5000": D(80)}
    assert_books_balance()


def test_average_cost_receipts_and_deliveries(site):
    """In 10 @ 4.00, 5 @ 7.00 → average 5.00; out 6 = 30.00; out the last 9 = 45.00 exactly."""
    product = factories.product(costing_method="average")
    site.receive(product, "10", cost="4.00")
    site.receive(product, "5", cost="7.00")
    first = site.deliver(product, "6")
    inventory.validate_transfer(SYSTEM, first.pk)
    assert balances(site.company) == {"1200": D(45), "2100": D(-75), "5000": D(30)}
    last = site.deliver(product, "9")
    inventory.validate_transfer(SYSTEM, last.pk)
    assert balances(site.company) == {"1200": D(0), "2100": D(-75), "5000": D(75)}
    assert_books_balance()


def test_average_cost_rounding_stays_exact(site):
    """In 3 @ 1.00 and 1 @ 0.01 (3.01 for 4); out 1, 1, 2: 0.7525 each, last takes the rest."""
    product = factories.product(costing_method="average")
    site.receive(product, "3", cost="1.00")
    site.receive(product, "1", cost="0.01")
    for quantity in ("1", "1", "2"):
        delivery = site.deliver(product, quantity)
        inventory.validate_transfer(SYSTEM, delivery.pk)
    assert balances(site.company) == {"1200": D(0), "2100": D("-3.01"), "5000": D("3.01")}
    assert_books_balance()


def test_adjustment_gain_and_scrap_post_to_inventory_loss_and_gain(site):
    product = factories.product(costing_method="fifo", standard_cost=D("6.00"))
    site.receive(product, "10", cost="5.00")
    scrap = site.transfer(TransferKind.SCRAP, site.stock, site.loss, [(product, "2", None)])
    inventory.validate_transfer(SYSTEM, scrap.pk)
    assert balances(site.company) == {"1200": D(40), "2100": D(-50), "5200": D(10)}
    gain = site.transfer(TransferKind.ADJUSTMENT, site.loss, site.stock, [(product, "1", "5.50")])
    inventory.validate_transfer(SYSTEM, gain.pk)
    assert balances(site.company) == {"1200": D("45.5"), "2100": D(-50), "5200": D("4.5")}
    assert_books_balance()


def test_customer_return_and_return_to_vendor(site):
    product = factories.product(costing_method="fifo")
    site.receive(product, "10", cost="3.00")
    delivery = site.deliver(product, "4")
    inventory.validate_transfer(SYSTEM, delivery.pk)
    back = site.transfer(TransferKind.RETURN, site.customer, site.stock, [(product, "1", "3.00")])
    inventory.validate_transfer(SYSTEM, back.pk)
    to_vendor = site.transfer(
        TransferKind.RETURN, site.stock, site.supplier, [(product, "2", None)]
    )
    inventory.validate_transfer(SYSTEM, to_vendor.pk)
    assert balances(site.company) == {"1200": D(15), "2100": D(-24), "5000": D(9)}
    assert_books_balance()


def test_moves_inside_the_company_post_nothing(site):
    product = factories.product(costing_method="fifo")
    site.receive(product, "5", cost="2.00")
    before = JournalLine.objects.count()
    move = site.transfer(TransferKind.INTERNAL, site.stock, site.qc, [(product, "5", None)])
    inventory.validate_transfer(SYSTEM, move.pk)
    assert JournalLine.objects.count() == before
    assert_books_balance()


def test_one_entry_per_transfer_aggregated_per_product(site):
    apples, pears = factories.product(costing_method="fifo"), factories.product()
    receipt = site.transfer(
        TransferKind.RECEIPT,
        site.supplier,
        site.stock,
        [(apples, "2", "1.10"), (apples, "3", "1.20"), (pears, "4", "2.00")],
    )
    inventory.validate_transfer(SYSTEM, receipt.pk)
    entry = JournalEntry.objects.get(source_id=str(receipt.pk))
    assert lines_of(entry) == sorted(
        [
            ("1200", D("5.8000"), D(0), apples.pk),
            ("2100", D(0), D("5.8000"), apples.pk),
            ("1200", D("8.0000"), D(0), pears.pk),
            ("2100", D(0), D("8.0000"), pears.pk),
        ]
    )
    assert set(entry.lines.values_list("warehouse_id", flat=True)) == {site.warehouse.pk}


def test_the_audit_names_a_stock_account_that_drifted_from_the_layers(site, books):
    product = factories.product(costing_method="fifo", sku="DRIFT-1", name="Drifting widget")
    site.receive(product, "2", cost="10.00")
    books.post(("1200", "0.01", "0"), ("6100", "0", "0.01"))
    assert stock_matches_layers() == [
        "company ACME, (no product): stock accounts 0.0100 ≠ valuation layers 0.0000 "
        "(difference 0.0100)"
    ]
    rows = stock_reconciliation(site.company.pk)
    assert [(r.product_label, r.layers, r.ledger) for r in rows] == [
        ("(no product)", D(0), D("0.01")),
        ("DRIFT-1 Drifting widget", D("20"), D("20")),
    ]
    assert trial_balance_zero() == []
    layers = ValuationLayer.objects.filter(company=site.company).aggregate(v=Sum("value"))["v"]
    assert layers == D(20)
