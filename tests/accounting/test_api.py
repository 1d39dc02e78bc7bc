"""The accounting API: manual entries with clear refusals, reports, CSV, and its permission
matrix (every endpoint × every role, driven by ``ROLE_PERMISSIONS``)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import override_settings

from crossdock.accounting import services
from crossdock.accounting.models import JournalEntry, JournalLine
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role, role_allows
from crossdock.inventory import services as inventory
from tests import factories
from tests.accounting.conftest import Books
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM, Site
from tests.permission_matrix import assert_answer, module_matrix, tagged_operations


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


def body(books: Books, *lines: tuple[str, str, str], **extra: Any) -> dict[str, Any]:
    return {
        "company": books.company.pk,
        "date": "2026-03-15",
        "memo": "Rent March",
        "lines": [
            {"account": books.account(code).pk, "debit": debit, "credit": credit}
            for code, debit, credit in lines
        ],
        **extra,
    }


def written() -> tuple[int, int, int]:
    return JournalEntry.objects.count(), JournalLine.objects.count(), AuditEntry.objects.count()


def test_post_a_manual_entry_then_read_it_and_reverse_it(api, books):
    response = api.post(
        "journal-entries", body(books, ("6100", "1500", "0"), ("1000", "0", "1500"))
    )
    assert response.status_code == 201, response.content
    entry = response.json()
    assert (entry["state"], entry["number"], entry["memo"]) == ("posted", "MISC/2026/0000001",
                                                                "Rent March")  # fmt: skip
    assert [(x["account_code"], x["debit"], x["credit"]) for x in entry["lines"]] == [
        ("6100", "1500.0000", "0.0000"),
        ("1000", "0.0000", "1500.0000"),
    ]
    assert api.get(f"journal-entries/{entry['id']}").json()["id"] == entry["id"]
    reversal = api.post(f"journal-entries/{entry['id']}/reverse", {"date": "2026-03-31"})
    assert reversal.status_code == 201, reversal.content
    assert reversal.json()["reversal_of"] == entry["id"]
    again = api.post(f"journal-entries/{entry['id']}/reverse", {})
    assert again.status_code == 409
    assert "already been reversed" in again.json()["detail"]


def test_an_unbalanced_entry_is_a_422_and_writes_nothing(api, books):
    before = written()
    response = api.post("journal-entries", body(books, ("6100", "100", "0"), ("1000", "0", "90")))
    assert response.status_code == 422
    problem = response.json()
    assert "not balanced" in problem["detail"]
    assert "difference 10" in problem["errors"]["lines"][0]
    assert written() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"lines": [{"account": 999999, "debit": "1"}, {"account": 999999, "credit": "1"}]},
            "lines.0.account",
        ),
        ({"date": "2026-02-30"}, "date"),
        ({"company": 999999}, "company"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(api, books, change, field):
    before = written()
    response = api.post(
        "journal-entries", {**body(books, ("6100", "1", "0"), ("1000", "0", "1")), **change}
    )
    assert response.status_code in (404, 422), response.content
    assert any(field in key for key in response.json().get("errors", {})), response.json()
    assert written() == before


def test_floats_are_refused(api, books):
    payload = body(books, ("6100", "1", "0"), ("1000", "0", "1"))
    payload["lines"][0]["debit"] = 1.5
    assert api.post("journal-entries", payload).status_code == 422


def test_posting_into_a_locked_period_is_a_409_and_writes_nothing(api, books):
    lock = api.put(f"ledgers/{books.company.pk}/lock-date", {"lock_date": "2026-03-31"})
    assert lock.status_code == 200, lock.content
    before = written()
    response = api.post("journal-entries", body(books, ("6100", "1", "0"), ("1000", "0", "1")))
    assert response.status_code == 409
    assert "locked up to 2026-03-31" in response.json()["detail"]
    assert written() == before


def test_a_draft_can_be_posted_once_and_a_posted_entry_not_reposted(api, books):
    draft = api.post(
        "journal-entries", body(books, ("6100", "5", "0"), ("1000", "0", "5"), post=False)
    ).json()
    assert draft["state"] == "draft"
    posted = api.post(f"journal-entries/{draft['id']}/post")
    assert posted.json()["state"] == "posted"
    assert api.post(f"journal-entries/{draft['id']}/post").status_code == 409


def test_trial_balance_ledger_and_reconciliation_with_csv(api, books, warehouse_a):
    site = Site(warehouse_a)
    product = factories.product(costing_method="fifo", sku="WIDGET-1", name="Widget")
    site.receive(product, "4", cost="2.50")
    today = datetime.date.today().isoformat()
    books.post(("6100", "7", "0"), ("1000", "0", "7"), date=datetime.date.today())
    tb = api.get("trial-balance", {"company": books.company.pk}).json()
    assert {r["code"]: r["balance"] for r in tb["rows"]} == {
        "1000": "-7.0000", "1200": "10.0000", "2100": "-10.0000", "6100": "7.0000",
    }  # fmt: skip
    assert tb["total_debit"] == tb["total_credit"] == "17.0000"
    csv = api.get("trial-balance", {"company": books.company.pk, "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines()[0] == "code,name,account_type,debit,credit,balance"
    stock = books.account("1200").pk
    ledger = api.get("general-ledger", {"account": stock}).json()
    assert [(r["date"], r["debit"], r["balance"]) for r in ledger["items"]] == [
        (today, "10.0000", "10.0000")
    ]
    rec = api.get("stock-reconciliation", {"company": books.company.pk}).json()
    assert rec["rows"] == [
        {"product": product.pk, "product_label": "WIDGET-1 Widget", "layers": "10.0000",
         "ledger": "10.0000", "difference": "0.0000"},
    ]  # fmt: skip
    assert rec["difference"] == "0.0000"


def test_the_general_ledger_pages_with_a_running_balance(api, books):
    for day in range(1, 6):
        books.post(("1000", str(day), "0"), ("3000", "0", str(day)),
                   date=datetime.date(2026, 1, day))  # fmt: skip
    bank = books.account("1000").pk
    first = api.get("general-ledger", {"account": bank, "limit": 2}).json()
    assert [r["balance"] for r in first["items"]] == ["1.0000", "3.0000"]
    second = api.get(
        "general-ledger", {"account": bank, "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert second["opening_balance"] == "3.0000"
    assert [r["balance"] for r in second["items"]] == ["6.0000", "10.0000"]
    since = api.get("general-ledger", {"account": bank, "since": "2026-01-04"}).json()
    assert since["opening_balance"] == "6.0000"
    assert [r["balance"] for r in since["items"]] == ["10.0000", "15.0000"]
    assert api.get("general-ledger", {"account": bank, "cursor": "nonsense"}).status_code == 422


def test_a_user_of_company_a_never_sees_company_b_books(company_a, company_b):
    books_b = Books(company_b)
    books_b.post(("6100", "3", "0"), ("1000", "0", "3"))
    user = factories.user(Role.CONTROLLER, companies=[company_a])
    client = ApiClient(user)
    assert client.get("trial-balance", {"company": company_b.pk}).status_code == 404
    assert client.get("journal-entries").json()["items"] == []
    assert client.get("general-ledger", {"account": books_b.account("1000").pk}).status_code == 404
    assert client.get("accounts", {"company": company_b.pk}).json()["items"] == []
    entry = JournalEntry.objects.get(company=company_b)
    assert client.get(f"journal-entries/{entry.pk}").status_code == 404


# -- the permission matrix ---------------------------------------------------------------------

ROLES = list(Role)
ENDPOINTS: dict[str, tuple[str, str, int, Any]] = {
    "accounts": ("accounting.account", "view", 200, lambda c, m: c.get("accounts")),
    "list-entries": (
        "accounting.journalentry", "view", 200, lambda c, m: c.get("journal-entries"),
    ),
    "create-entry": (
        "accounting.journalentry", "add", 201,
        lambda c, m: c.post("journal-entries", m.body()),
    ),
    "get-entry": (
        "accounting.journalentry", "view", 200,
        lambda c, m: c.get(f"journal-entries/{m.posted}"),
    ),
    "post-entry": (
        "accounting.journalentry", "change", 200,
        lambda c, m: c.post(f"journal-entries/{m.draft()}/post"),
    ),
    "reverse-entry": (
        "accounting.journalentry", "change", 201,
        lambda c, m: c.post(f"journal-entries/{m.posted}/reverse", {}),
    ),
    "lock-date": (
        "accounting.ledgersettings", "change", 200,
        lambda c, m: c.put(f"ledgers/{m.books.company.pk}/lock-date", {"lock_date": None}),
    ),
    "get-ledger": (
        "accounting.ledgersettings", "view", 200,
        lambda c, m: c.get(f"ledgers/{m.books.company.pk}"),
    ),
    "update-ledger": (
        "accounting.ledgersettings", "change", 200,
        lambda c, m: c.patch(f"ledgers/{m.books.company.pk}", {"price_difference": "variance"}),
    ),
    "trial-balance": (
        "accounting.journalentry", "view", 200,
        lambda c, m: c.get("trial-balance", {"company": m.books.company.pk}),
    ),
    "general-ledger": (
        "accounting.journalentry", "view", 200,
        lambda c, m: c.get("general-ledger", {"account": m.books.account("1000").pk}),
    ),
    "stock-reconciliation": (
        "accounting.journalentry", "view", 200,
        lambda c, m: c.get("stock-reconciliation", {"company": m.books.company.pk}),
    ),
}  # fmt: skip
ROUTES = {
    "accounts": ("get", "/api/v1/accounts"),
    "list-entries": ("get", "/api/v1/journal-entries"),
    "create-entry": ("post", "/api/v1/journal-entries"),
    "get-entry": ("get", "/api/v1/journal-entries/{id}"),
    "post-entry": ("post", "/api/v1/journal-entries/{id}/post"),
    "reverse-entry": ("post", "/api/v1/journal-entries/{id}/reverse"),
    "lock-date": ("put", "/api/v1/ledgers/{company}/lock-date"),
    "get-ledger": ("get", "/api/v1/ledgers/{company}"),
    "update-ledger": ("patch", "/api/v1/ledgers/{company}"),
    "trial-balance": ("get", "/api/v1/trial-balance"),
    "general-ledger": ("get", "/api/v1/general-ledger"),
    "stock-reconciliation": ("get", "/api/v1/stock-reconciliation"),
}
# Reading the ledger also needs the chart.
ALSO_NEEDS = {"general-ledger": ("accounting.account", "view")}


class Matrix:
    def __init__(self) -> None:
        company = factories.company("AMX", name="Accounting matrix")
        self.books = Books(company)
        self.posted = self.books.post(("6100", "2", "0"), ("1000", "0", "2"))
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    def body(self) -> dict[str, Any]:
        return body(self.books, ("6100", "1", "0"), ("1000", "0", "1"))

    def draft(self) -> int:
        draft = self.books.draft(("6100", "1", "0"), ("1000", "0", "1"))
        return services.save_draft(SYSTEM, draft).pk


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


def test_the_matrix_covers_every_accounting_endpoint(db):
    ours = tagged_operations("Accounting")
    assert ours == set(ROUTES.values())
    assert set(ROUTES) == set(ENDPOINTS)


def test_stock_postings_by_api_validation_appear_in_the_ledger(api, warehouse_a):
    site = Site(warehouse_a)
    product = factories.product(costing_method="average")
    transfer = site.transfer("receipt", site.supplier, site.stock, [(product, "3", "1.10")])
    inventory.validate_transfer(SYSTEM, transfer.pk)
    entries = api.get("journal-entries", {"company": site.company.pk}).json()["items"]
    assert [(e["source_type"], e["source_id"]) for e in entries] == [
        ("inventory.transfer", str(transfer.pk))
    ]
