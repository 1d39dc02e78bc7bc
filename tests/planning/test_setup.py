"""Planning setup: settings (exact, ranges, versions), transfer lanes, promotions, the
demand-history API and import, the permission matrix of the "Planning setup" endpoints,
the setup screens, and the planning demo at small scale."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client, override_settings

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, StaleVersionError
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role, role_allows
from crossdock.planning.models import (
    DemandDay,
    PlanningItem,
    PlanningSettings,
    Promotion,
    TransferLane,
)
from crossdock.planning.services import setup
from crossdock.planning.services.history import import_demand_history
from tests import factories
from tests.api.conftest import ApiClient

D = Decimal
SYSTEM = Actor.system("tests")


@pytest.fixture
def planner(company_a):
    return Actor.of(factories.user(Role.PLANNER, companies=[company_a]))


# -- settings -------------------------------------------------------------------------------


def test_settings_save_exact_values_and_count_versions(company_a, planner):
    saved = setup.update_planning_settings(
        planner, company_a.pk, {"service_level_a": "99.5", "dead_stock_days": 365}
    )
    assert (saved.service_level_a, saved.dead_stock_days, saved.version) == (D("99.5"), 365, 1)
    again = setup.update_planning_settings(
        planner, company_a.pk, {"outlier_limit": "4.25"}, expected_version=1
    )
    assert (again.outlier_limit, again.version) == (D("4.25"), 2)
    assert AuditEntry.objects.filter(object_type="planning.planningsettings").count() == 2
    assert OutboxEvent.objects.filter(name="planning.planningsettings.updated").count() == 1


def test_bad_settings_name_every_field_and_write_nothing(company_a, planner):
    with pytest.raises(DomainError) as refused:
        setup.update_planning_settings(
            planner,
            company_a.pk,
            {
                "service_level_a": "100",
                "service_level_b": 95.5,
                "service_level_c": "90.12345",
                "review_period_days": 0,
                "service_measure": "sometimes",
                "colour": "blue",
            },
        )
    assert set(refused.value.fields) == {
        "service_level_a",
        "service_level_b",
        "service_level_c",
        "review_period_days",
        "service_measure",
        "colour",
    }
    assert not PlanningSettings.objects.exists()


def test_a_stale_settings_version_is_refused(company_a, planner):
    setup.update_planning_settings(planner, company_a.pk, {"horizon_weeks": 30})
    with pytest.raises(StaleVersionError):
        setup.update_planning_settings(
            planner, company_a.pk, {"horizon_weeks": 40}, expected_version=0
        )
    assert PlanningSettings.objects.get().horizon_weeks == 30


# -- lanes ----------------------------------------------------------------------------------


def test_lanes_between_two_warehouses_with_a_lead_time_of_at_least_a_day(warehouse_a, planner):
    depot = factories.warehouse(warehouse_a.company)
    base = {"from_warehouse": warehouse_a.pk, "to_warehouse": depot.pk}
    for bad, field in (
        ({**base, "to_warehouse": warehouse_a.pk}, "to_warehouse"),
        ({**base, "lead_time_days": 0}, "lead_time_days"),
        ({**base, "lead_time_days": 366}, "lead_time_days"),
        ({**base, "lead_time_days": "two"}, "lead_time_days"),
        ({**base, "from_warehouse": 999_999}, "from_warehouse"),
    ):
        with pytest.raises(DomainError) as refused:
            setup.create_transfer_lane(planner, bad)
        assert field in refused.value.fields
    assert not TransferLane.objects.exists()
    lane = setup.create_transfer_lane(planner, {**base, "lead_time_days": 2})
    assert (lane.company_id, lane.lead_time_days, lane.version) == (depot.company_id, 2, 1)
    with pytest.raises(DomainError, match="already exists"):
        setup.create_transfer_lane(planner, base)
    with pytest.raises(DomainError):
        setup.update_transfer_lane(planner, lane.pk, {"lead_time_days": 0})
    lane.refresh_from_db()
    assert lane.lead_time_days == 2
    changed = setup.update_transfer_lane(
        planner, lane.pk, {"lead_time_days": 3}, expected_version=1
    )
    assert (changed.lead_time_days, changed.version) == (3, 2)
    setup.delete_transfer_lane(planner, lane.pk)
    assert not TransferLane.objects.exists()


def test_a_lane_from_another_company_only_inside_the_group(company_a, company_b):
    holding = factories.company("HOLD")
    sister = factories.company("SIS", parent=holding)
    company_a.parent = holding
    company_a.save()
    central = factories.warehouse(company_a)
    sister_depot = factories.warehouse(sister)
    stranger = factories.warehouse(company_b)
    lane = setup.create_transfer_lane(
        SYSTEM, {"from_warehouse": central.pk, "to_warehouse": sister_depot.pk}
    )
    assert lane.company_id == sister.pk
    with pytest.raises(DomainError) as refused:
        setup.create_transfer_lane(
            SYSTEM, {"from_warehouse": central.pk, "to_warehouse": stranger.pk}
        )
    assert "from_warehouse" in refused.value.fields
    assert TransferLane.objects.count() == 1


# -- promotions -----------------------------------------------------------------------------


def test_promotions_end_on_or_after_their_start(warehouse_a, warehouse_b, planner):
    company = warehouse_a.company
    product = factories.product()
    good = {"name": "Spring", "starts_on": "2026-04-01", "ends_on": "2026-04-01"}
    for bad, field in (
        ({**good, "ends_on": "2026-03-31"}, "ends_on"),
        ({**good, "starts_on": "April"}, "starts_on"),
        ({**good, "name": " "}, "name"),
        ({**good, "warehouse": warehouse_b.pk}, "warehouse"),
        ({**good, "product": product.pk, "category": product.category_id}, "category"),
        ({**good, "product": 999_999}, "product"),
    ):
        with pytest.raises(DomainError) as refused:
            setup.create_promotion(planner, company.pk, bad)
        assert field in refused.value.fields, bad
    assert not Promotion.objects.exists()
    promotion = setup.create_promotion(planner, company.pk, {**good, "product": product.pk})
    assert (promotion.starts_on, promotion.product_id) == (datetime.date(2026, 4, 1), product.pk)
    with pytest.raises(DomainError):
        setup.update_promotion(planner, promotion.pk, {"starts_on": "2026-05-01"})
    promotion.refresh_from_db()
    assert promotion.starts_on == datetime.date(2026, 4, 1)
    changed = setup.update_promotion(planner, promotion.pk, {"ends_on": "2026-04-10"})
    assert (changed.ends_on, changed.version) == (datetime.date(2026, 4, 10), 2)
    setup.delete_promotion(planner, promotion.pk)
    assert not Promotion.objects.exists()


# -- importing history ----------------------------------------------------------------------


def test_import_history_names_every_bad_row_and_writes_nothing(warehouse_a, planner):
    product = factories.product()
    content = (
        "product,warehouse,day,quantity,lost\n"
        f"{product.sku},{warehouse_a.code},2026-01-05,12,0\n"
        f"{product.sku},{warehouse_a.code},2026-01-06,-3,0\n"
        f"NOPE,{warehouse_a.code},2026-01-07,1,0\n"
        f"{product.sku},ELSEWHERE,2026-01-08,1,0\n"
        f"{product.sku},{warehouse_a.code},5 Jan,1,0\n"
        f"{product.sku},{warehouse_a.code},2026-01-05,1,0\n"
    ).encode()
    result = import_demand_history(planner, warehouse_a.company_id, "h.csv", content)
    assert not result.ok
    assert [(e.row, e.field) for e in result.errors] == [
        (3, "quantity"),
        (4, "product"),
        (5, "warehouse"),
        (6, "day"),
        (7, "day"),
    ]
    assert result.errors[0].message == "Cannot be negative."
    assert not DemandDay.objects.exists()


def test_import_history_dry_run_then_import_then_replace(warehouse_a, planner):
    product = factories.product()
    content = (
        "product,warehouse,day,quantity,lost\n"
        f"{product.sku},{warehouse_a.code},2026-01-05,12.5,2\n"
        f"{product.sku},{warehouse_a.code},2026-01-06,3,\n"
    ).encode()
    company = warehouse_a.company_id
    dry = import_demand_history(planner, company, "h.csv", content, dry_run=True)
    assert (dry.ok, dry.created) == (True, 2)
    assert not DemandDay.objects.exists()
    done = import_demand_history(planner, company, "h.csv", content)
    assert (done.created, done.updated) == (2, 0)
    rows = sorted(DemandDay.objects.values_list("day", "shipped", "lost", "quantity", "source"))
    assert rows == [
        (datetime.date(2026, 1, 5), D("12.5"), D(2), D("14.5"), "import"),
        (datetime.date(2026, 1, 6), D(3), D(0), D(3), "import"),
    ]
    again = import_demand_history(planner, company, "h.csv", content)
    assert (again.created, again.updated) == (0, 2)
    assert DemandDay.objects.count() == 2


# -- the API --------------------------------------------------------------------------------


def test_api_settings_etag_and_bad_input(company_a):
    client = ApiClient(factories.user(Role.PLANNER, companies=[company_a]))
    got = client.get(f"planning-settings/{company_a.pk}")
    assert got.status_code == 200
    assert got.json()["service_level_a"] == "98.0000"
    assert got["ETag"] == '"0"'
    bad = client.patch(f"planning-settings/{company_a.pk}", {"service_level_b": "0"})
    assert bad.status_code == 422
    assert "service_level_b" in bad.json()["errors"]
    floats = client.patch(f"planning-settings/{company_a.pk}", {"service_level_b": 95.5})
    assert floats.status_code == 422
    assert not PlanningSettings.objects.exists()
    ok = client.patch(
        f"planning-settings/{company_a.pk}", {"service_level_b": "96.25"}, HTTP_IF_MATCH='"0"'
    )
    assert ok.status_code == 200
    assert (ok.json()["service_level_b"], ok.json()["version"]) == ("96.2500", 1)
    stale = client.patch(
        f"planning-settings/{company_a.pk}", {"service_level_b": "97"}, HTTP_IF_MATCH='"0"'
    )
    assert stale.status_code == 412


def test_api_demand_history_filters_and_pages(warehouse_a, warehouse_b):
    product = factories.product()
    for day in range(1, 6):
        DemandDay.objects.create(
            company=warehouse_a.company,
            product=product,
            warehouse=warehouse_a,
            day=datetime.date(2026, 3, day),
            shipped=D(day),
            quantity=D(day),
        )
    DemandDay.objects.create(  # another company's row is not seen
        company=warehouse_b.company,
        product=product,
        warehouse=warehouse_b,
        day=datetime.date(2026, 3, 2),
        shipped=D(9),
        quantity=D(9),
    )
    client = ApiClient(factories.user(Role.PLANNER, companies=[warehouse_a.company]))
    first = client.get(
        "demand-history", {"product": product.pk, "day_from": "2026-03-02", "limit": 2}
    )
    assert first.status_code == 200
    assert [r["quantity"] for r in first.json()["items"]] == ["2.000000", "3.000000"]
    rest = client.get(
        "demand-history",
        {"product": product.pk, "day_from": "2026-03-02", "limit": 2,
         "cursor": first.json()["next_cursor"]},
    )  # fmt: skip
    assert [r["day"] for r in rest.json()["items"]] == ["2026-03-04", "2026-03-05"]
    assert client.get("demand-history", {"colour": "red"}).status_code == 422
    assert client.get("demand-history", {"day_from": "March"}).status_code == 422


def test_api_lane_with_bad_input_writes_nothing(warehouse_a):
    client = ApiClient(factories.user(Role.PLANNER, companies=[warehouse_a.company]))
    bad = client.post(
        "transfer-lanes", {"from_warehouse": warehouse_a.pk, "to_warehouse": warehouse_a.pk}
    )
    assert bad.status_code == 422
    assert "to_warehouse" in bad.json()["errors"]
    assert not TransferLane.objects.exists()


def test_api_import_reports_rows(warehouse_a):
    client = ApiClient(factories.user(Role.PLANNER, companies=[warehouse_a.company]))
    upload = io.BytesIO(b"product,warehouse,day,quantity\nNOPE,X,2026-01-01,-1\n")
    upload.name = "h.csv"
    response = client.client.post(
        f"/api/v1/demand-history/import?company={warehouse_a.company_id}", {"file": upload}
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["row_errors"]} == {
        "product",
        "warehouse",
        "quantity",
    }


# -- the permission matrix ------------------------------------------------------------------

SETTINGS = "planning.planningsettings"
LANE = "planning.transferlane"
PROMOTION = "planning.promotion"
DEMAND = "planning.demandday"


class World:
    def __init__(self, company_a):
        self.company = company_a
        self.central = factories.warehouse(company_a)
        self.product = factories.product()
        self.days = 0

    def depot(self):
        return factories.warehouse(self.company)

    def lane(self):
        return setup.create_transfer_lane(
            SYSTEM, {"from_warehouse": self.central.pk, "to_warehouse": self.depot().pk}
        )

    def promotion(self):
        return setup.create_promotion(
            SYSTEM,
            self.company.pk,
            {"name": "P", "starts_on": "2026-01-01", "ends_on": "2026-01-02"},
        )

    def upload(self):
        self.days += 1
        upload = io.BytesIO(
            f"product,warehouse,day,quantity\n{self.product.sku},{self.central.code},"
            f"2026-01-{self.days:02d},1\n".encode()
        )
        upload.name = "h.csv"
        return upload


ENDPOINTS = {
    # name: (model, action(s), allowed status, call, HTTP method, OpenAPI path)
    "get-settings": (SETTINGS, ("view",), 200,
                     lambda c, w: c.get(f"planning-settings/{w.company.pk}"),
                     "get", "/api/v1/planning-settings/{company_id}"),
    "patch-settings": (SETTINGS, ("change",), 200,
                       lambda c, w: c.patch(f"planning-settings/{w.company.pk}",
                                            {"horizon_weeks": 20}),
                       "patch", "/api/v1/planning-settings/{company_id}"),
    "list-lanes": (LANE, ("view",), 200, lambda c, w: c.get("transfer-lanes"),
                   "get", "/api/v1/transfer-lanes"),
    "create-lane": (LANE, ("add",), 201,
                    lambda c, w: c.post("transfer-lanes", {"from_warehouse": w.central.pk,
                                                           "to_warehouse": w.depot().pk}),
                    "post", "/api/v1/transfer-lanes"),
    "get-lane": (LANE, ("view",), 200, lambda c, w: c.get(f"transfer-lanes/{w.lane().pk}"),
                 "get", "/api/v1/transfer-lanes/{id}"),
    "patch-lane": (LANE, ("change",), 200,
                   lambda c, w: c.patch(f"transfer-lanes/{w.lane().pk}", {"lead_time_days": 4}),
                   "patch", "/api/v1/transfer-lanes/{id}"),
    "delete-lane": (LANE, ("delete",), 204,
                    lambda c, w: c.delete(f"transfer-lanes/{w.lane().pk}"),
                    "delete", "/api/v1/transfer-lanes/{id}"),
    "list-promotions": (PROMOTION, ("view",), 200, lambda c, w: c.get("promotions"),
                        "get", "/api/v1/promotions"),
    "create-promotion": (PROMOTION, ("add",), 201,
                         lambda c, w: c.post("promotions", {"company": w.company.pk, "name": "X",
                                                            "starts_on": "2026-02-01",
                                                            "ends_on": "2026-02-03"}),
                         "post", "/api/v1/promotions"),
    "get-promotion": (PROMOTION, ("view",), 200,
                      lambda c, w: c.get(f"promotions/{w.promotion().pk}"),
                      "get", "/api/v1/promotions/{id}"),
    "patch-promotion": (PROMOTION, ("change",), 200,
                        lambda c, w: c.patch(f"promotions/{w.promotion().pk}", {"name": "Y"}),
                        "patch", "/api/v1/promotions/{id}"),
    "delete-promotion": (PROMOTION, ("delete",), 204,
                         lambda c, w: c.delete(f"promotions/{w.promotion().pk}"),
                         "delete", "/api/v1/promotions/{id}"),
    "list-demand": (DEMAND, ("view",), 200, lambda c, w: c.get("demand-history"),
                    "get", "/api/v1/demand-history"),
    "import-demand": (DEMAND, ("add", "change"), 201,
                      lambda c, w: c.client.post(
                          f"/api/v1/demand-history/import?company={w.company.pk}",
                          {"file": w.upload()}),
                      "post", "/api/v1/demand-history/import"),
}  # fmt: skip


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_permission_matrix(company_a, endpoint):
    model, actions, allowed_status, call, _, _ = ENDPOINTS[endpoint]
    world = World(company_a)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        users = {role: factories.user(role, companies=[company_a]) for role in Role}
    for role, user in users.items():
        allowed = all(role_allows(role, model, action) for action in actions)
        response = call(ApiClient(user), world)
        expected = allowed_status if allowed else 403
        assert response.status_code == expected, (role, response.content)


def test_the_matrix_covers_every_planning_setup_endpoint(db):
    document = Client().get("/api/v1/openapi.json").json()
    served = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "Planning setup" in operation.get("tags", [])
    }
    assert served == {(e[4], e[5]) for e in ENDPOINTS.values()}


def test_planners_and_buyers_plan():
    for role in (Role.PLANNER, Role.BUYER, Role.PURCHASING_MANAGER):
        assert role_allows(role, LANE, "add")
        assert role_allows(role, SETTINGS, "change")
    assert not role_allows(Role.SALES_REP, LANE, "view")


# -- the demo -------------------------------------------------------------------------------


def test_the_small_demo_has_two_years_of_history_and_classified_items(db):
    from crossdock.web.management.commands.demo import load_everything

    result = load_everything("small", 2024)
    assert result.counts["demand_days"] > 5_000
    assert result.counts["planning_items"] > 500
    assert result.counts["transfer_lanes"] == 9
    days = DemandDay.objects.filter(source="import")
    first = days.order_by("day").values_list("day", flat=True).first()
    last = days.order_by("-day").values_list("day", flat=True).first()
    assert last is not None
    assert first is not None
    assert (last - first).days == 729
    classes = set(PlanningItem.objects.values_list("abc", flat=True))
    assert classes == {"A", "B", "C"}
    patterns = set(PlanningItem.objects.values_list("pattern", flat=True))
    assert {"smooth", "intermittent", "lumpy"} <= patterns
    lifecycles = set(PlanningItem.objects.values_list("lifecycle", flat=True))
    assert {"new", "active", "obsolete"} <= lifecycles
    assert DemandDay.objects.filter(is_promotion=True).exists()


# -- the screens ----------------------------------------------------------------------------


@pytest.fixture
def browser(company_a):
    client = Client()
    client.force_login(factories.user(Role.PLANNER, companies=[company_a]))
    return client


def test_settings_screen_saves_and_refuses_naming_the_field(browser, company_a):
    page = browser.get(f"/planning/settings/?company={company_a.pk}")
    assert page.status_code == 200
    assert b"Service level A" in page.content
    bad = browser.post(
        f"/planning/settings/?company={company_a.pk}",
        {"company": company_a.pk, "version": "0", "service_level_a": "100"},
    )
    assert bad.status_code == 422
    assert b'data-field="service_level_a"' in bad.content
    assert not PlanningSettings.objects.exists()
    good = browser.post(
        f"/planning/settings/?company={company_a.pk}",
        {"company": company_a.pk, "version": "0", "service_level_a": "97.5"},
    )
    assert good.status_code == 302
    assert PlanningSettings.objects.get().service_level_a == D("97.5")


def test_lanes_screen_refuses_a_lane_to_itself_and_adds_a_good_one(browser, warehouse_a):
    depot = factories.warehouse(warehouse_a.company)
    bad = browser.post(
        "/planning/lanes/", {"from": warehouse_a.pk, "to": warehouse_a.pk, "lead_time_days": "1"}
    )
    assert bad.status_code == 422
    assert b'data-field="to_warehouse"' in bad.content
    zero = browser.post(
        "/planning/lanes/", {"from": warehouse_a.pk, "to": depot.pk, "lead_time_days": "0"}
    )
    assert zero.status_code == 422
    assert not TransferLane.objects.exists()
    good = browser.post(
        "/planning/lanes/", {"from": warehouse_a.pk, "to": depot.pk, "lead_time_days": "2"}
    )
    assert good.status_code == 302
    lane = TransferLane.objects.get()
    assert lane.lead_time_days == 2
    listing = browser.get("/planning/lanes/")
    assert depot.code.encode() in listing.content
    assert browser.post(f"/planning/lanes/{lane.pk}/delete/").status_code == 302
    assert not TransferLane.objects.exists()


def test_promotions_screen_refuses_an_end_before_the_start(browser, company_a):
    bad = browser.post(
        f"/planning/promotions/?company={company_a.pk}",
        {"company": company_a.pk, "name": "Spring", "starts_on": "2026-04-02",
         "ends_on": "2026-04-01"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert b'data-field="ends_on"' in bad.content
    assert not Promotion.objects.exists()
    good = browser.post(
        f"/planning/promotions/?company={company_a.pk}",
        {"company": company_a.pk, "name": "Spring", "starts_on": "2026-04-01",
         "ends_on": "2026-04-03"},
    )  # fmt: skip
    assert good.status_code == 302
    assert Promotion.objects.get().name == "Spring"


def test_a_sales_rep_may_not_open_the_planning_screens(company_a):
    client = Client()
    client.force_login(factories.user(Role.SALES_REP, companies=[company_a]))
    for url in ("/planning/settings/", "/planning/lanes/", "/planning/promotions/"):
        assert client.get(url).status_code == 403
