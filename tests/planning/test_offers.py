"""Supplier offers for planning, read from the purchasing catalogue in company currency."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crossdock.masterdata.models import Currency, ExchangeRate, Partner
from crossdock.planning.network import Offer
from crossdock.planning.offers import load_offers
from tests import factories
from tests.purchasing.conftest import Buying
from tests.purchasing.test_scorecards import MARCH
from tests.purchasing.test_scorecards import history as history  # the fixture, reused

D = Decimal
DAY = datetime.date(2026, 3, 31)


@pytest.fixture
def buying(warehouse_a):
    return Buying(warehouse_a)


@pytest.fixture
def second(warehouse_a):
    """A second supplier of the same company, billing in US dollars."""
    other = Buying(warehouse_a)
    usd = Currency.objects.get(code="USD")
    Partner.objects.filter(pk=other.supplier.pk).update(currency=usd, name="Dollar Supplies")
    other.supplier.refresh_from_db()
    return other


def _usd_rate(rate: str, valid_from=datetime.date(2026, 1, 1)):
    ExchangeRate.objects.create(
        currency=Currency.objects.get(code="USD"),
        quote_currency=Currency.objects.get(code="EUR"),
        valid_from=valid_from,
        rate=D(rate),
    )


def test_offers_in_company_currency_landed_and_priced_at_the_smallest_order(buying, second):
    product = factories.product(sku="OF-1")
    Partner.objects.filter(pk=buying.supplier.pk).update(name="Euro Parts")
    # EUR supplier: MOQ 30 in packs of 12 → smallest order 36, priced at the 24+ break (4.50),
    # plus 10 % landed estimate = 4.95.
    buying.offer(
        product, ("0", "5.00"), ("24", "4.50"), ("100", "4.00"),
        moq="30", multiple="12", lead_time_days=9, estimated_landed_cost_percent=D("10"),
    )  # fmt: skip
    # USD supplier, preferred: 4.00 USD × 0.9 = 3.60 EUR, + 2.5 % = 3.69
    second.offer(
        product, ("0", "4.00"), lead_time_days=30, preference=1,
        estimated_landed_cost_percent=D("2.5"),
    )  # fmt: skip
    from crossdock.purchasing.models import SupplierProduct

    SupplierProduct.objects.filter(supplier=buying.supplier).update(preference=2)
    _usd_rate("0.9")
    problems: list[str] = []
    offers = load_offers(buying.company.pk, [product.pk], on=DAY, problems=problems)
    assert problems == []
    assert offers == {
        product.pk: [
            Offer(second.supplier.pk, "Dollar Supplies", D("3.690000"), 30, D(0), None,
                  D(0), D(1), None, preference=1),
            Offer(buying.supplier.pk, "Euro Parts", D("4.950000"), 9, D(0), None,
                  D(30), D(12), None, preference=2),
        ]
    }  # fmt: skip


def test_a_missing_rate_skips_the_offer_and_reports_it(buying, second):
    product = factories.product(sku="OF-2")
    buying.offer(product, ("0", "5.00"))
    second.offer(product, ("0", "4.00"))
    _usd_rate("0.9", valid_from=datetime.date(2026, 4, 1))  # only after the planning day
    problems: list[str] = []
    offers = load_offers(buying.company.pk, [product.pk], on=DAY, problems=problems)
    assert [o.supplier_id for o in offers[product.pk]] == [buying.supplier.pk]
    assert problems == [
        "Product OF-2: the offer of Dollar Supplies is skipped: no USD/EUR exchange rate on or "
        "before 2026-03-31."
    ]


def test_only_orderable_entries_count(buying, second):
    product, other = factories.product(sku="OF-3"), factories.product(sku="OF-4")
    buying.offer(product, ("0", "5.00"), valid_to=datetime.date(2026, 3, 30))  # expired
    second.offer(product, ("0", "4.00"))
    Partner.objects.filter(pk=second.supplier.pk).update(active=False)
    buying.offer(other, ("10", "2.00"), moq="4")  # first break at 10: the minimum becomes 10
    offers = load_offers(buying.company.pk, [product.pk, other.pk], on=DAY)
    assert offers[product.pk] == []
    ((found,),) = [offers[other.pk]]
    assert (found.unit_landed_cost, found.minimum_quantity) == (D("2.000000"), D(10))


def test_lead_time_spread_and_score_come_from_the_scorecard(history):
    # March: lead times 7, 10 and 15 days against 7 promised → mean 10.7, 3.7 days late → 4;
    # spread 3.3; score 43.9 (worked out in tests/purchasing/test_scorecards.py).
    product = factories.product(sku="OF-5")
    history.offer(product, ("0", "3.00"), lead_time_days=5)
    offers = load_offers(history.company.pk, [product.pk], on=MARCH[1])
    ((offer,),) = [offers[product.pk]]
    assert (offer.lead_time_days, offer.lead_time_sd_days, offer.score) == (9, D("3.3"), D("43.9"))


def test_queries_do_not_grow_with_the_number_of_products(buying):
    products = [factories.product() for _ in range(6)]
    for item in products:
        buying.offer(item, ("0", "1.00"), ("10", "0.90"))
    with CaptureQueriesContext(connection) as one:
        load_offers(buying.company.pk, [products[0].pk], on=DAY)
    with CaptureQueriesContext(connection) as six:
        offers = load_offers(buying.company.pk, [p.pk for p in products], on=DAY)
    assert len(six) == len(one)
    assert sum(len(found) for found in offers.values()) == 6


@pytest.mark.django_db
def test_an_unknown_company_is_reported():
    problems: list[str] = []
    assert load_offers(999_999, [1], problems=problems) == {1: []}
    assert problems == ["Company 999999 does not exist; no offers loaded."]


def test_the_free_freight_value_is_converted_to_company_currency(buying, second):
    product = factories.product(sku="OF-FF")
    second.offer(product, ("0", "4.00"), free_freight_value=D("1000"))
    buying.offer(product, ("0", "5.00"))
    _usd_rate("0.9")
    offers = load_offers(buying.company.pk, [product.pk], on=DAY)[product.pk]
    by_supplier = {offer.supplier_id: offer.free_freight_value for offer in offers}
    assert by_supplier == {second.supplier.pk: D("900.0000"), buying.supplier.pk: None}
