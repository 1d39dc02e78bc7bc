"""The financial statement endpoints: figures, CSV and XLSX downloads, refusals naming the
parameter, and the permission matrix (every endpoint × every role)."""

import csv
import datetime
import io

import pytest
from django.test import override_settings
from openpyxl import load_workbook

from crossdock.accounting.models import InvoiceKind
from crossdock.core.roles import Role, role_allows
from tests import factories
from tests.accounting.conftest import Books
from tests.accounting.test_payments import document
from tests.api.conftest import ApiClient
from tests.permission_matrix import module_matrix, tagged_operations

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


def test_balance_sheet_json_csv_and_xlsx(api, books):
    books.post(("1000", "250", "0"), ("3000", "0", "250"), date=DAY)
    params = {"company": books.company.pk, "as_of": "2026-03-31"}
    body = api.get("accounting/balance-sheet", params).json()
    assert [(r["code"], r["amount"]) for r in body["rows"] if r["code"]] == [
        ("1000", "250.0000"), ("3000", "250.0000"),
    ]  # fmt: skip
    text = api.get("accounting/balance-sheet", {**params, "format": "csv"}).content.decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["section", "code", "name", "amount"]
    assert ["Assets", "1000", "Bank", "250.0000"] in lines
    xlsx = api.get("accounting/balance-sheet", {**params, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]] == ["section", "code", "name", "amount"]
    assert float(sheet["D2"].value) == 250.0


def test_aged_and_grni_endpoints(api, books):
    customer = factories.partner(books.company, name="Corner Shop")
    document(books, customer, "90.00", due_date=DAY)
    body = api.get(
        "accounting/aged-receivables", {"company": books.company.pk, "as_of": "2026-04-20"}
    ).json()
    (row, total) = body["rows"]
    assert (row["partner"], row["31–60 days"], row["Total"]) == ("Corner Shop", "90.0000",
                                                                  "90.0000")  # fmt: skip
    assert total["partner"] == "Total"
    payables = api.get("accounting/aged-payables", {"company": books.company.pk}).json()
    assert payables["rows"][-1]["Total"] == "0.0000"
    grni = api.get("accounting/grni", {"company": books.company.pk}).json()
    assert (grni["rows"], grni["ledger"]) == ([], "0.0000")


def test_consolidated_endpoints(api, company_a, company_b):
    Books(company_a).post(("1000", "5", "0"), ("3000", "0", "5"), date=DAY)
    sheet = api.get("accounting/consolidated/balance-sheet", {"as_of": "2026-03-31"}).json()
    assert "ACME" in sheet["columns"]
    assert "Eliminations" in sheet["columns"]
    pnl = api.get("accounting/consolidated/profit-and-loss", {"currency": "EUR"})
    assert pnl.status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("accounting/balance-sheet", {}, "company"),
        ("accounting/balance-sheet", {"company": 1, "as_of": "soon"}, "as_of"),
        ("accounting/balance-sheet", {"company": 1, "colour": "red"}, "colour"),
        ("accounting/profit-and-loss", {"company": 1, "format": "pdf"}, "format"),
        ("accounting/profit-and-loss",
         {"company": 1, "date_from": "2026-05-01", "date_to": "2026-04-01"}, "date_from"),
        ("accounting/consolidated/balance-sheet", {"currency": "XXX"}, "currency"),
        ("accounting/aged-receivables", {"company": 999999}, "company"),
    ],
)  # fmt: skip
def test_bad_parameters_are_refused_naming_them(api, books, path, params, field):
    params = {k: (books.company.pk if v == 1 and k == "company" else v) for k, v in params.items()}
    response = api.get(path, params)
    assert 400 <= response.status_code < 500, response.content
    problem = response.json()
    assert field in str(problem.get("errors", problem)), problem


ROLES = list(Role)
ENDPOINTS = {
    "balance-sheet": ("get", "/api/v1/accounting/balance-sheet", "accounting.journalentry",
                      lambda m: {"company": m.company.pk}),
    "profit-and-loss": ("get", "/api/v1/accounting/profit-and-loss", "accounting.journalentry",
                        lambda m: {"company": m.company.pk}),
    "consolidated-bs": ("get", "/api/v1/accounting/consolidated/balance-sheet",
                        "accounting.journalentry", lambda m: {}),
    "consolidated-pnl": ("get", "/api/v1/accounting/consolidated/profit-and-loss",
                         "accounting.journalentry", lambda m: {}),
    "aged-receivables": ("get", "/api/v1/accounting/aged-receivables", "accounting.payment",
                         lambda m: {"company": m.company.pk}),
    "aged-payables": ("get", "/api/v1/accounting/aged-payables", "accounting.payment",
                      lambda m: {"company": m.company.pk}),
    "grni": ("get", "/api/v1/accounting/grni", "accounting.journalentry",
             lambda m: {"company": m.company.pk}),
}  # fmt: skip


class Matrix:
    def __init__(self) -> None:
        self.company = factories.company("SMX", name="Statements matrix")
        customer = factories.partner(self.company)
        document(Books(self.company), customer, "12.00", kind=InvoiceKind.CUSTOMER_INVOICE)
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[self.company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}


matrix = module_matrix(Matrix)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_permission_matrix(matrix, db, role, endpoint):
    _method, path, label, params = ENDPOINTS[endpoint]
    response = matrix.clients[role].get(path, params(matrix))
    expected = 200 if role_allows(role, label, "view") else 403
    assert response.status_code == expected, (role, endpoint, response.content)


def test_the_matrix_covers_every_statement_endpoint(db):
    ours = tagged_operations("Accounting reports")
    assert ours == {(m, p) for m, p, _l, _p in ENDPOINTS.values()}
