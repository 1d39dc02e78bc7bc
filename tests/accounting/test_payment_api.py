"""The payments API: register, allocate, offset, payment runs; clear refusals that write
nothing; and its permission matrix (every endpoint × every role)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from crossdock.accounting.models import Allocation, InvoiceKind, JournalEntry, Payment
from crossdock.accounting.services.payments import create_payment_run
from crossdock.core.models import AuditEntry
from crossdock.core.records import create_record
from crossdock.core.roles import Role, role_allows
from crossdock.masterdata.models import PartnerBankAccount
from tests import factories
from tests.accounting.conftest import Books
from tests.accounting.test_payments import document
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM
from tests.permission_matrix import assert_answer, module_matrix, tagged_operations

D = Decimal


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


def written() -> tuple[int, int, int, int]:
    return (
        Payment.objects.count(),
        Allocation.objects.count(),
        JournalEntry.objects.count(),
        AuditEntry.objects.count(),
    )


def test_register_a_payment_and_read_its_allocations(api, books):
    customer = factories.partner(books.company, name="Corner Shop")
    invoice = document(books, customer, "75.50")
    response = api.post(
        "payments",
        {
            "company": books.company.pk, "direction": "inbound", "partner": customer.pk,
            "date": "2026-03-12", "amount": "75.50", "reference": "Bank statement 12/3",
        },
    )  # fmt: skip
    assert response.status_code == 201, response.content
    payment = response.json()
    assert payment["number"].startswith("BNK/2026/")
    assert [(a["invoice"], a["amount"]) for a in payment["allocations"]] == [
        (invoice.number, "75.5000")
    ]
    assert api.get(f"payments/{payment['id']}").json()["unallocated_amount"] == "0.0000"
    items = api.get("open-items", {"company": books.company.pk, "partner": customer.pk}).json()
    assert items["items"] == []


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"amount": "100.00"}, "amount", 422),  # more than is open, no overpayment chosen
        ({"amount": "-5"}, "amount", 422),
        ({"amount": "1.001"}, "amount", 422),
        ({"partner": 999999}, "partner", 422),
        ({"direction": "sideways"}, "direction", 422),
        ({"date": "2026-02-30"}, "date", 422),
        ({"allocations": [{"installment": 999999, "amount": "1"}]}, "allocations.0.installment",
         422),
    ],
)  # fmt: skip
def test_bad_payments_are_refused_naming_the_field_and_write_nothing(
    api, books, change, field, status
):
    customer = factories.partner(books.company, name="Corner Shop")
    document(books, customer, "40.00")
    before = written()
    body = {
        "company": books.company.pk, "direction": "inbound", "partner": customer.pk,
        "date": "2026-03-12", "amount": "40.00", **change,
    }  # fmt: skip
    response = api.post("payments", body)
    assert response.status_code == status, response.content
    problem = response.json()
    assert any(key.endswith(field) or key == field for key in problem["errors"]), problem
    assert written() == before


def test_a_payment_into_a_locked_period_is_a_409_and_writes_nothing(api, books):
    customer = factories.partner(books.company, name="Corner Shop")
    document(books, customer, "40.00")
    api.put(f"ledgers/{books.company.pk}/lock-date", {"lock_date": "2026-03-31"})
    before = written()
    response = api.post(
        "payments",
        {"company": books.company.pk, "direction": "inbound", "partner": customer.pk,
         "date": "2026-03-20", "amount": "40.00"},
    )  # fmt: skip
    assert response.status_code == 409, response.content
    assert "locked" in response.json()["detail"]
    assert written() == before


def test_payment_run_through_the_api(api, books):
    supplier = factories.partner(books.company, is_customer=False, is_supplier=True)
    create_record(
        SYSTEM, PartnerBankAccount, {"partner": supplier, "iban": "DE89370400440532013000",
                                     "holder": supplier.name},
    )  # fmt: skip
    document(books, supplier, "300.00", kind=InvoiceKind.VENDOR_BILL)
    response = api.post("payment-runs", {"company": books.company.pk, "payment_date": "2026-04-30"})
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["state"], run["total_company"], len(run["lines"])) == ("draft", "300.0000", 1)
    early = api.post(f"payment-runs/{run['id']}/pay")
    assert early.status_code == 409
    assert api.post(f"payment-runs/{run['id']}/submit").json()["state"] == "approved"
    paid = api.post(f"payment-runs/{run['id']}/pay").json()
    assert paid["state"] == "done"
    assert len(paid["payments"]) == 1
    again = api.post("payment-runs", {"company": books.company.pk, "payment_date": "2026-04-30"})
    assert again.status_code == 422
    assert "due_until" in again.json()["errors"]


# -- the permission matrix ---------------------------------------------------------------------

ROLES = list(Role)


class Matrix:
    def __init__(self) -> None:
        company = factories.company("PMX", name="Payments matrix")
        self.books = Books(company)
        self.customer = factories.partner(company, name="Matrix customer")
        self.supplier = factories.partner(company, is_customer=False, is_supplier=True)
        create_record(
            SYSTEM,
            PartnerBankAccount,
            {"partner": self.supplier, "iban": "FR1420041010050500013M02606", "holder": "M"},
        )
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}
        self.payment = self.overpayment()

    def overpayment(self) -> int:
        from tests.accounting.test_payments import pay

        return pay(self.books, self.customer, "10.00", overpayment=True).pk

    def body(self) -> dict[str, Any]:
        return {
            "company": self.books.company.pk, "direction": "inbound",
            "partner": self.customer.pk, "date": "2026-03-12", "amount": "1.00",
            "overpayment": True,
        }  # fmt: skip

    def allocatable(self) -> int:
        payment = self.overpayment()
        document(self.books, self.customer, "4.00")
        return payment

    def offsettable(self) -> tuple[int, int]:
        invoice = document(self.books, self.customer, "6.00")
        credit = document(self.books, self.customer, "2.00", kind=InvoiceKind.CUSTOMER_CREDIT)
        return invoice.installments.get().pk, credit.installments.get().pk

    def run_body(self) -> dict[str, Any]:
        document(self.books, self.supplier, "9.00", kind=InvoiceKind.VENDOR_BILL)
        return {"company": self.books.company.pk, "payment_date": "2026-06-30"}

    def run(self) -> int:
        document(self.books, self.supplier, "8.00", kind=InvoiceKind.VENDOR_BILL)
        return create_payment_run(SYSTEM, self.books.company.pk, datetime.date(2026, 6, 30)).pk


def _offset(client: ApiClient, matrix: Matrix) -> Any:
    item, credit = matrix.offsettable()
    return client.post(f"open-items/{item}/offset", {"credit_item": credit})


ENDPOINTS: dict[str, tuple[str, str, int, Any]] = {
    "list-payments": ("accounting.payment", "view", 200, lambda c, m: c.get("payments")),
    "register-payment": (
        "accounting.payment", "add", 201, lambda c, m: c.post("payments", m.body()),
    ),
    "get-payment": ("accounting.payment", "view", 200, lambda c, m: c.get(f"payments/{m.payment}")),
    "allocate-payment": (
        "accounting.payment", "change", 200,
        lambda c, m: c.post(f"payments/{m.allocatable()}/allocate", {}),
    ),
    "list-open-items": ("accounting.payment", "view", 200, lambda c, m: c.get("open-items")),
    "offset": ("accounting.payment", "change", 200, _offset),
    "list-runs": ("accounting.paymentrun", "view", 200, lambda c, m: c.get("payment-runs")),
    "create-run": (
        "accounting.paymentrun", "add", 201, lambda c, m: c.post("payment-runs", m.run_body()),
    ),
    "get-run": (
        "accounting.paymentrun", "view", 200, lambda c, m: c.get(f"payment-runs/{m.run()}"),
    ),
    "act-on-run": (
        "accounting.paymentrun", "change", 200,
        lambda c, m: c.post(f"payment-runs/{m.run()}/cancel"),
    ),
}  # fmt: skip
ROUTES = {
    "list-payments": ("get", "/api/v1/payments"),
    "register-payment": ("post", "/api/v1/payments"),
    "get-payment": ("get", "/api/v1/payments/{id}"),
    "allocate-payment": ("post", "/api/v1/payments/{id}/allocate"),
    "list-open-items": ("get", "/api/v1/open-items"),
    "offset": ("post", "/api/v1/open-items/{id}/offset"),
    "list-runs": ("get", "/api/v1/payment-runs"),
    "create-run": ("post", "/api/v1/payment-runs"),
    "get-run": ("get", "/api/v1/payment-runs/{id}"),
    "act-on-run": ("post", "/api/v1/payment-runs/{id}/{action}"),
}
# Settling a credit note against an invoice changes the invoice too.
ALSO_NEEDS = {"offset": ("accounting.invoice", "change")}


matrix = module_matrix(Matrix)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_permission_matrix(matrix, db, role, endpoint):
    label, action, allowed, call = ENDPOINTS[endpoint]
    response = call(matrix.clients[role], matrix)
    permitted = role_allows(role, label, action)
    if endpoint in ALSO_NEEDS:
        permitted = permitted and role_allows(role, *ALSO_NEEDS[endpoint])
    assert_answer(response, allowed=allowed, permitted=permitted, case=(role, endpoint))


def test_the_matrix_covers_every_payment_endpoint(db):
    ours = tagged_operations("Payments")
    assert ours == set(ROUTES.values())
    assert set(ROUTES) == set(ENDPOINTS)
