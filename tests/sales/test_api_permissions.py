"""The permission matrix of the sales API: every endpoint of the "Sales" tag × every role,
against what the role table grants (and nothing else).

Each call that changes something gets a fresh order in the state the action needs (built
as the system), so an allowed role's call succeeds and a refused one is a 403. The rows
shared by all cases are built once for the module inside a transaction rolled back at its
end; each test's own writes are rolled back after it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from crossdock.core.roles import Role
from crossdock.sales.services.fulfilment import ship_sales_order
from crossdock.sales.services.orders import confirm_sales_order
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
from tests.sales.conftest import Selling

D = Decimal
ROLES = list(Role)
ORDER = "sales.salesorder"
TRANSFER = "inventory.transfer"
INVOICE = "accounting.invoice"


class Matrix:
    def __init__(self) -> None:
        company = factories.company("SAX", name="Sales matrix")
        self.selling = Selling(factories.warehouse(company))
        self.product = factories.product()
        self.selling.price(self.product, "12.50")
        self.selling.stock(self.product, "100000")
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    # orders in the state each action needs, fresh per call
    def quotation(self) -> int:
        return self.selling.order((self.product, "2", None), actor=SYSTEM).pk

    def confirmed(self) -> int:
        return confirm_sales_order(SYSTEM, self.quotation()).pk

    def shipped(self) -> int:
        order_id = self.confirmed()
        ship_sales_order(SYSTEM, order_id)
        return order_id

    def body(self) -> dict[str, Any]:
        return {
            "customer": self.selling.customer.pk,
            "lines": [{"product": self.product.pk, "quantity": "2"}],
        }


def _import(c: ApiClient, m: Matrix) -> Any:
    upload = SimpleUploadedFile(
        "orders.csv",
        f"customer,product,quantity\n{m.selling.customer.code},{m.product.sku},2\n".encode(),
    )
    url = c.url(f"sales-orders/import?company={m.selling.company.pk}&dry_run=true")
    return c.client.post(url, {"file": upload})


# endpoint: (method, OpenAPI path, the permissions it needs, status when allowed, the call)
ENDPOINTS: dict[str, tuple[str, str, list[tuple[str, str]], int, Any]] = {
    "list-orders": (
        "get", "/api/v1/sales-orders", [(ORDER, "view")], 200,
        lambda c, m: c.get("sales-orders"),
    ),
    "create-order": (
        "post", "/api/v1/sales-orders", [(ORDER, "add")], 201,
        lambda c, m: c.post("sales-orders", m.body()),
    ),
    "get-order": (
        "get", "/api/v1/sales-orders/{id}", [(ORDER, "view")], 200,
        lambda c, m: c.get(f"sales-orders/{m.quotation()}"),
    ),
    "update-order": (
        "patch", "/api/v1/sales-orders/{id}", [(ORDER, "change")], 200,
        lambda c, m: c.patch(f"sales-orders/{m.quotation()}", {"note": "call first"}),
    ),
    "confirm-order": (
        "post", "/api/v1/sales-orders/{id}/confirm", [(ORDER, "change")], 200,
        lambda c, m: c.post(f"sales-orders/{m.quotation()}/confirm"),
    ),
    "cancel-order": (
        "post", "/api/v1/sales-orders/{id}/cancel", [(ORDER, "change")], 200,
        lambda c, m: c.post(f"sales-orders/{m.confirmed()}/cancel", {}),
    ),
    "ship-order": (
        "post", "/api/v1/sales-orders/{id}/ship", [(ORDER, "view"), (TRANSFER, "change")], 200,
        lambda c, m: c.post(f"sales-orders/{m.confirmed()}/ship"),
    ),
    "invoice-order": (
        "post", "/api/v1/sales-orders/{id}/invoice", [(ORDER, "change"), (INVOICE, "add")], 201,
        lambda c, m: c.post(f"sales-orders/{m.shipped()}/invoice", {}),
    ),
    "availability": (
        "get", "/api/v1/sales-orders/{id}/availability", [(ORDER, "view")], 200,
        lambda c, m: c.get(f"sales-orders/{m.quotation()}/availability"),
    ),
    "import-orders": (
        "post", "/api/v1/sales-orders/import", [(ORDER, "add")], 200, _import,
    ),
    "customer-exposure": (
        "get", "/api/v1/customers/{id}/exposure", [(ORDER, "view"), (INVOICE, "view")], 200,
        lambda c, m: c.get(f"customers/{m.selling.customer.pk}/exposure"),
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


def test_the_matrix_covers_every_sales_endpoint(db):
    ours = tagged_operations("Sales")
    assert ours == {(method, path) for method, path, *_ in ENDPOINTS.values()}


def test_the_matrix_is_not_all_or_nothing():
    """The roles that may act differ per action: the matrix checks a real split."""
    for endpoint in ENDPOINTS:
        allowed = {role for role in ROLES if permitted(role, endpoint)}
        assert allowed, endpoint
        assert allowed != set(ROLES), endpoint
    assert permitted(Role.WAREHOUSE_OPERATOR, "ship-order")
    assert not permitted(Role.SALES_REP, "ship-order")
    assert permitted(Role.AR_CLERK, "invoice-order")
    assert not permitted(Role.SALES_REP, "invoice-order")
    assert not permitted(Role.WAREHOUSE_OPERATOR, "customer-exposure")
    assert permitted(Role.CREDIT_CONTROLLER, "customer-exposure")
