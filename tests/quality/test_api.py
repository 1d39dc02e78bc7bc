"""The quality API: plans by field, results recorded, bad input a 4xx that writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.core.roles import Role
from crossdock.quality.models import Inspection, InspectionState, Nonconformance
from tests import factories
from tests.api.conftest import ApiClient
from tests.quality.conftest import make_plan, receive

D = Decimal


@pytest.fixture
def operator(buying):
    return ApiClient(factories.user(Role.WAREHOUSE_OPERATOR, companies=[buying.company]))


@pytest.fixture
def manager(buying):
    return ApiClient(factories.user(Role.WAREHOUSE_MANAGER, companies=[buying.company]))


def test_a_plan_is_created_and_bad_ones_are_refused_by_field(buying, manager):
    product = factories.product()
    body = {
        "company": buying.company.pk,
        "name": "Incoming",
        "product": product.pk,
        "sampling": "fixed",
        "checks": [{"name": "Weight", "kind": "measured", "target": "5", "min_value": "6",
                    "max_value": "7"}],
    }  # fmt: skip
    response = manager.post("inspection-plans", body)
    assert response.status_code == 422, response.content
    assert set(response.json()["errors"]) >= {"sample_size", "checks[0].min_value"}
    body["sample_size"] = "3"
    body["checks"][0]["min_value"] = "4.5"
    response = manager.post("inspection-plans", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["sample_size"] == "3.000000"
    assert data["checks"][0]["min_value"] == "4.500000"


def test_results_are_recorded_and_a_nonconformance_returned(buying, operator):
    product = factories.product()
    plan = make_plan(buying.company, product_id=product.pk)
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    packaging, weight = plan.checks.order_by("sequence")
    body = {
        "results": [{"check": packaging.pk, "passed": True}, {"check": weight.pk, "value": "506"}],
        "accepted_quantity": "6",
        "rejected_quantity": "5",
        "disposition": "return",
        "description": "Too heavy",
    }
    response = operator.post(f"inspections/{inspection.pk}/results", body)
    assert response.status_code == 422, response.content
    assert "rejected_quantity" in response.json()["errors"]
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.PENDING
    body["rejected_quantity"] = "4"
    response = operator.post(f"inspections/{inspection.pk}/results", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "done"
    assert [r["passed"] for r in data["results"]] == [True, False]
    nonconformance = Nonconformance.objects.get()
    assert data["nonconformance"] == nonconformance.pk
    response = operator.post(f"nonconformances/{nonconformance.pk}/return-to-vendor", {})
    assert response.status_code == 200, response.content
    assert response.json()["can_return"] is False
    assert response.json()["credit_note"] is not None
    response = operator.post(f"nonconformances/{nonconformance.pk}/return-to-vendor", {})
    assert response.status_code == 409


def test_another_companys_inspection_is_not_found(buying, operator):
    other = factories.company()
    stranger = ApiClient(factories.user(Role.WAREHOUSE_OPERATOR, companies=[other]))
    product = factories.product()
    make_plan(buying.company, product_id=product.pk)
    receive(buying, product, "2")
    inspection = Inspection.objects.get()
    assert stranger.get(f"inspections/{inspection.pk}").status_code == 404
    assert stranger.get("inspections").json()["items"] == []
    assert operator.get(f"inspections/{inspection.pk}").status_code == 200
