"""Replenishment API: bulk conversion into real documents, runs, filters, and the permission
matrix of every endpoint of the "Replenishment" tag × every role."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from crossdock.core.roles import Role
from crossdock.inventory.models import Transfer
from crossdock.planning.models import (
    ForecastOverride,
    PlanningException,
    PlanningItem,
    ReorderPolicy,
    ReplenishmentRun,
    Suggestion,
)
from crossdock.purchasing.models import PurchaseOrder, PurchaseRequisition, RequestForQuotation
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import Site
from tests.permission_matrix import (
    allows_all,
    assert_answer,
    module_matrix,
    role_endpoint_cases,
    tagged_operations,
)
from tests.planning.test_suggestions import Plan

D = Decimal
ROLES = list(Role)
RUN = "planning.replenishmentrun"
SUGGESTION = "planning.suggestion"
POLICY = "planning.reorderpolicy"
OVERRIDE = "planning.forecastoverride"
EXCEPTION = "planning.planningexception"


@pytest.fixture
def plan(warehouse_a):
    return Plan(warehouse_a)


@pytest.fixture
def api(plan):
    return ApiClient(plan.planner)


def _ids(rows):
    return [r.pk for r in rows]


def test_approve_then_convert_into_purchase_orders_through_the_api(plan, api):
    bolts, nuts = factories.product(), factories.product()
    plan.buying.offer(bolts, ("0", "2.50"))
    plan.buying.offer(nuts, ("0", "0.40"))
    rows = [plan.buy(bolts, "20", plan.supplier), plan.buy(nuts, "100", plan.supplier)]

    approved = api.post("suggestions/approve", {"ids": _ids(rows)}, HTTP_IDEMPOTENCY_KEY="a-1")
    assert approved.status_code == 200, approved.content
    assert [x["state"] for x in approved.json()["items"]] == ["approved", "approved"]

    converted = api.post(
        "suggestions/convert",
        {"ids": _ids(rows), "into": "purchase_order"},
        HTTP_IDEMPOTENCY_KEY="c-1",
    )

    assert converted.status_code == 200, converted.content
    order = PurchaseOrder.objects.get()
    assert converted.json()["documents"] == [
        {
            "type": "purchase_order",
            "id": order.pk,
            "reference": order.reference,
            "suggestions": _ids(rows),
        }
    ]
    assert sorted((x.product_id, x.quantity) for x in order.lines.all()) == sorted(
        [(bolts.pk, D(20)), (nuts.pk, D(100))]
    )
    assert {(x["state"], x["document_id"]) for x in converted.json()["items"]} == {
        ("converted", order.pk)
    }
    replay = api.post(
        "suggestions/convert",
        {"ids": _ids(rows), "into": "purchase_order"},
        HTTP_IDEMPOTENCY_KEY="c-1",
    )
    assert replay.status_code == 200
    assert PurchaseOrder.objects.count() == 1


@pytest.mark.parametrize(
    ("into", "model"),
    [("requisition", PurchaseRequisition), ("rfq", RequestForQuotation)],
)
def test_convert_into_requisitions_and_rfqs_through_the_api(plan, api, into, model):
    rows = [
        plan.buy(factories.product(), "20", plan.supplier, state="approved"),
        plan.buy(factories.product(), "5", plan.supplier, state="approved"),
    ]

    response = api.post("suggestions/convert", {"ids": _ids(rows), "into": into})

    assert response.status_code == 200, response.content
    document = model.objects.get()
    assert document.lines.count() == 2
    assert {
        (s.document_type, s.document_id, s.document_reference)
        for s in Suggestion.objects.filter(pk__in=_ids(rows))
    } == {(into, document.pk, document.reference)}


def test_convert_into_transfers_through_the_api(plan, api):
    bolts = factories.product()
    Site(plan.central).receive(bolts, "30", "2")
    row = plan.transfer(bolts, "12", state="approved")

    response = api.post("suggestions/convert", {"ids": [row.pk], "into": "transfer"})

    assert response.status_code == 200, response.content
    dispatch = Transfer.objects.get(kind="transit_out")
    assert [(m.product_id, m.quantity) for m in dispatch.moves.all()] == [(bolts.pk, D(12))]
    row.refresh_from_db()
    assert (row.state, row.document_type, row.document_id) == ("converted", "transfer", dispatch.pk)


def test_a_refused_conversion_is_a_422_naming_the_suggestion_and_nothing_changes(plan, api):
    nuts = factories.product()
    plan.buying.offer(nuts, ("0", "0.40"), moq="50")
    good = plan.buy(factories.product(), "5", plan.supplier, state="approved")
    short = plan.buy(nuts, "30", plan.supplier, state="approved")

    response = api.post("suggestions/convert", {"ids": [good.pk, short.pk], "into": "requisition"})
    assert response.status_code == 200  # requisitions have no supplier minimum
    response = api.post(
        "suggestions/convert", {"ids": [good.pk, short.pk], "into": "purchase_order"}
    )
    assert response.status_code == 409  # already converted
    assert set(response.json()["errors"]) == {"ids[0]", "ids[1]"}

    fresh = plan.buy(nuts, "30", plan.supplier, state="approved")
    response = api.post("suggestions/convert", {"ids": [fresh.pk], "into": "purchase_order"})
    assert response.status_code == 422
    assert "minimum order quantity" in response.json()["errors"]["ids[0]"][0]
    assert PurchaseOrder.objects.count() == 0
    fresh.refresh_from_db()
    assert fresh.state == "approved"


def test_bad_bodies_are_4xx(plan, api):
    assert api.post("suggestions/approve", {"ids": []}).status_code == 422
    assert api.post("suggestions/approve", {"ids": ["x"]}).status_code == 422
    assert api.post("suggestions/reject", {"ids": [1]}).status_code == 422
    response = api.post("suggestions/convert", {"ids": [1], "into": "invoice"})
    assert response.status_code == 422
    response = api.post("suggestions/quantities", {"changes": [{"id": 1, "quantity": 2.5}]})
    assert response.status_code == 422


def test_suggestion_lists_filter_and_page(plan, api):
    rows = [plan.buy(factories.product(), str(n), plan.supplier) for n in range(1, 6)]
    plan.transfer(factories.product(), "3")

    first = api.get("suggestions", {"action": "buy", "limit": 3})
    assert first.status_code == 200
    page = first.json()
    assert [x["id"] for x in page["items"]] == _ids(rows[:3])
    second = api.get("suggestions", {"action": "buy", "limit": 3, "cursor": page["next_cursor"]})
    assert [x["id"] for x in second.json()["items"]] == _ids(rows[3:])
    assert api.get("suggestions", {"colour": "red"}).status_code == 422


def test_start_a_run_through_the_api_once_per_idempotency_key(plan, api):
    for _ in range(2):
        response = api.post(
            "replenishment-runs", {"company": plan.company.pk}, HTTP_IDEMPOTENCY_KEY="run-1"
        )
        assert response.status_code == 201, response.content
    assert ReplenishmentRun.objects.filter(company=plan.company).count() == 2  # with plan.run
    body = response.json()
    assert body["state"] in ("done", "failed")
    assert "report" in body
    other = factories.company("OTHER")
    assert api.post("replenishment-runs", {"company": other.pk}).status_code == 404


def test_planning_items_filter_by_needs_action(plan, api):
    bolts, nuts = factories.product(), factories.product()
    PlanningItem.objects.create(
        company=plan.company, product=bolts, warehouse=plan.central, needs_action=True, abc="A"
    )
    PlanningItem.objects.create(company=plan.company, product=nuts, warehouse=plan.central, abc="C")

    response = api.get("planning-items", {"needs_action": "true"})

    assert [x["product"] for x in response.json()["items"]] == [bolts.pk]
    assert [x["product"] for x in api.get("planning-items", {"abc": "C"}).json()["items"]] == [
        nuts.pk
    ]


def test_policies_and_overrides_through_the_api(plan, api):
    pytest.importorskip("crossdock.planning.policy")
    product = factories.product()
    body = {
        "product": product.pk,
        "warehouse": plan.central.pk,
        "method": "manual",
        "min_quantity": "5",
        "max_quantity": "4",
    }
    refused = api.post("reorder-policies", body)
    assert refused.status_code == 422
    assert "min_quantity" in refused.json()["errors"]
    assert not ReorderPolicy.objects.exists()

    saved = api.post("reorder-policies", {**body, "max_quantity": "40"})
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] == '"1"'
    stale = api.post("reorder-policies", {**body, "max_quantity": "50"}, HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    assert api.delete(f"reorder-policies/{saved.json()['id']}").status_code == 204

    created = api.post(
        "forecast-overrides",
        {
            "product": product.pk,
            "warehouse": plan.central.pk,
            "starts_on": "2026-07-01",
            "ends_on": "2026-07-31",
            "reason": "Trade fair",
            "change_percent": "-20",
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["change_percent"] == "-20"
    ended = api.post(f"forecast-overrides/{created.json()['id']}/end")
    assert ended.json()["is_active"] is False


# -- the permission matrix --------------------------------------------------------------------


class Matrix:
    def __init__(self) -> None:
        company = factories.company("PLX", name="Planning matrix")
        self.plan = Plan(factories.warehouse(company, "PLX-C", is_central=True))
        self.product = factories.product()
        self.policy = ReorderPolicy.objects.create(
            company=company, product=self.product, warehouse=self.plan.central
        )
        self.override = ForecastOverride.objects.create(
            company=company,
            product=self.product,
            warehouse=self.plan.central,
            starts_on=datetime.date(2026, 7, 1),
            ends_on=datetime.date(2026, 7, 31),
            change_percent=D(10),
            reason="Fair",
        )
        PlanningException.objects.create(
            company=company,
            product=self.product,
            warehouse=self.plan.central,
            kind="excess",
            message="Too much",
            opened_at=timezone.now(),
        )
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    def proposed(self) -> int:
        return self.plan.buy(factories.product(), "3", self.plan.supplier).pk

    def approved(self) -> int:
        return self.plan.buy(factories.product(), "3", None, state="approved").pk

    def fresh_policy(self) -> int:
        return ReorderPolicy.objects.create(
            company=self.plan.company, product=factories.product(), warehouse=self.plan.central
        ).pk


def _policy_body(m: Matrix) -> dict[str, Any]:
    return {"product": factories.product().pk, "warehouse": m.plan.central.pk, "method": "s_S"}


def _override_body(m: Matrix) -> dict[str, Any]:
    return {
        "product": m.product.pk,
        "warehouse": m.plan.central.pk,
        "starts_on": "2026-08-01",
        "ends_on": "2026-08-02",
        "reason": "Promo",
        "daily_quantity": "4",
    }


# endpoint: (method, OpenAPI path, the permissions it needs, status when allowed, the call)
ENDPOINTS: dict[str, tuple[str, str, list[tuple[str, str]], int, Any]] = {
    "start-run": (
        "post", "/api/v1/replenishment-runs", [(RUN, "add")], 201,
        lambda c, m: c.post("replenishment-runs", {"company": m.plan.company.pk}),
    ),
    "list-runs": (
        "get", "/api/v1/replenishment-runs", [(RUN, "view")], 200,
        lambda c, m: c.get("replenishment-runs"),
    ),
    "get-run": (
        "get", "/api/v1/replenishment-runs/{id}", [(RUN, "view")], 200,
        lambda c, m: c.get(f"replenishment-runs/{m.plan.run.pk}"),
    ),
    "list-items": (
        "get", "/api/v1/planning-items", [(RUN, "view")], 200,
        lambda c, m: c.get("planning-items"),
    ),
    "list-suggestions": (
        "get", "/api/v1/suggestions", [(SUGGESTION, "view")], 200,
        lambda c, m: c.get("suggestions"),
    ),
    "get-suggestion": (
        "get", "/api/v1/suggestions/{id}", [(SUGGESTION, "view")], 200,
        lambda c, m: c.get(f"suggestions/{m.proposed()}"),
    ),
    "approve": (
        "post", "/api/v1/suggestions/approve", [(SUGGESTION, "change")], 200,
        lambda c, m: c.post("suggestions/approve", {"ids": [m.proposed()]}),
    ),
    "reject": (
        "post", "/api/v1/suggestions/reject", [(SUGGESTION, "change")], 200,
        lambda c, m: c.post("suggestions/reject", {"ids": [m.proposed()], "reason": "No"}),
    ),
    "quantities": (
        "post", "/api/v1/suggestions/quantities", [(SUGGESTION, "change")], 200,
        lambda c, m: c.post(
            "suggestions/quantities", {"changes": [{"id": m.approved(), "quantity": "4"}]}
        ),
    ),
    "convert": (
        "post", "/api/v1/suggestions/convert",
        [(SUGGESTION, "change"), ("purchasing.purchaserequisition", "add")], 200,
        lambda c, m: c.post("suggestions/convert", {"ids": [m.approved()], "into": "requisition"}),
    ),
    "list-policies": (
        "get", "/api/v1/reorder-policies", [(POLICY, "view")], 200,
        lambda c, m: c.get("reorder-policies"),
    ),
    "get-policy": (
        "get", "/api/v1/reorder-policies/{id}", [(POLICY, "view")], 200,
        lambda c, m: c.get(f"reorder-policies/{m.policy.pk}"),
    ),
    "set-policy": (
        "post", "/api/v1/reorder-policies", [(POLICY, "add")], 200,
        lambda c, m: c.post("reorder-policies", _policy_body(m)),
    ),
    "clear-policy": (
        "delete", "/api/v1/reorder-policies/{id}", [(POLICY, "delete")], 204,
        lambda c, m: c.delete(f"reorder-policies/{m.fresh_policy()}"),
    ),
    "list-overrides": (
        "get", "/api/v1/forecast-overrides", [(OVERRIDE, "view")], 200,
        lambda c, m: c.get("forecast-overrides"),
    ),
    "create-override": (
        "post", "/api/v1/forecast-overrides", [(OVERRIDE, "add")], 201,
        lambda c, m: c.post("forecast-overrides", _override_body(m)),
    ),
    "end-override": (
        "post", "/api/v1/forecast-overrides/{id}/end", [(OVERRIDE, "change")], 200,
        lambda c, m: c.post(f"forecast-overrides/{m.override.pk}/end"),
    ),
    "list-exceptions": (
        "get", "/api/v1/planning-exceptions", [(EXCEPTION, "view")], 200,
        lambda c, m: c.get("planning-exceptions"),
    ),
}  # fmt: skip


matrix = module_matrix(Matrix)


def permitted(role: Role, endpoint: str) -> bool:
    return allows_all(role, ENDPOINTS[endpoint][2])


CASES = role_endpoint_cases(ENDPOINTS)


@pytest.mark.parametrize(("role", "endpoint"), CASES)
def test_permission_matrix(matrix, db, role, endpoint):
    _method, _path, _needs, allowed, call = ENDPOINTS[endpoint]
    response = call(matrix.clients[role], matrix)
    assert_answer(
        response, allowed=allowed, permitted=permitted(role, endpoint), case=(role, endpoint)
    )


def test_the_matrix_covers_every_replenishment_endpoint(db):
    ours = tagged_operations("Replenishment")
    assert ours == {(method, path) for method, path, *_ in ENDPOINTS.values()}


def test_the_matrix_is_not_all_or_nothing():
    for endpoint in ENDPOINTS:
        allowed = {role for role in ROLES if permitted(role, endpoint)}
        assert allowed, endpoint
        assert allowed != set(ROLES), endpoint
    assert permitted(Role.BUYER, "convert")
    assert permitted(Role.WAREHOUSE_MANAGER, "approve")
    assert not permitted(Role.WAREHOUSE_MANAGER, "set-policy")
    assert not permitted(Role.SALES_REP, "list-suggestions")
