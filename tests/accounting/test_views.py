"""The finance screens: reports render with exact figures, CSV exports, manual entry refusals."""

import datetime

import pytest
from django.test import Client

from crossdock.accounting.models import JournalEntry
from crossdock.core.roles import Role
from tests import factories


@pytest.fixture
def controller(company_a):
    user = factories.user(Role.CONTROLLER, companies=[company_a])
    client = Client()
    client.force_login(user)
    return client


def test_trial_balance_page_and_csv(controller, books):
    books.post(("6100", "12.5", "0"), ("1000", "0", "12.5"), date=datetime.date.today())
    page = controller.get("/accounting/trial-balance/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="total-debit">12.5000<' in html
    assert "6100 Warehouse rent" in html
    csv = controller.get("/accounting/trial-balance/", {"company": books.company.pk,
                                                          "format": "csv"})  # fmt: skip
    assert csv.content.decode().splitlines()[1:] == [
        "1000,Bank,bank,0.0000,12.5000,-12.5000",
        "6100,Warehouse rent,expense,12.5000,0.0000,12.5000",
    ]


def test_ledger_reconciliation_and_entry_pages(controller, books):
    entry_id = books.post(("6100", "3", "0"), ("1000", "0", "3"), date=datetime.date.today())
    ledger = controller.get("/accounting/general-ledger/", {"account": books.account("1000").pk})
    assert ledger.status_code == 200
    assert "-3.0000" in ledger.content.decode()
    assert controller.get("/accounting/stock-reconciliation/").status_code == 200
    assert controller.get("/accounting/entries/").status_code == 200
    detail = controller.get(f"/accounting/entries/{entry_id}/")
    assert "Reverse" in detail.content.decode()
    reversed_ = controller.post(f"/accounting/entries/{entry_id}/reverse/")
    assert reversed_.status_code == 302
    assert JournalEntry.objects.filter(reversal_of_id=entry_id).exists()


def _form(books, **lines):
    data = {"journal": books.general.pk, "date": "2026-03-15", "memo": "Accrual", "post": "1"}
    data.update(lines)
    return data


def test_manual_entry_form_posts_and_refuses_unbalanced(controller, books):
    bad = _form(books, account_0=books.account("6100").pk, debit_0="10",
                account_1=books.account("2300").pk, credit_1="9")  # fmt: skip
    response = controller.post("/accounting/entries/new/", bad)
    assert response.status_code == 200
    assert "not balanced" in response.content.decode()
    assert JournalEntry.objects.count() == 0
    good = {**bad, "credit_1": "10"}
    response = controller.post("/accounting/entries/new/", good)
    assert response.status_code == 302
    assert JournalEntry.objects.get().state == "posted"


def test_finance_navigation_follows_the_roles(company_a):
    from crossdock.web.navigation import navigation_for

    controller = factories.user(Role.CONTROLLER, companies=[company_a])
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a])
    assert "Finance" in [g.label for g in navigation_for(controller)]
    assert "Finance" not in [g.label for g in navigation_for(operator)]


def test_roles_without_the_books_are_refused(company_a):
    client = Client()
    client.force_login(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a]))
    assert client.get("/accounting/trial-balance/").status_code == 403
