"""The permission matrix of the approvals API: every endpoint × every role.

Expectations come from :data:`crossdock.core.roles.ROLE_PERMISSIONS` (through
``role_allows``) for what the role table governs — policies, budget owners,
metrics, reading requests — and from the engine for deciding: none of the
role users holds a step on the request, so approving or rejecting is a 403 for
every role. The rows are built once for the module inside a transaction that
is rolled back at its end; each test's own writes are rolled back after it.
"""

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from crossdock.approvals import policies
from crossdock.approvals.documents import VENDOR_ONBOARDING
from crossdock.approvals.services import request_for
from crossdock.core.context import Actor
from crossdock.core.records import create_record
from crossdock.core.roles import Role, role_allows
from crossdock.masterdata.models import Partner
from crossdock.masterdata.reference import ensure_reference_data
from tests import factories
from tests.api.conftest import ApiClient

ROLES = list(Role)
POLICY = "approvals.approvalpolicy"
BUDGET = "approvals.budgetowner"
REQUEST = "approvals.approvalrequest"
HIGH = {"field": "supplier_risk_class", "op": "==", "value": "high"}
LOW = {"field": "supplier_risk_class", "op": "==", "value": "low"}


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ensure_reference_data()
            company = factories.company("MTX", name="Matrix Trading")
            approver = factories.user(
                Role.PURCHASING_MANAGER, companies=[company], username="mx-approver"
            )
            requester = factories.user(Role.BUYER, companies=[company], username="mx-buyer")
            system = Actor.system("tests")
            level = policies.LevelDraft(name="Approver", rule="user", user_id=approver.pk)
            active = policies.save_policy(
                system, policies.PolicyDraft(company.pk, VENDOR_ONBOARDING, "High", HIGH, [level])
            )
            policies.set_policy_status(system, active.pk, "active")
            draft = policies.save_policy(
                system, policies.PolicyDraft(company.pk, VENDOR_ONBOARDING, "Low", LOW, [level])
            )
            supplier = create_record(
                Actor.of(requester),
                Partner,
                {
                    "company": company,
                    "code": "MX1",
                    "name": "Risky supplier",
                    "is_supplier": True,
                    "supplier_risk_class": "high",
                    "currency": company.base_currency,
                },
            )
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
            yield SimpleNamespace(
                company=company,
                approver=approver,
                level=level,
                draft=draft,
                request=request_for(VENDOR_ONBOARDING, supplier.pk),
                category=factories.category(),
                clients={role: ApiClient(user) for role, user in users.items()},
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def rollback(matrix, db):
    """Each test's writes are rolled back after it (pytest-django's ``db``)."""


def _policy_body(m: Any, name: str) -> dict[str, Any]:
    return {
        "company": m.company.pk,
        "document_type": VENDOR_ONBOARDING,
        "name": name,
        "condition": LOW,
        "levels": [{"name": "Approver", "rule": "user", "user": m.approver.pk}],
    }


def _delegation(m: Any) -> dict[str, Any]:
    today = timezone.now().date()
    return {
        "delegate": m.approver.pk,
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=3)).isoformat(),
    }


