"""The documents behind a KPI figure are exactly those it counts: on the hand-built selling
history (``tests/insight/conftest.py``) every list adds up to the figure's numerator and
denominator, and names the very orders, lines, returns and ledger lines of the fixture."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.core.roles import Role
from crossdock.insight import drilldown
from crossdock.insight.registry import KPIS
from tests import factories
from tests.browser import client_for

D = Decimal
# KPIs whose one list flags the rows in the numerator: rows = denominator, flagged = numerator.
FLAGGED = ("order_fill_rate", "line_fill_rate", "backorder_rate", "stockout_rate")


@pytest.fixture
def client(sold):
    return client_for(factories.user(Role.EXECUTIVE, companies=[sold.company]))


def _page(client, code, **params):
    response = client.get(reverse("insight:documents", args=[code]), params)
    assert response.status_code == 200, response.content[:1000]
    return response


def _rows(response):
    return [(source, rows) for source, _page, rows in response.context["lists"]]


@pytest.mark.parametrize("code", FLAGGED)
def test_flagged_rows_are_the_numerator_and_all_rows_the_denominator(client, code):
    response = _page(client, code)
    figure = response.context["figure"]
    ((_, rows),) = _rows(response)
    assert figure is not None
    assert D(len(rows)) == figure.denominator
    assert D(sum(r.counted_in == drilldown.BOTH for r in rows)) == figure.numerator


def test_line_fill_lists_the_lines_of_the_orders_that_shipped(client, sold):
    o1, o2, o3 = sold.orders
    ((_, rows),) = _rows(_page(client, "line_fill_rate"))
    listed = sorted((r.document, r.detail.split(":")[0], r.counted_in) for r in rows)
    assert listed == sorted([
        (o1.reference, "KPI-P", drilldown.BOTH),
        (o2.reference, "KPI-P", drilldown.DENOMINATOR),
        (o2.reference, "KPI-Q", drilldown.BOTH),
    ])  # fmt: skip
    assert all(o3.reference != r.document for r in rows)
    assert {r.url for r in rows} == {reverse("sales:order_detail", args=[o.pk]) for o in (o1, o2)}


def test_returns_rate_lists_returned_and_delivered_quantities(client):
    response = _page(client, "returns_rate")
    figure = response.context["figure"]
    (returned, returns), (_, deliveries) = _rows(response)
    assert "numerator" in returned.title
    assert sum(r.measure for r in returns) == figure.numerator == D(2)
    assert sum(r.measure for r in deliveries) == figure.denominator == D(19)


def test_gross_margin_lines_add_up_to_the_margin_and_the_revenue(client):
    response = _page(client, "gross_margin")
    figure = response.context["figure"]
    ((_, rows),) = _rows(response)
    assert sum(r.measure for r in rows) == figure.numerator
    revenue = sum(r.measure for r in rows if r.counted_in.startswith("revenue"))
    assert revenue == figure.denominator
    assert all(r.url.startswith("/accounting/entries/") for r in rows)


def test_aged_stock_lists_the_quants_and_the_age_bucket_narrows_them(client, sold):
    response = _page(client, "aged_inventory")
    figure = response.context["figure"]
    ((_, rows),) = _rows(response)
    assert sum(r.measure for r in rows) == figure.denominator
    aged = [r for r in rows if r.counted_in != drilldown.DENOMINATOR]
    assert sum(r.measure for r in aged) == figure.numerator == D(5)
    assert [r.document for r in aged] == ["KPI-R"]
    ((_, old),) = _rows(_page(client, "aged_inventory", age="91+"))
    assert [(r.document, r.measure) for r in old] == [("KPI-R", D(5))]
    ((_, fresh),) = _rows(_page(client, "aged_inventory", age="0-30"))
    assert "KPI-R" not in {r.document for r in fresh}
    assert sum(r.measure for r in fresh) == figure.denominator - D(5)


def test_order_to_ship_days_add_up_to_the_numerator(client, sold):
    response = _page(client, "order_to_ship_cycle_time")
    figure = response.context["figure"]
    ((_, rows),) = _rows(response)
    assert D(len(rows)) == figure.denominator
    assert sum(r.measure for r in rows) == figure.numerator


def test_filters_narrow_the_documents_like_the_figure(client, sold):
    response = _page(client, "line_fill_rate", family=sold.family.pk)
    ((_, rows),) = _rows(response)
    assert {r.detail.split(":")[0] for r in rows} == {"KPI-P"}
    assert D(len(rows)) == response.context["figure"].denominator == D(2)
    ((_, none),) = _rows(_page(client, "line_fill_rate", customer_tier="strategic"))
    assert none == []


def test_the_document_list_exports_every_row_as_csv_and_xlsx(client, sold):
    from openpyxl import load_workbook

    url = reverse("insight:documents", args=["returns_rate"])
    shown = _rows(_page(client, "returns_rate"))
    count = sum(len(rows) for _, rows in shown)
    text = client.get(url, {"format": "csv"}).content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["list", *drilldown.HEADER]
    assert len(rows) - 1 == count
    book = load_workbook(io.BytesIO(client.get(url, {"format": "xlsx"}).content))
    values = list(book.active.iter_rows(values_only=True))
    assert len(values) - 1 == count
    assert {v[1] for v in values[1:]} == {r[1] for r in rows[1:]}


def test_every_kpi_has_a_document_list(client):
    assert set(drilldown.DRILLS) == set(KPIS)
    for code in KPIS:
        _page(client, code)
