"""Vendor scorecards on a fixed history, with the figures worked out by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.inventory.models import StockMove
from crossdock.masterdata.models import Partner
from crossdock.purchasing.scorecards import apply_risk_classes, scorecards
from crossdock.purchasing.services import matching, orders
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal
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
def history(buying):
    """A: 10 ordered 1 March, promised 8 March, arrived 8 March, billed at the contract
    price. B: 20 ordered 5 March, promised 12 March, arrived 10 on the 15th and 10 on the
    20th, billed at 5.50 against a contract price of 5.00 (variance accepted)."""
    a, b = factories.product(sku="SC-A"), factories.product(sku="SC-B")
    buying.offer(a, ("0", "4.00"), lead_time_days=7)
    buying.offer(b, ("0", "5.00"), lead_time_days=7)
    first, line_a = _order(buying, a, "10", 1, 8)
    _receive(first, line_a, "10", 8)
    second, line_b = _order(buying, b, "20", 5, 12)
    _receive(second, line_b, "10", 15)
    _receive(second, line_b, "10", 20)
    matching.bill_purchase_order(SYSTEM, first.pk, "SC-1", date=datetime.date(2026, 3, 22))
    bill = matching.bill_purchase_order(
        SYSTEM, second.pk, "SC-2", date=datetime.date(2026, 3, 25), prices={line_b.pk: D("5.50")}
    )
    matching.accept_variance(SYSTEM, bill.pk, "Surcharge agreed by phone")
    return buying


def test_scorecard_figures_on_a_fixed_history(history):
    (card,) = scorecards(history.company.pk, *MARCH)
    assert card.supplier_id == history.supplier.pk
    assert (card.receipt_lines, card.on_time_rate) == (3, D("0.3333"))
    assert (card.lines_due, card.in_full_rate) == (2, D("0.5000"))
    # lead times 7, 10 and 15 days: mean 10.67, population deviation 3.30
    assert (card.lead_time_mean_days, card.lead_time_std_days) == (D("10.7"), D("3.3"))
    assert card.promised_lead_time_days == D("7.0")
    assert (card.bills, card.first_time_match_rate) == (2, D("0.5000"))
    # billed 40 + 110 = 150 against 40 + 100 = 140 at contract prices: +7.14 %
    assert card.price_variance_percent == D("7.14")
    assert card.rejection_rate is None
    # 35×0.3333 + 25×0.5 + 20×0.5 + 10×(1 − 3.3/10.7) + 10×(1 − 0.714) = 43.94
    assert card.score == D("43.9")
    assert card.risk_class == "high"


def test_a_period_without_activity_has_no_scorecard(history):
    assert (
        scorecards(history.company.pk, datetime.date(2025, 1, 1), datetime.date(2025, 1, 31)) == []
    )


def test_applying_risk_classes_updates_the_supplier_and_audits_it(history):
    changes = apply_risk_classes(SYSTEM, history.company.pk, *MARCH)
    assert changes == [(history.supplier.code, "", "high")]
    assert Partner.objects.get(pk=history.supplier.pk).supplier_risk_class == "high"
    assert apply_risk_classes(SYSTEM, history.company.pk, *MARCH) == []  # nothing changes twice