# name: (HTTP method, OpenAPI path, permission or None = engine, status when allowed, call)
ENDPOINTS: dict[str, tuple[str, str, tuple[str, str] | None, int, Any]] = {
    "list-policies": (
        "get",
        "/api/v1/approval-policies",
        (POLICY, "view"),
        200,
        lambda c, m: c.get("approval-policies"),
    ),
    "create-policy": (
        "post",
        "/api/v1/approval-policies",
        (POLICY, "add"),
        201,
        lambda c, m: c.post("approval-policies", _policy_body(m, "New")),
    ),
    "get-policy": (
        "get",
        "/api/v1/approval-policies/{id}",
        (POLICY, "view"),
        200,
        lambda c, m: c.get(f"approval-policies/{m.draft.pk}"),
    ),
    "replace-policy": (
        "put",
        "/api/v1/approval-policies/{id}",
        (POLICY, "change"),
        200,
        lambda c, m: c.put(f"approval-policies/{m.draft.pk}", _policy_body(m, "Low risk")),
    ),
    "activate-policy": (
        "post",
        "/api/v1/approval-policies/{id}/activate",
        (POLICY, "change"),
        200,
        lambda c, m: c.post(f"approval-policies/{m.draft.pk}/activate"),
    ),
    "retire-policy": (
        "post",
        "/api/v1/approval-policies/{id}/retire",
        (POLICY, "change"),
        200,
        lambda c, m: c.post(f"approval-policies/{m.draft.pk}/retire"),
    ),
    "simulate-policy": (
        "post",
        "/api/v1/approval-policies/simulate",
        (POLICY, "view"),
        200,
        lambda c, m: c.post("approval-policies/simulate", _policy_body(m, "Try")),
    ),
    "list-requests": (
        "get",
        "/api/v1/approval-requests",
        (REQUEST, "view"),
        200,
        lambda c, m: c.get("approval-requests"),
    ),
    "get-request": (
        "get",
        "/api/v1/approval-requests/{id}",
        (REQUEST, "view"),
        200,
        lambda c, m: c.get(f"approval-requests/{m.request.pk}"),
    ),
    "approve-request": (
        "post",
        "/api/v1/approval-requests/{id}/approve",
        None,
        200,
        lambda c, m: c.post(f"approval-requests/{m.request.pk}/approve"),
    ),
    "reject-request": (
        "post",
        "/api/v1/approval-requests/{id}/reject",
        None,
        200,
        lambda c, m: c.post(f"approval-requests/{m.request.pk}/reject", {"comment": "no"}),
    ),
    "bulk-approve": (
        "post",
        "/api/v1/approval-requests/bulk-approve",
        (REQUEST, "view"),
        200,
        lambda c, m: c.post("approval-requests/bulk-approve", {"ids": [m.request.pk]}),
    ),
    "list-delegations": (
        "get",
        "/api/v1/delegations",
        (REQUEST, "view"),
        200,
        lambda c, m: c.get("delegations"),
    ),
    "create-delegation": (
        "post",
        "/api/v1/delegations",
        (REQUEST, "view"),
        201,
        lambda c, m: c.post("delegations", _delegation(m)),
    ),
    "list-budget-owners": (
        "get",
        "/api/v1/budget-owners",
        (BUDGET, "view"),
        200,
        lambda c, m: c.get("budget-owners"),
    ),
    "set-budget-owner": (
        "post",
        "/api/v1/budget-owners",
        (BUDGET, "add"),
        201,
        lambda c, m: c.post(
            "budget-owners",
            {"company": m.company.pk, "category": m.category.pk, "owner": m.approver.pk},
        ),
    ),
    "metrics": (
        "get",
        "/api/v1/approval-metrics",
        (POLICY, "view"),
        200,
        lambda c, m: c.get("approval-metrics"),
    ),
}


def _expected(role: Role, endpoint: str) -> int:
    _, _, permission, allowed, _ = ENDPOINTS[endpoint]
    if permission is None:  # deciding: only the step's approver (none of the role users)
        return 403
    return allowed if role_allows(role, *permission) else 403


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_approvals_endpoints(matrix, rollback, role, endpoint):
    call = ENDPOINTS[endpoint][4]
    expected = _expected(role, endpoint)
    response = call(matrix.clients[role], matrix)
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json()["code"] == "forbidden"
    if endpoint == "bulk-approve":
        assert response.json()["results"][0]["ok"] is False


def test_the_approver_may_decide(matrix, rollback):
    client = ApiClient(matrix.approver)
    response = client.post(f"approval-requests/{matrix.request.pk}/approve")
    assert (response.status_code, response.json()["status"]) == (200, "approved")


def test_the_matrix_covers_every_approvals_endpoint(db):
    from django.test import Client

    document = Client().get("/api/v1/openapi.json").json()
    served = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "Approvals" in operation.get("tags", [])
    }
    assert served == {(method, path) for method, path, *_ in ENDPOINTS.values()}
