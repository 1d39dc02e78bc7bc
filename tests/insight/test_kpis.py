"""Each KPI against a small history built with the real services, worked out by hand
(the histories are described in ``tests/insight/conftest.py`` and in each test)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import F
from django.db.models.functions import Coalesce
from django.test import override_settings
from django.utils import timezone

from crossdock.insight.registry import KPIS, Direction, Scope, Unit
from crossdock.inventory.models import StockMove
from crossdock.purchasing.models import PurchaseOrder, PurchaseReceiptLine
from crossdock.purchasing.models.sourcing import PurchaseRequisition
from crossdock.purchasing.services import matching, orders, sourcing
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal


def values(code, scope):
    """{dimension value: (value, numerator, denominator)} of one KPI (one company in view)."""
    result = {}
    for figure in KPIS[code].figures(scope):
        result[figure.dimension_value] = (figure.value, figure.numerator, figure.denominator)
    return result


def total(code, scope):
    (only,) = KPIS[code].figures(scope)
    return only.value


def _scope(history, **extra):
    return Scope(
        start=history.start,
        end=history.end,
        company_ids=frozenset({history.company.pk}),
        today=history.today,
        **extra,
    )


# -- the registry ----------------------------------------------------------------------------


def test_every_kpi_of_the_issue_is_defined_once_with_a_formula():
    assert sorted(KPIS) == [
        "aged_inventory",
        "approval_cycle_time",
        "backorder_rate",
        "days_inventory_outstanding",
        "gross_margin",
        "inventory_turnover",
        "invoice_first_time_match_rate",
        "line_fill_rate",
        "order_fill_rate",
        "order_to_ship_cycle_time",
        "procurement_cycle_time",
        "purchase_price_variance",
        "receiving_accuracy",
        "returns_rate",
        "service_backlog",
        "stockout_rate",
        "supplier_on_time_delivery",
    ]
    for kpi in KPIS.values():
        assert "÷" in kpi.formula or "Σ" in kpi.formula, kpi.code
        assert kpi.dimensions[0] == "company"
    assert KPIS["gross_margin"].unit == Unit.PERCENT
    assert KPIS["purchase_price_variance"].unit == Unit.MONEY
    assert KPIS["backorder_rate"].direction == Direction.LOWER


def test_a_kpi_defined_twice_is_refused():
    from crossdock.insight.registry import kpi

    with pytest.raises(ValueError, match="defined twice"):
        kpi(
            "gross_margin",
            "Again",
            unit=Unit.PERCENT,
            direction=Direction.HIGHER,
            dimensions=("company",),
            requires=(),
        )(lambda scope: {})


# -- order to cash ---------------------------------------------------------------------------


def test_fill_rates_and_backorders(sold):
    scope = _scope(sold)
    # O1 shipped in full, O2 short on P: 1 of 2 orders filled; O3 shipped nothing.
    assert values("order_fill_rate", scope) == {None: (D("50.0000"), D(1), D(2))}
    # lines: O1 P filled, O2 P 4 of 10, O2 Q filled → 2 of 3.
    assert values("line_fill_rate", scope) == {None: (D("66.6667"), D(2), D(3))}
    # O2 left 6 P on a backorder.
    assert values("backorder_rate", scope) == {None: (D("50.0000"), D(1), D(2))}


def test_line_fill_rate_by_family_and_category(sold):
    assert values("line_fill_rate", _scope(sold, by="category")) == {
        str(sold.cat1.pk): (D("50.0000"), D(1), D(2)),
        str(sold.cat2.pk): (D("100.0000"), D(1), D(1)),
    }
    by_family = values("line_fill_rate", _scope(sold, by="family"))
    assert by_family == {
        str(sold.family.pk): (D("50.0000"), D(1), D(2)),
        str(sold.cat2.pk): (D("100.0000"), D(1), D(1)),
    }
    # a filter on the family keeps the lines of its sub-categories
    filtered = values("line_fill_rate", _scope(sold, filters={"family": str(sold.family.pk)}))
    assert filtered == {None: (D("50.0000"), D(1), D(2))}


def test_order_to_ship_cycle_time(sold):
    # only O1 is shipped complete: ordered 4 days ago, shipped today
    assert values("order_to_ship_cycle_time", _scope(sold)) == {None: (D("4.0000"), D(4), D(1))}


def test_returns_rate(sold):
    # 2 P authorized for return of 10 + 4 P and 5 Q delivered = 2 ÷ 19
    assert values("returns_rate", _scope(sold)) == {None: (D("10.5263"), D(2), D(19))}
    assert values("returns_rate", _scope(sold, by="category")) == {
        str(sold.cat1.pk): (D("14.2857"), D(2), D(14)),
        str(sold.cat2.pk): (D("0.0000"), D(0), D(5)),
    }


def test_gross_margin_from_the_ledger(sold):
    # revenue 10×12.50 + 4×12.50 + 5×20 = 275; cost of sales 14×6 + 5×8 = 124
    assert values("gross_margin", _scope(sold)) == {None: (D("54.9091"), D(151), D(275))}
    assert values("gross_margin", _scope(sold, by="category")) == {
        str(sold.cat1.pk): (D("52.0000"), D(91), D(175)),
        str(sold.cat2.pk): (D("60.0000"), D(60), D(100)),
    }
    assert values("gross_margin", _scope(sold, by="customer_tier")) == {
        "standard": (D("54.9091"), D(151), D(275))
    }


def test_a_range_without_documents_has_no_figures(sold):
    before = Scope(
        start=datetime.date(2020, 1, 1),
        end=datetime.date(2020, 1, 31),
        company_ids=frozenset({sold.company.pk}),
    )
    for code in ("order_fill_rate", "gross_margin", "returns_rate", "line_fill_rate"):
        assert KPIS[code].figures(before) == [], code


def test_companies_out_of_scope_are_not_computed(sold, company_b):
    other = Scope(start=sold.start, end=sold.end, company_ids=frozenset({company_b.pk}))
    assert KPIS["order_fill_rate"].figures(other) == []
    assert KPIS["gross_margin"].figures(other) == []


# -- stock -----------------------------------------------------------------------------------


def test_inventory_turnover_and_days_inventory_outstanding(sold):
    # delivered at cost 124; stock value 0 at the start, 20×6 + 5×2 = 130 at the end → 65
    assert values("inventory_turnover", _scope(sold)) == {None: (D("1.9077"), D(124), D(65))}
    # 65 × 11 days ÷ 124
    assert values("days_inventory_outstanding", _scope(sold)) == {
        None: (D("5.7661"), D(715), D(124))
    }


def test_aged_inventory_and_stockouts(sold):
    # on hand: 20 P (new) and 5 R (120 days old) → 5 ÷ 25
    assert values("aged_inventory", _scope(sold)) == {None: (D("20.0000"), D(5), D(25))}
    assert values("aged_inventory", _scope(sold, by="warehouse")) == {
        str(sold.warehouse.pk): (D("20.0000"), D(5), D(25))
    }
    # stocked products of the warehouse: P, Q (none left), R → 1 of 3 out of stock
    assert values("stockout_rate", _scope(sold)) == {None: (D("33.3333"), D(1), D(3))}


# -- procure to pay --------------------------------------------------------------------------

MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def _at(day: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, 3, day, 10, 0))


def _order(buying, product, quantity, order_day, confirmed_day):
    order = buying.order((product, quantity, None), order_date=datetime.date(2026, 3, order_day))
    orders.submit_purchase_order(buying.actor, order.pk)
    line = order.lines.get()
    orders.confirm_purchase_order(
        buying.actor,
        order.pk,
        [orders.Confirmation(line.pk, D(quantity), datetime.date(2026, 3, confirmed_day))],
    )
    return order, line


def _receive(order, line, quantity, day):
    receipt = receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(quantity))])
    StockMove.objects.filter(transfer=receipt).update(done_at=_at(day))


@pytest.fixture
def bought(buying):
    """A: 10 promised 8 March, received 8 March, billed at the order price (matched).
    B: 20 promised 12 March, received 10 on the 15th and 10 on the 20th, billed at 5.50
    against 5.00 (a price variance, accepted: 10.00 to the variance account).
    C: 10 promised 10 March, 6 received on the 12th, then the order is closed."""
    a, b, c = (factories.product(sku=f"KPI-{x}") for x in "ABC")
    buying.offer(a, ("0", "4.00"))
    buying.offer(b, ("0", "5.00"))
    buying.offer(c, ("0", "3.00"))
    first, line_a = _order(buying, a, "10", 1, 8)
    _receive(first, line_a, "10", 8)
    second, line_b = _order(buying, b, "20", 5, 12)
    _receive(second, line_b, "10", 15)
    _receive(second, line_b, "10", 20)
    third, line_c = _order(buying, c, "10", 2, 10)
    _receive(third, line_c, "6", 12)
    orders.close_purchase_order(buying.actor, third.pk, "Rest not needed")
    matching.bill_purchase_order(SYSTEM, first.pk, "KPI-1", date=datetime.date(2026, 3, 22))
    bill = matching.bill_purchase_order(
        SYSTEM, second.pk, "KPI-2", date=datetime.date(2026, 3, 25), prices={line_b.pk: D("5.50")}
    )
    matching.accept_variance(SYSTEM, bill.pk, "Surcharge agreed by phone")
    buying.start, buying.end = MARCH
    buying.today = MARCH[1]
    buying.products = (a, b, c)
    return buying


def test_supplier_on_time_delivery(bought):
    # receipts: A on time; B twice late; C late → 1 of 4
    assert values("supplier_on_time_delivery", _scope(bought)) == {None: (D("25.0000"), D(1), D(4))}
    by_supplier = values("supplier_on_time_delivery", _scope(bought, by="supplier"))
    assert by_supplier == {str(bought.supplier.pk): (D("25.0000"), D(1), D(4))}


def test_receiving_accuracy(bought):
    # A 10 of 10 and B 20 of 20 exact; C closed at 6 of 10
    assert values("receiving_accuracy", _scope(bought)) == {None: (D("66.6667"), D(2), D(3))}


def test_invoice_first_time_match_rate(bought):
    assert values("invoice_first_time_match_rate", _scope(bought)) == {
        None: (D("50.0000"), D(1), D(2))
    }


def test_purchase_price_variance_from_the_ledger(bought):
    assert values("purchase_price_variance", _scope(bought)) == {None: (D("10.0000"), D(10), None)}
    b = bought.products[1]
    assert values("purchase_price_variance", _scope(bought, by="category")) == {
        str(b.category_id): (D("10.0000"), D(10), None)
    }


def test_procurement_cycle_time(buying):
    product = factories.product()
    buying.offer(product, ("0", "4.00"))
    draft = sourcing.RequisitionDraft(
        warehouse_id=buying.warehouse.pk,
        needed_by=timezone.localdate() + datetime.timedelta(days=30),
        lines=[sourcing.RequisitionLineDraft(product.pk, D(5))],
    )
    requisition = sourcing.create_requisition(buying.actor, draft)
    sourcing.submit_requisition(buying.actor, requisition.pk)
    (order,) = sourcing.convert_requisition(buying.actor, requisition.pk)
    orders.submit_purchase_order(buying.actor, order.pk)
    approved = PurchaseOrder.objects.get(pk=order.pk).approved_at
    PurchaseRequisition.objects.filter(pk=requisition.pk).update(
        submitted_at=approved - datetime.timedelta(days=2, hours=6)
    )
    today = timezone.localdate()
    scope = Scope(start=today, end=today, company_ids=frozenset({buying.company.pk}))
    assert values("procurement_cycle_time", scope) == {None: (D("2.2500"), D("2.25"), D(1))}


def test_approval_cycle_time(sold):
    # the RMA's approval: submitted 1.5 days before it was decided
    assert values("approval_cycle_time", _scope(sold)) == {None: (D("1.5000"), D("1.5"), D(1))}


@override_settings(TIME_ZONE="Europe/Amsterdam")
def test_on_time_delivery_reads_the_promised_day_in_local_time_across_a_clock_change(buying):
    # Clocks go forward in Amsterdam on 29 March 2026: that day has 23 hours.
    product = factories.product(sku="KPI-TZ")
    buying.offer(product, ("0", "4.00"))
    order, line = _order(buying, product, "40", 1, 29)  # promised 29 March
    local = timezone.get_current_timezone()
    for done in (
        datetime.datetime(2026, 3, 29, 0, 0),  # the first instant of the promised day
        datetime.datetime(2026, 3, 29, 23, 59, 59),  # its last second: still on time
        datetime.datetime(2026, 3, 30, 0, 0),  # the next day: late
        datetime.datetime(2026, 3, 28, 23, 30),  # the day before, an hour ahead of UTC
    ):
        receipt = receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(10))])
        StockMove.objects.filter(transfer=receipt).update(done_at=done.replace(tzinfo=local))
    scope = Scope(*MARCH, company_ids=frozenset({buying.company.pk}), today=MARCH[1])
    assert values("supplier_on_time_delivery", scope) == {None: (D("75.0000"), D(3), D(4))}
    # The same count as comparing each receipt's local date with the promised date.
    promised = Coalesce(F("line__confirmed_date"), F("line__expected_date"))
    by_date = PurchaseReceiptLine.objects.filter(move__done_at__date__lte=promised).count()
    assert by_date == 3
    # Days split anywhere in the range give the same rows: a range of the last two days.
    late_range = Scope(
        datetime.date(2026, 3, 29), datetime.date(2026, 3, 30), company_ids=scope.company_ids
    )
    assert values("supplier_on_time_delivery", late_range) == {None: (D("66.6667"), D(2), D(3))}
