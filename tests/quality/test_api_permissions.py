"""The permission matrix of the quality API: every endpoint of the "Quality" tag × every role,
against what the role table grants (and nothing else).

Each call that changes something gets a fresh document in the state the action needs
(built as the system), so an allowed role's call succeeds and a refused one is a 403
before anything is looked at. The rows shared by all cases are built once for the module
inside a transaction rolled back at its end; each test's own writes are rolled back after it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from crossdock.core.roles import Role
from crossdock.quality.models import Disposition, Inspection
from crossdock.quality.services.inspections import (
    CheckOutcome,
    InspectionOutcome,
    record_results,
)
from crossdock.quality.services.plans import CheckDraft
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM
from tests.permission_matrix import (
    allows_all,
    assert_answer,
    module_matrix,
    role_endpoint_cases,
    tagged_operations,
)
from tests.purchasing.conftest import Buying
from tests.quality.conftest import make_plan, receive

D = Decimal
ROLES = list(Role)
PLAN = "quality.inspectionplan"
INSPECTION = "quality.inspection"
NONCONFORMANCE = "quality.nonconformance"
TRANSFER = "inventory.transfer"


class Matrix:
    def __init__(self) -> None:
        company = factories.company("QUX", name="Quality matrix")
        self.buying = Buying(factories.warehouse(company))
        self.product = factories.product()
        self.plan = make_plan(company, product_id=self.product.pk, checks=[CheckDraft("Seal")])
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    def pending(self) -> Inspection:
        receipt = receive(self.buying, self.product, "5")
        return Inspection.objects.get(receipt=receipt)

    def rejected(self) -> int:
        inspection = self.pending()
        check = self.plan.checks.get()
        record_results(
            SYSTEM,
            inspection.pk,
            InspectionOutcome(
                [CheckOutcome(check.pk, passed=False)],
                D(3),
                D(2),
                disposition=Disposition.HOLD,
                description="Broken seal",
            ),
        )
        return inspection.nonconformance.pk

    def unused_plan(self) -> int:
        return make_plan(self.buying.company, product_id=factories.product().pk).pk

    def plan_body(self, product: Any = None) -> dict[str, Any]:
        return {
            "company": self.buying.company.pk,
            "name": "Incoming",
            "product": (product or factories.product()).pk,
            "sampling": "percent",
            "sample_percent": "10",
            "checks": [
                {"name": "Seal"},
                {
                    "name": "Weight",
                    "kind": "measured",
                    "target": "1",
                    "min_value": "0.9",
                    "max_value": "1.1",
                },
            ],
        }

    def results_body(self, inspection: Inspection) -> dict[str, Any]:
        check = self.plan.checks.get()
        return {
            "results": [{"check": check.pk, "passed": True}],
            "accepted_quantity": "5",
            "rejected_quantity": "0",
        }


def _record(c: ApiClient, m: Matrix) -> Any:
    inspection = m.pending()
    return c.post(f"inspections/{inspection.pk}/results", m.results_body(inspection))


# name: (method, OpenAPI path, permissions needed, status when allowed, call)
ENDPOINTS: dict[str, tuple[str, str, list[tuple[str, str]], int, Any]] = {
    "list-plans": (
        "get", "/api/v1/inspection-plans", [(PLAN, "view")], 200,
        lambda c, m: c.get("inspection-plans"),
    ),
    "create-plan": (
        "post", "/api/v1/inspection-plans", [(PLAN, "add")], 201,
        lambda c, m: c.post("inspection-plans", m.plan_body()),
    ),
    "get-plan": (
        "get", "/api/v1/inspection-plans/{id}", [(PLAN, "view")], 200,
        lambda c, m: c.get(f"inspection-plans/{m.plan.pk}"),
    ),
    "replace-plan": (
        "put", "/api/v1/inspection-plans/{id}", [(PLAN, "change")], 200,
        lambda c, m: c.put(f"inspection-plans/{m.unused_plan()}", m.plan_body()),
    ),
    "delete-plan": (
        "delete", "/api/v1/inspection-plans/{id}", [(PLAN, "delete")], 204,
        lambda c, m: c.delete(f"inspection-plans/{m.unused_plan()}"),
    ),
    "list-inspections": (
        "get", "/api/v1/inspections", [(INSPECTION, "view")], 200,
        lambda c, m: c.get("inspections?state=pending"),
    ),
    "get-inspection": (
        "get", "/api/v1/inspections/{id}", [(INSPECTION, "view")], 200,
        lambda c, m: c.get(f"inspections/{m.pending().pk}"),
    ),
    "record-results": (
        "post", "/api/v1/inspections/{id}/results", [(INSPECTION, "change")], 200, _record,
    ),
    "list-nonconformances": (
        "get", "/api/v1/nonconformances", [(NONCONFORMANCE, "view")], 200,
        lambda c, m: c.get("nonconformances"),
    ),
    "get-nonconformance": (
        "get", "/api/v1/nonconformances/{id}", [(NONCONFORMANCE, "view")], 200,
        lambda c, m: c.get(f"nonconformances/{m.rejected()}"),
    ),
    "return-to-vendor": (
        "post", "/api/v1/nonconformances/{id}/return-to-vendor",
        [(NONCONFORMANCE, "change"), (TRANSFER, "add")], 200,
        lambda c, m: c.post(f"nonconformances/{m.rejected()}/return-to-vendor", {}),
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


def test_the_matrix_covers_every_quality_endpoint(db):
    ours = tagged_operations("Quality")
    assert ours == {(method, path) for method, path, *_ in ENDPOINTS.values()}


def test_the_matrix_is_not_all_or_nothing():
    """The roles that may act differ per action: the matrix checks a real split."""
    for endpoint in ENDPOINTS:
        allowed = {role for role in ROLES if permitted(role, endpoint)}
        assert allowed, endpoint
        assert allowed != set(ROLES), endpoint
    assert permitted(Role.WAREHOUSE_OPERATOR, "record-results")
    assert not permitted(Role.WAREHOUSE_OPERATOR, "create-plan")
    assert permitted(Role.PURCHASING_MANAGER, "replace-plan")
    assert not permitted(Role.PURCHASING_MANAGER, "record-results")
    assert permitted(Role.BUYER, "get-inspection")
    assert not permitted(Role.BUYER, "return-to-vendor")
    assert permitted(Role.WAREHOUSE_MANAGER, "return-to-vendor")
    assert not permitted(Role.SALES_REP, "list-plans")
