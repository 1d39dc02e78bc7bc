"""The permission matrix of the invoice API: every endpoint of the "Invoices and bills" tag
× every role, against what the role table grants (and nothing else)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from crossdock.accounting.services.invoicing import InvoiceInput, InvoiceLineInput, create_invoice
from crossdock.core.roles import Role, role_allows
from crossdock.inventory import services as inventory
from tests import factories
from tests.accounting.conftest import Books
from tests.accounting.test_payments import document
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM, Site
from tests.permission_matrix import (
    assert_answer,
    module_matrix,
    role_endpoint_cases,
    tagged_operations,
)

D = Decimal
ROLES = list(Role)


class Matrix:
    def __init__(self) -> None:
        company = factories.company("IVX", name="Invoice matrix")
        self.books = Books(company)
        self.site = Site(factories.warehouse(company))
        self.customer = factories.partner(company, name="Matrix customer")
        self.supplier = factories.partner(company, is_customer=False, is_supplier=True)
        self.posted = document(self.books, self.customer, "10.00").pk
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    def draft(self) -> int:
        data = InvoiceInput(
            self.books.company.pk, "customer_invoice", self.customer.pk,
            datetime.date(2026, 3, 10), [InvoiceLineInput("Pallet", D(1), D("5.00"))],
        )  # fmt: skip
        return create_invoice(SYSTEM, data).pk

    def creditable(self) -> int:
        return document(self.books, self.customer, "7.00").pk

    def delivery(self) -> int:
        product = factories.product(costing_method="fifo", list_price=D("3.00"))
        self.site.receive(product, "5", cost="1.00")
        delivery = self.site.deliver(product, "1", partner_id=self.customer.pk)
        return inventory.validate_transfer(SYSTEM, delivery.pk).pk

    def receipt(self) -> int:
        product = factories.product(costing_method="fifo")
        receipt = self.site.transfer(
            "receipt", self.site.supplier, self.site.stock, [(product, "2", "1.50")],
            partner_id=self.supplier.pk,
        )  # fmt: skip
        return inventory.validate_transfer(SYSTEM, receipt.pk).pk


INVOICE = "accounting.invoice"
ENDPOINTS: dict[str, tuple[str, int, Any]] = {
    "get": ("view", 200, lambda c, m: c.get(f"invoices/{m.posted}")),
    "pdf": ("view", 200, lambda c, m: c.get(f"invoices/{m.posted}/pdf")),
    "post": ("change", 200, lambda c, m: c.post(f"invoices/{m.draft()}/post")),
    "cancel": ("change", 200, lambda c, m: c.post(f"invoices/{m.draft()}/cancel")),
    "credit-note": (
        "add", 201, lambda c, m: c.post(f"invoices/{m.creditable()}/credit-note", {}),
    ),
    "from-delivery": (
        "add", 201, lambda c, m: c.post("invoices/from-delivery", {"transfer": m.delivery()}),
    ),
    "from-receipt": (
        "add", 201,
        lambda c, m: c.post("invoices/from-receipt",
                            {"transfer": m.receipt(), "partner_reference": f"V-{m.receipt()}"}),
    ),
}  # fmt: skip
ROUTES = {
    "get": ("get", "/api/v1/invoices/{id}"),
    "pdf": ("get", "/api/v1/invoices/{id}/pdf"),
    "post": ("post", "/api/v1/invoices/{id}/post"),
    "cancel": ("post", "/api/v1/invoices/{id}/cancel"),
    "credit-note": ("post", "/api/v1/invoices/{id}/credit-note"),
    "from-delivery": ("post", "/api/v1/invoices/from-delivery"),
    "from-receipt": ("post", "/api/v1/invoices/from-receipt"),
}
# A credit note reads the invoice it credits; a draft from a transfer reads the transfer.
ALSO_NEEDS: dict[str, list[tuple[str, str]]] = {
    "credit-note": [(INVOICE, "view")],
    "from-delivery": [("inventory.transfer", "view")],
    "from-receipt": [("inventory.transfer", "view")],
}


matrix = module_matrix(Matrix)


def permitted(role: Role, endpoint: str) -> bool:
    action = ENDPOINTS[endpoint][0]
    needs = [(INVOICE, action), *ALSO_NEEDS.get(endpoint, [])]
    return all(role_allows(role, label, act) for label, act in needs)


CASES = role_endpoint_cases(ENDPOINTS)


@pytest.mark.parametrize(("role", "endpoint"), CASES)
def test_permission_matrix(matrix, db, role, endpoint):
    _action, allowed, call = ENDPOINTS[endpoint]
    response = call(matrix.clients[role], matrix)
    assert_answer(
        response, allowed=allowed, permitted=permitted(role, endpoint), case=(role, endpoint)
    )


def test_the_matrix_covers_every_invoice_endpoint(db):
    ours = tagged_operations("Invoices and bills")
    assert ours == set(ROUTES.values())
    assert set(ROUTES) == set(ENDPOINTS)


def test_the_matrix_is_not_all_or_nothing():
    """The roles that may act differ per action: the matrix checks a real split."""
    for endpoint in ENDPOINTS:
        allowed = {role for role in ROLES if permitted(role, endpoint)}
        assert allowed, endpoint
        assert allowed != set(ROLES), endpoint
    assert permitted(Role.AR_CLERK, "from-delivery") or permitted(Role.CONTROLLER, "from-delivery")
    assert not permitted(Role.WAREHOUSE_OPERATOR, "get")
    assert not permitted(Role.AUDITOR, "post")
