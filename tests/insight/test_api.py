"""The KPI API: definitions, current figures, trends, bad input and the permission matrix
(every role × every KPI, against the role table: a KPI is visible to a role that may view
KPI snapshots and every model the KPI is computed from)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.core.roles import Role, role_allows
from crossdock.insight.models import KpiSnapshot
from crossdock.insight.registry import KPIS
from crossdock.insight.services.snapshots import take_snapshot
from tests import factories
from tests.api.conftest import ApiClient

D = Decimal
ROLES = list(Role)


def _allowed(role: Role, code: str) -> bool:
    kpi = KPIS[code]
    return role_allows(role, "insight.kpisnapshot", "view") and all(
        role_allows(role, label, "view") for label in kpi.requires
    )


@pytest.fixture
def clients(company_a):
    users = {role: factories.user(role, companies=[company_a]) for role in ROLES}
    return {role: ApiClient(user) for role, user in users.items()}


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_sees_the_kpis_its_documents_allow(clients, role):
    client = clients[role]
    listed = client.get("kpis")
    assert listed.status_code == 200, listed.content
    expected = sorted(code for code in KPIS if _allowed(role, code))
    assert [item["code"] for item in listed.json()["items"]] == expected
    for code in KPIS:
        want = 200 if _allowed(role, code) else 403
        figures = client.get(f"kpis/{code}")
        assert figures.status_code == want, (code, figures.content)
        trend = client.get(f"kpis/{code}/trend")
        assert trend.status_code == want, (code, trend.content)
        if want == 403:
            assert figures.json()["code"] == "forbidden"


def test_finance_figures_are_for_finance_roles(clients):
    assert _allowed(Role.CONTROLLER, "gross_margin")
    assert _allowed(Role.EXECUTIVE, "gross_margin")
    assert not _allowed(Role.SALES_REP, "gross_margin")
    assert not _allowed(Role.WAREHOUSE_OPERATOR, "inventory_turnover")
    assert _allowed(Role.SALES_REP, "order_fill_rate")
    assert clients[Role.SALES_REP].get("kpis/gross_margin").status_code == 403


def test_anonymous_callers_are_refused(db):
    assert ApiClient().get("kpis").status_code == 401


def test_definitions_carry_formula_unit_direction_and_dimensions(clients):
    response = clients[Role.EXECUTIVE].get("kpis", {"unit": "money"})
    (item,) = response.json()["items"]
    assert item["code"] == "purchase_price_variance"
    assert item["unit"] == "money"
    assert item["direction"] == "lower"
    assert item["dimensions"] == ["company", "supplier", "category", "family"]
    assert item["formula"].startswith("Σ debits − Σ credits on the purchase price variance")
    assert item["computed_from"] == ["accounting.journalentry", "purchasing.purchaseorder"]
    page = clients[Role.EXECUTIVE].get("kpis", {"limit": 2}).json()
    assert len(page["items"]) == 2
    rest = clients[Role.EXECUTIVE].get("kpis", {"cursor": page["next_cursor"]}).json()
    assert rest["items"][0]["code"] > page["items"][1]["code"]


def test_current_figures_for_a_range_sliced_by_category(sold):
    controller = ApiClient(factories.user(Role.CONTROLLER, companies=[sold.company]))
    params = {"start": sold.start.isoformat(), "end": sold.end.isoformat(), "by": "category"}
    response = controller.get("kpis/gross_margin", params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["kpi"], body["unit"], body["by"]) == ("gross_margin", "percent", "category")
    assert body["items"] == [
        {"company": sold.company.pk, "dimension_value": str(sold.cat1.pk),
         "label": "Fam/Cat1", "value": "52.0000", "numerator": "91.000000",
         "denominator": "175.000000"},
        {"company": sold.company.pk, "dimension_value": str(sold.cat2.pk),
         "label": "Cat2", "value": "60.0000", "numerator": "60.000000",
         "denominator": "100.000000"},
    ]  # fmt: skip


def test_filters_narrow_the_figures(sold):
    rep = ApiClient(factories.user(Role.SALES_MANAGER, companies=[sold.company]))
    params = {"start": sold.start.isoformat(), "end": sold.end.isoformat()}
    whole = rep.get("kpis/line_fill_rate", params).json()["items"]
    assert [i["value"] for i in whole] == ["66.6667"]
    only = rep.get("kpis/line_fill_rate", {**params, "category": sold.cat2.pk}).json()["items"]
    assert [i["value"] for i in only] == ["100.0000"]
    tier = rep.get("kpis/line_fill_rate", {**params, "customer_tier": "key"}).json()["items"]
    assert tier == []


def test_a_user_of_another_company_sees_nothing_of_this_one(sold, company_b):
    outsider = ApiClient(factories.user(Role.EXECUTIVE, companies=[company_b]))
    params = {"start": sold.start.isoformat(), "end": sold.end.isoformat()}
    assert outsider.get("kpis/order_fill_rate", params).json()["items"] == []
    refused = outsider.get("kpis/order_fill_rate", {**params, "company": sold.company.pk})
    assert refused.status_code == 422
    assert "company" in refused.json()["errors"]


def test_a_warehouse_bound_user_sees_only_warehouse_figures(sold):
    user = factories.user(
        Role.WAREHOUSE_MANAGER, companies=[sold.company], warehouses=[sold.warehouse]
    )
    client = ApiClient(user)
    codes = [i["code"] for i in client.get("kpis").json()["items"]]
    assert "aged_inventory" in codes
    assert "inventory_turnover" not in codes  # per company only, not per warehouse
    assert client.get("kpis/inventory_turnover").status_code == 403
    items = client.get("kpis/aged_inventory").json()["items"]
    assert [i["value"] for i in items] == ["20.0000"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "start"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "start"),
        ({"by": "supplier"}, "by"),
        ({"supplier": "4"}, "supplier"),
        ({"by": "planet"}, "by"),
        ({"start": "yesterday"}, "start"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_parameter(clients, params, field):
    response = clients[Role.EXECUTIVE].get("kpis/order_fill_rate", params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in str(body), body


def test_an_unknown_kpi_is_not_found(clients):
    response = clients[Role.EXECUTIVE].get("kpis/no_such_kpi")
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"


def test_trend_reads_the_snapshots_oldest_first_with_cursor_pages(sold):
    yesterday = sold.today - sold.today.resolution
    take_snapshot(yesterday)
    take_snapshot(sold.today)
    executive = ApiClient(factories.user(Role.EXECUTIVE, companies=[sold.company]))
    params = {"start": yesterday.isoformat(), "end": sold.today.isoformat()}
    body = executive.get("kpis/aged_inventory/trend", {**params, "limit": 1}).json()
    assert [p["day"] for p in body["items"]] == [yesterday.isoformat()]
    rest = executive.get(
        "kpis/aged_inventory/trend", {**params, "cursor": body["next_cursor"]}
    ).json()
    assert [(p["day"], p["value"], p["numerator"], p["denominator"]) for p in rest["items"]] == [
        (sold.today.isoformat(), "20.0000", "5.000000", "25.000000")
    ]
    assert rest["next_cursor"] is None
    # nothing was received or delivered in the 30 days up to yesterday: no turnover then
    turnover = executive.get("kpis/inventory_turnover/trend", params).json()["items"]
    assert [(p["day"], p["window_start"], p["value"]) for p in turnover] == [
        (sold.today.isoformat(), (sold.today - 29 * sold.today.resolution).isoformat(), "1.9077")
    ]
    sliced = executive.get(
        "kpis/aged_inventory/trend",
        {**params, "by": "warehouse", "value": str(sold.warehouse.pk)},
    ).json()["items"]
    assert [(p["day"], p["dimension_value"], p["value"]) for p in sliced] == [
        (yesterday.isoformat(), str(sold.warehouse.pk), "20.0000"),
        (sold.today.isoformat(), str(sold.warehouse.pk), "20.0000"),
    ]
    assert KpiSnapshot.objects.filter(kpi="aged_inventory").exists()
    refused = executive.get("kpis/aged_inventory/trend", {"value": "3"})
    assert refused.status_code == 422
    assert "value" in refused.json()["errors"]
