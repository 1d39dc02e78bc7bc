"""The dashboards: every one renders with its panels, filters change the figures, another
company's figures never appear, roles without the documents are refused, and the exports
carry the same rows as the screen."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.core.roles import Role, role_allows
from crossdock.insight.dashboards import DASHBOARDS
from crossdock.insight.registry import KPIS
from crossdock.insight.services.snapshots import take_snapshot
from tests import factories
from tests.browser import client_for

D = Decimal
CODES = list(DASHBOARDS)


@pytest.fixture
def executive(sold):
    return factories.user(Role.EXECUTIVE, companies=[sold.company])


@pytest.mark.parametrize("code", CODES)
def test_each_dashboard_renders_tiles_charts_and_tables(sold, executive, code):
    take_snapshot(sold.today)
    response = client_for(executive).get(reverse(f"insight:{code}"))
    assert response.status_code == 200, response.content[:2000]
    html = response.content.decode()
    spec = DASHBOARDS[code]
    for kpi in spec.tiles:
        assert f'data-kpi="{kpi}"' in html
    assert html.count('class="insight-chart"') >= 2


def _tiles(response):
    return {t.kpi.code: t for t in response.context["board"].tiles}


def test_filters_change_the_figures(sold, executive):
    client = client_for(executive)
    url = reverse("insight:sales")
    everything = _tiles(client.get(url))
    assert everything["line_fill_rate"].value == D("66.6667")
    # Family "Fam" holds P only: O1's line filled, O2's P line short.
    family = _tiles(client.get(url, {"family": sold.family.pk}))
    assert family["line_fill_rate"].value == D("50.0000")
    assert "family" in family["order_fill_rate"].ignored  # orders are not sliced by product
    # The customer is of tier "standard": a strategic slice has nothing.
    strategic = _tiles(client.get(url, {"customer_tier": "strategic"}))
    assert strategic["line_fill_rate"].value is None
    other = factories.warehouse(sold.company, "A-NORTH", name="Acme north")
    north = _tiles(client.get(url, {"warehouse": other.pk}))
    assert north["line_fill_rate"].value is None
    # A period before the orders has none of them.
    early = _tiles(client.get(url, {"start": "2020-01-01", "end": "2020-01-31"}))
    assert early["line_fill_rate"].value is None


def test_the_previous_period_drives_the_arrow(sold, executive):
    response = client_for(executive).get(reverse("insight:sales"), {"period": "30d"})
    tile = _tiles(response)["line_fill_rate"]
    assert tile.previous is None
    assert tile.arrow == ""
    # Move O1 back into the previous 30 days: this period has only O2 (1 of 2 lines filled),
    # the previous one only O1 (1 of 1): down, which is worse for a fill rate.
    from crossdock.sales.models import SalesOrder

    SalesOrder.objects.filter(pk=sold.orders[0].pk).update(
        order_date=sold.today - datetime.timedelta(days=40)
    )
    tile = _tiles(client_for(executive).get(reverse("insight:sales")))["line_fill_rate"]
    assert (tile.value, tile.previous, tile.arrow, tile.tone) == (
        D("50.0000"),
        D("100.0000"),
        "↓",
        "bad",
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"warehouse": "abc"}, "warehouse"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": "2026-03-01", "end": "2026-02-01"}, "start"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "start"),
        ({"customer_tier": "gold"}, "customer_tier"),
        ({"family": "999999"}, "family"),
        ({"supplier": "999999"}, "supplier"),
        ({"format": "pdf"}, "format"),
        ({"export": "nothing"}, "export"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(sold, executive, params, field):
    response = client_for(executive).get(reverse("insight:sales"), params)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()


def test_another_companys_figures_never_appear(sold, company_b, warehouse_b):
    from crossdock.sales.services.fulfilment import ship_sales_order
    from tests.sales.conftest import Selling

    beta = Selling(warehouse_b)
    product = factories.product(sku="BETA-ONLY")
    beta.price(product, "5.00")
    beta.stock(product, "3", cost="2")
    order = beta.confirmed((product, "3", None))
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_b])
    from crossdock.core.context import Actor

    ship_sales_order(Actor.of(operator), order.pk)
    take_snapshot(sold.today)

    only_a = client_for(factories.user(Role.EXECUTIVE, companies=[sold.company]))
    refused = only_a.get(reverse("insight:sales"), {"company": company_b.pk})
    assert refused.status_code == 400
    assert 'data-field="company"' in refused.content.decode()
    refused = only_a.get(
        reverse("insight:documents", args=["line_fill_rate"]), {"company": company_b.pk}
    )
    assert refused.status_code == 400
    page = only_a.get(reverse("insight:documents", args=["line_fill_rate"]))
    assert order.reference not in page.content.decode()
    assert [c.pk for c in page.context["filters"].companies] == [sold.company.pk]

    both = client_for(factories.user(Role.EXECUTIVE, companies=[sold.company, company_b]))
    a = _tiles(both.get(reverse("insight:sales"), {"company": sold.company.pk}))
    b = _tiles(both.get(reverse("insight:sales"), {"company": company_b.pk}))
    assert (a["line_fill_rate"].figure.denominator, b["line_fill_rate"].figure.denominator) == (
        D(3),
        D(1),
    )
    listed = both.get(
        reverse("insight:documents", args=["line_fill_rate"]), {"company": company_b.pk}
    ).content.decode()
    assert order.reference in listed
    assert all(o.reference not in listed for o in sold.orders)


def _allowed(role: Role, code: str) -> bool:
    return role_allows(role, "insight.kpisnapshot", "view") and all(
        role_allows(role, label, "view") for label in KPIS[code].requires
    )


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_each_role_opens_the_dashboards_whose_documents_it_may_read(company_a, role):
    client = client_for(factories.user(role, companies=[company_a]))
    for code, spec in DASHBOARDS.items():
        expected = [kpi for kpi in spec.tiles if _allowed(role, kpi)]
        response = client.get(reverse(f"insight:{code}"))
        if not expected:
            assert response.status_code == 403, (code, role)
            continue
        assert response.status_code == 200, (code, role)
        assert [t.kpi.code for t in response.context["board"].tiles] == expected
    for code in KPIS:
        response = client.get(reverse("insight:documents", args=[code]))
        assert response.status_code == (200 if _allowed(role, code) else 403), (code, role)
    navigation = client.get(reverse("web:home")).content.decode()
    opened = [s for s in DASHBOARDS.values() if any(_allowed(role, k) for k in s.tiles)]
    for spec in DASHBOARDS.values():
        assert (reverse(f"insight:{spec.code}") in navigation) == (spec in opened), spec.code


def test_an_unknown_kpi_or_dashboard_is_a_404(executive):
    client = client_for(executive)
    assert client.get(reverse("insight:documents", args=["no_such_kpi"])).status_code == 404
    assert client.get("/insight/nothing/").status_code == 404


def test_kpi_tiles_and_tables_export_as_csv_and_xlsx(sold, executive):
    from openpyxl import load_workbook

    client = client_for(executive)
    url = reverse("insight:sales")
    response = client.get(url, {"export": "kpis", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    shown = client.get(url).context["board"]
    assert rows[0][:4] == ["kpi", "name", "unit", "value"]
    assert [(r[0], r[3]) for r in rows[1:]] == [
        (t.kpi.code, "" if t.value is None else str(t.value)) for t in shown.tiles
    ]
    response = client.get(url, {"export": "top-customers", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    table = next(t for t in shown.tables if t.key == "top-customers")
    assert values[0] == tuple(table.header)
    assert len(values) - 1 == len(table.rows) == 1
    assert values[1][0] == table.rows[0][0][0]


@pytest.mark.parametrize("params", [{}, {"customer_tier": "standard"}, {"family": "FAMILY"}])
def test_tiles_from_snapshots_equal_the_kpis_computed_live(sold, executive, params):
    """With nightly snapshots for every past day, tiles add them up and compute only today
    live; the figures must be exactly those of the KPI computed over the whole period."""
    from django.db.models import F

    from crossdock.insight.dashboards.tiles import Coverage
    from crossdock.inventory.models import ValuationLayer

    params = {k: str(sold.family.pk) if v == "FAMILY" else v for k, v in params.items()}
    params["period"] = "30d"
    # The company held stock long before: every nightly run writes its stock ratios, which
    # is how a day is known to be snapshotted even when nothing was sold or bought.
    opening = ValuationLayer.objects.filter(company=sold.company).order_by("pk").first()
    ValuationLayer.objects.filter(pk=opening.pk).update(
        recorded_at=F("recorded_at") - datetime.timedelta(days=60)
    )
    for back in range(1, 31):
        take_snapshot(sold.today - datetime.timedelta(days=back))
    response = client_for(executive).get(reverse("insight:sales"), params)
    board = response.context["board"]
    filters = board.filters
    assert Coverage.of(executive, filters).current == sold.today - datetime.timedelta(days=1)
    for t in board.tiles:
        live = [f for f in t.kpi.figures(filters.scope(t.kpi)) if f.dimension_value is None]
        assert t.value == (live[0].value if live else None), t.kpi.code
    # O1 dated 4 days ago comes from the snapshots: the fill rate still counts both orders.
    assert _tiles(response)["order_fill_rate"].figure.denominator == D(2)
