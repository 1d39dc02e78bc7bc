"""The permission matrix of the sales settings API: every endpoint of the "Sales settings"
tag × every role, against what the role table grants (and nothing else).

Each call that changes a margin floor gets a fresh floor (or a fresh category to add one
for), built as the system, so an allowed role's call succeeds and a refused one is a 403.
The rows shared by all cases are built once for the module inside a transaction rolled
back at its end; each test's own writes are rolled back after it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from crossdock.core.context import Actor
from crossdock.core.roles import Role
from crossdock.sales.services.margin_floors import MarginFloorDraft, create_margin_floor
from tests import factories
from tests.api.conftest import ApiClient
from tests.permission_matrix import (
    allows_all,
    assert_answer,
    module_matrix,
    role_endpoint_cases,
    tagged_operations,
)

ROLES = list(Role)
SETTINGS = "sales.salessettings"
FLOOR = "sales.marginfloor"
SYSTEM = Actor.system("matrix")


class Matrix:
    def __init__(self) -> None:
        self.company = factories.company("SSX", name="Sales settings matrix")
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[self.company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    def floor(self) -> int:
        draft = MarginFloorDraft(self.company.pk, factories.category().pk, "10")
        return create_margin_floor(SYSTEM, draft).pk

    def new_floor(self) -> dict[str, Any]:
        return {
            "company": self.company.pk,
            "category": factories.category().pk,
            "min_margin_percent": "12.5",
        }


# endpoint: (method, OpenAPI path, the permissions it needs, status when allowed, the call)
ENDPOINTS: dict[str, tuple[str, str, list[tuple[str, str]], int, Any]] = {
    "get-settings": (
        "get", "/api/v1/sales-settings/{company_id}", [(SETTINGS, "view")], 200,
        lambda c, m: c.get(f"sales-settings/{m.company.pk}"),
    ),
    "update-settings": (
        "patch", "/api/v1/sales-settings/{company_id}", [(SETTINGS, "change")], 200,
        lambda c, m: c.patch(f"sales-settings/{m.company.pk}", {"overdue_hold_days": 12}),
    ),
    "list-floors": (
        "get", "/api/v1/margin-floors", [(FLOOR, "view")], 200,
        lambda c, m: c.get("margin-floors"),
    ),
    "create-floor": (
        "post", "/api/v1/margin-floors", [(FLOOR, "add")], 201,
        lambda c, m: c.post("margin-floors", m.new_floor()),
    ),
    "get-floor": (
        "get", "/api/v1/margin-floors/{id}", [(FLOOR, "view")], 200,
        lambda c, m: c.get(f"margin-floors/{m.floor()}"),
    ),
    "update-floor": (
        "patch", "/api/v1/margin-floors/{id}", [(FLOOR, "change")], 200,
        lambda c, m: c.patch(f"margin-floors/{m.floor()}", {"min_margin_percent": "11"}),
    ),
    "delete-floor": (
        "delete", "/api/v1/margin-floors/{id}", [(FLOOR, "delete")], 204,
        lambda c, m: c.delete(f"margin-floors/{m.floor()}"),
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


def test_the_matrix_covers_every_sales_settings_endpoint(db):
    ours = tagged_operations("Sales settings")
    assert ours == {(method, path) for method, path, *_ in ENDPOINTS.values()}


def test_sales_managers_keep_the_settings_and_sales_reps_read_them():
    """The matrix checks a real split, and the one the sales team expects."""
    for endpoint in ENDPOINTS:
        allowed = {role for role in ROLES if permitted(role, endpoint)}
        assert allowed, endpoint
        assert allowed != set(ROLES), endpoint
    for endpoint in ("get-settings", "list-floors", "get-floor"):
        assert permitted(Role.SALES_REP, endpoint)
    for endpoint in ("update-settings", "create-floor", "update-floor", "delete-floor"):
        assert not permitted(Role.SALES_REP, endpoint)
        assert permitted(Role.SALES_MANAGER, endpoint)
        assert permitted(Role.ADMINISTRATOR, endpoint)
    assert not permitted(Role.BUYER, "get-settings")
