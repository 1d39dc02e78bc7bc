"""The anomaly sources on real documents: orders, bills, adjustments and demand history."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    cancel_invoice,
    create_invoice,
)
from crossdock.core.context import Actor
from crossdock.core.roles import Role
from crossdock.insight.anomalies import detection, sources
from crossdock.insight.queues.registry import SOURCES
from crossdock.inventory.models import StockMove
from crossdock.inventory.services.adjustments import (
    AdjustmentDraft,
    AdjustmentLine,
    request_adjustment,
)
from crossdock.planning.services.history import import_demand_history
from crossdock.purchasing.models import PurchaseOrderLine
from crossdock.purchasing.services.orders import cancel_purchase_order, submit_purchase_order
from tests import factories
from tests.accounting.conftest import Books
from tests.inventory.conftest import SYSTEM, Site

D = Decimal
DAY = datetime.timedelta(days=1)
BASELINE_PRICES = ["9.10", "9.05", "9.15", "9.10", "9.20", "9.00", "9.10", "9.12", "9.08", "9.10"]


def wanted(function, company, today=None):
    return list(function(today or timezone.localdate(), frozenset({company.pk})))


def test_every_anomaly_kind_is_registered_in_the_anomalies_queue():
    kinds = {
        "anomaly_purchase_price": Role.PURCHASING_MANAGER,
        "anomaly_purchase_quantity": Role.PURCHASING_MANAGER,
        "anomaly_duplicate_bill": Role.AP_CLERK,
        "anomaly_stock_adjustment": Role.WAREHOUSE_MANAGER,
        "anomaly_demand_shift": Role.PLANNER,
    }
    for kind, role in kinds.items():
        registered = SOURCES[kind]
        assert (registered.queue, registered.owner_role) == ("anomalies", role.value)
        assert registered.description


# -- purchases ----------------------------------------------------------------------------------


@pytest.fixture
def ordered(buying):
    """Ten approved orders of one product from one supplier over the last year, 10 each."""
    today = timezone.localdate()
    product = factories.product(sku="ANOM-P")
    for number, price in enumerate(BASELINE_PRICES):
        order = buying.order((product, "10", price), order_date=today - (40 + 25 * number) * DAY)
        submit_purchase_order(buying.actor, order.pk)
    return product


def test_an_order_at_an_unusual_price_is_found_and_explained(buying, ordered):
    today = timezone.localdate()
    usual = buying.order((ordered, "10", "9.11"), order_date=today - 2 * DAY)
    unusual = buying.order((ordered, "10", "14.20"), order_date=today - 3 * DAY)
    (item,) = wanted(sources.unusual_purchase_prices, buying.company)
    line = PurchaseOrderLine.objects.get(order=unusual)
    assert item.key == f"po-line:{line.pk}"
    assert item.company_id == buying.company.pk
    assert item.document_label == unusual.reference
    assert item.document_url == reverse("purchasing:order_detail", args=[unusual.pk])
    assert item.warehouse_id == buying.warehouse.pk
    assert "ANOM-P at 14.20 EUR" in item.title
    assert "the usual 9.10" in item.title
    context = item.context
    assert D(context["observed"]) == D("14.20")
    assert D(context["baseline_median"]) == D("9.10")
    assert (D(context["baseline_low"]), D(context["baseline_high"])) == (D("9.00"), D("9.20"))
    assert context["baseline_count"] == len(BASELINE_PRICES)
    assert context["threshold"] == round(detection.threshold_for(len(BASELINE_PRICES)), 2)
    assert context["robust_z"] >= context["threshold"]
    assert "above this supplier's median 9.10 EUR over 10 order lines" in context["explanation"]
    assert usual.reference not in {w.document_label for w in wanted(
        sources.unusual_purchase_prices, buying.company
    )}  # fmt: skip


def test_ordinary_orders_are_quiet_and_a_cancelled_one_closes(buying, ordered):
    today = timezone.localdate()
    buying.order((ordered, "10", "9.11"), order_date=today - 2 * DAY)
    buying.order((ordered, "12", "9.02"), order_date=today - 9 * DAY)
    assert wanted(sources.unusual_purchase_prices, buying.company) == []
    assert wanted(sources.unusual_purchase_quantities, buying.company) == []
    unusual = buying.order((ordered, "10", "14.20"), order_date=today - 3 * DAY)
    assert len(wanted(sources.unusual_purchase_prices, buying.company)) == 1
    cancel_purchase_order(buying.actor, unusual.pk, "Wrong price")
    assert wanted(sources.unusual_purchase_prices, buying.company) == []


def test_an_unusual_quantity_is_found_against_the_warehouse_orders(buying, ordered):
    today = timezone.localdate()
    big = buying.order((ordered, "400", "9.10"), order_date=today - DAY)
    (item,) = wanted(sources.unusual_purchase_quantities, buying.company)
    assert item.key == f"po-line:{PurchaseOrderLine.objects.get(order=big).pk}"
    assert item.context["ratio_to_median"] == 40.0
    assert "Quantity 400.00 is 40.0 × the median 10.00" in item.context["explanation"]


def test_a_group_without_enough_history_is_quiet(buying):
    today = timezone.localdate()
    product = factories.product()
    for price in BASELINE_PRICES[: detection.MIN_HISTORY - 1]:
        order = buying.order((product, "10", price), order_date=today - 60 * DAY)
        submit_purchase_order(buying.actor, order.pk)
    buying.order((product, "500", "99.00"), order_date=today - DAY)
    assert wanted(sources.unusual_purchase_prices, buying.company) == []
    assert wanted(sources.unusual_purchase_quantities, buying.company) == []


def test_another_companys_orders_are_not_seen(buying, ordered, company_b):
    buying.order((ordered, "10", "14.20"), order_date=timezone.localdate() - DAY)
    assert wanted(sources.unusual_purchase_prices, company_b) == []


# -- bills --------------------------------------------------------------------------------------


def bill(company, supplier, reference, amount, date):
    account = Books(company).account("5300").pk
    return create_invoice(
        SYSTEM,
        InvoiceInput(
            company.pk,
            "vendor_bill",
            supplier.pk,
            date,
            [InvoiceLineInput("Goods", D(1), D(amount), account_id=account)],
            partner_reference=reference,
        ),
    )


def test_a_near_duplicate_bill_is_found_until_one_is_cancelled(company_a):
    today = timezone.localdate()
    supplier = factories.partner(company_a, is_customer=False, is_supplier=True, name="Fasteners")
    other = factories.partner(company_a, is_customer=False, is_supplier=True)
    first = bill(company_a, supplier, "INV-10043", "1250.00", today - 12 * DAY)
    second = bill(company_a, supplier, "INV10043-A", "1250.00", today - 5 * DAY)
    bill(company_a, supplier, "INV-20077", "600.00", today - 4 * DAY)
    bill(company_a, other, "INV-10043", "1250.00", today - 4 * DAY)  # another supplier
    (item,) = wanted(sources.possible_duplicate_bills, company_a)
    assert item.key == f"bill-pair:{first.pk}-{second.pk}"
    assert item.document_url == reverse("accounting:invoice_detail", args=[second.pk])
    assert item.context["earlier_url"] == reverse("accounting:invoice_detail", args=[first.pk])
    assert item.context["days_apart"] == 7
    assert item.context["amount_difference_percent"] == "0.00"
    assert item.context["reference_similarity"] >= detection.DUPLICATE_MIN_SIMILARITY
    assert "refs INV10043-A / INV-10043" in item.title
    assert "Fasteners" in item.context["explanation"]
    cancel_invoice(SYSTEM, second.pk)
    assert wanted(sources.possible_duplicate_bills, company_a) == []


def test_ordinary_bills_are_quiet(company_a):
    today = timezone.localdate()
    supplier = factories.partner(company_a, is_customer=False, is_supplier=True)
    for number in range(8):
        amount = f"{1000 + 37 * number}.00"
        bill(company_a, supplier, f"INV-{5000 + 311 * number}", amount, today - number * 3 * DAY)
    assert wanted(sources.possible_duplicate_bills, company_a) == []


# -- stock adjustments --------------------------------------------------------------------------


def adjust(site, actor, product, difference, days_ago=0):
    transfer = request_adjustment(
        actor,
        AdjustmentDraft(
            site.warehouse.pk,
            [AdjustmentLine(product.pk, site.stock.pk, D(difference))],
            "Cycle count",
        ),
    )
    if days_ago:
        StockMove.objects.filter(transfer=transfer).update(done_at=timezone.now() - days_ago * DAY)
    return transfer


def test_an_unusual_stock_adjustment_is_found_and_usual_ones_are_quiet(warehouse_a):
    site = Site(warehouse_a)
    actor = Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[site.company]))
    product = factories.product(sku="ANOM-A", standard_cost=D("5.00"))
    for number, difference in enumerate(["2", "3", "4", "2", "3", "2", "4", "3", "3", "2"]):
        adjust(site, actor, product, difference, days_ago=45 + 20 * number)
    adjust(site, actor, product, "3", days_ago=2)
    assert wanted(sources.unusual_stock_adjustments, site.company) == []
    big = adjust(site, actor, product, "300", days_ago=1)
    (item,) = wanted(sources.unusual_stock_adjustments, site.company)
    assert item.key == f"adjustment-move:{big.moves.get().pk}"
    assert item.document_label == big.reference
    assert item.document_url == reverse("inventory:transfer_detail", args=[big.pk])
    assert D(item.context["observed"]) == D("1500.00")
    assert D(item.context["baseline_median"]) == D("15.00")
    assert item.context["baseline_count"] == 10
    assert item.context["direction"] == "gain"
    assert "is 100.0 × the median adjustment line 15.00 EUR" in item.context["explanation"]


# -- demand shifts ------------------------------------------------------------------------------


def history_csv(rows):
    lines = ["product,warehouse,day,quantity"]
    lines += [
        f"{sku},{warehouse},{day.isoformat()},{quantity}" for sku, warehouse, day, quantity in rows
    ]
    return "\n".join(lines).encode()


def test_a_level_shift_in_demand_is_found_and_steady_demand_is_quiet(
    warehouse_a, django_assert_num_queries
):
    today = timezone.localdate()
    shifting = factories.product(sku="ANOM-UP")
    steady = factories.product(sku="ANOM-STEADY")
    weeks = detection.SHIFT_BASELINE_WEEKS + detection.SHIFT_RECENT_WEEKS
    rows = []
    for offset in range(1, 7 * weeks + 1):
        day = today - offset * DAY
        recent = offset <= 7 * detection.SHIFT_RECENT_WEEKS
        rows.append(("ANOM-UP", warehouse_a.code, day, (9 if recent else 3) + offset % 2))
        rows.append(("ANOM-STEADY", warehouse_a.code, day, 5 + offset % 3))
    result = import_demand_history(SYSTEM, warehouse_a.company_id, "history.csv", history_csv(rows))
    assert result.ok, result.errors
    with django_assert_num_queries(3):  # the weekly sums, then the SKUs and warehouse codes
        (item,) = wanted(sources.sudden_demand_shifts, warehouse_a.company)
    assert item.key == f"demand:{shifting.pk}:{warehouse_a.pk}"
    assert item.document_url == reverse("planning:item", args=[shifting.pk, warehouse_a.pk])
    assert item.document_label == f"ANOM-UP @ {warehouse_a.code}"
    assert item.context["direction"] == "up"
    assert item.context["recent_mean"] == pytest.approx(66.5, abs=0.6)  # 9.5 a day
    assert item.context["baseline_mean"] == pytest.approx(24.5, abs=0.6)  # 3.5 a day
    assert item.context["p_value"] < detection.SHIFT_ALPHA
    assert steady.sku not in item.title


# -- set-based ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "queries"),
    [
        (sources.unusual_purchase_prices, 1),
        (sources.unusual_purchase_quantities, 1),
        (sources.possible_duplicate_bills, 1),
        (sources.unusual_stock_adjustments, 1),
    ],
)
def test_a_source_reads_its_documents_in_a_fixed_number_of_queries(
    buying, ordered, function, queries, django_assert_num_queries
):
    """However many orders and items, one query per source (plus nothing per row)."""
    today = timezone.localdate()
    for price in ("14.20", "15.10", "16.00"):
        buying.order((ordered, "300", price), order_date=today - DAY)
    with django_assert_num_queries(queries):
        found = wanted(function, buying.company)
    if function in (sources.unusual_purchase_prices, sources.unusual_purchase_quantities):
        assert len(found) == 3


def test_an_unusual_price_reaches_the_anomalies_queue_and_closes_with_its_order(buying, ordered):
    from crossdock.core.models import OutboxEvent
    from crossdock.insight.models import ExceptionItem
    from crossdock.insight.queues.services import refresh_queues

    today = timezone.localdate()
    unusual = buying.order((ordered, "10", "14.20"), order_date=today - 3 * DAY)
    kinds = ["anomaly_purchase_price"]
    assert refresh_queues(today, kinds).opened == 1
    item = ExceptionItem.objects.get(kind="anomaly_purchase_price", closed_at__isnull=True)
    assert (item.queue, item.owner_role) == ("anomalies", Role.PURCHASING_MANAGER.value)
    assert item.document_label == unusual.reference
    assert "robust SDs above" in item.context["explanation"]
    assert OutboxEvent.objects.filter(name="insight.exception.opened").exists()

    cancel_purchase_order(buying.actor, unusual.pk, "Wrong price")
    assert refresh_queues(today, kinds).closed == 1
    item.refresh_from_db()
    assert item.closed_at is not None
    assert OutboxEvent.objects.filter(name="insight.exception.closed").exists()
