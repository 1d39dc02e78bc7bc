"""Ledger settings: which account holds each posting role, and where price differences go."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.accounting import services
from crossdock.accounting.models import (
    Account,
    AccountRole,
    Invoice,
    InvoiceKind,
    JournalLine,
    LedgerSettings,
)
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
    post_invoice,
)
from crossdock.core.errors import DomainError
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from tests import factories
from tests.accounting.conftest import Books
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM

D = Decimal
DAY = datetime.date(2026, 3, 10)


def holder(company, role: str) -> Account:
    return services.accounts_by_role(company.pk)[role]


def test_a_role_moves_to_another_account_of_its_type_and_postings_follow_it(books, company_b):
    """A service invoiced to a group company lands, in its mirrored bill, on the account that
    holds the receiver's INTERCOMPANY_SERVICES role — the default 6300, then 6100 once moved."""
    books_b = Books(company_b)
    customer = factories.partner(books.company, group_company=company_b)
    factories.partner(
        company_b, name="Group seller", is_customer=False, is_supplier=True,
        group_company=books.company,
    )  # fmt: skip

    def mirrored_debit_account() -> str:
        draft = create_invoice(
            SYSTEM,
            InvoiceInput(
                company_id=books.company.pk, kind=InvoiceKind.CUSTOMER_INVOICE,
                partner_id=customer.pk, date=DAY,
                lines=[InvoiceLineInput("Shared IT services", D(1), D("80.00"))],
            ),
        )  # fmt: skip
        invoice = post_invoice(SYSTEM, draft.pk)
        mirror = Invoice.objects.get(mirror_of=invoice)
        (debit,) = JournalLine.objects.filter(entry_id=mirror.entry_id, debit__gt=0)
        assert debit.debit == D("80.00")
        return debit.account.code

    assert holder(company_b, AccountRole.INTERCOMPANY_SERVICES).code == "6300"
    assert mirrored_debit_account() == "6300"

    rent = books_b.account("6100")
    services.assign_role(SYSTEM, company_b.pk, AccountRole.INTERCOMPANY_SERVICES, rent.pk)
    assert holder(company_b, AccountRole.INTERCOMPANY_SERVICES).pk == rent.pk
    assert Account.objects.get(company=company_b, code="6300").role == ""
    assert mirrored_debit_account() == "6100"
    assert AuditEntry.objects.filter(action="accounting.role").count() == 1


@pytest.mark.parametrize(
    ("role", "code", "field", "reason"),
    [
        (AccountRole.INTERCOMPANY_SERVICES, "1000", "account", "needs type expense"),
        (AccountRole.BANK, "9999", "account", "No such account"),
        ("nonsense", "1010", "role", "not an account role"),
        (AccountRole.BANK, "1100", "account", "needs type bank and cash"),
    ],
)
def test_a_role_is_refused_on_an_unfit_account_and_nothing_changes(
    books, role, code, field, reason
):
    account = Account.objects.filter(company=books.company, code=code).first()
    before = list(Account.objects.filter(company=books.company).values_list("code", "role"))
    with pytest.raises(DomainError) as refused:
        services.assign_role(SYSTEM, books.company.pk, role, account.pk if account else 0)
    assert reason in refused.value.fields[field][0]
    assert list(Account.objects.filter(company=books.company).values_list("code", "role")) == before


def test_an_account_holding_one_role_cannot_take_a_second(books):
    cash = books.account("1010")
    services.assign_role(SYSTEM, books.company.pk, AccountRole.BANK, cash.pk)
    assert holder(books.company, AccountRole.BANK).code == "1010"
    assert books.account("1000").role == ""
    transport = books.account("6200")
    services.assign_role(SYSTEM, books.company.pk, AccountRole.INTERCOMPANY_SERVICES, transport.pk)
    with pytest.raises(DomainError) as refused:
        services.assign_role(SYSTEM, books.company.pk, AccountRole.FX_LOSS, transport.pk)
    assert "already holds the role" in refused.value.fields["account"][0]
    assert holder(books.company, AccountRole.FX_LOSS).code == "7100"
    # assigning a role to the account that holds it already changes nothing
    services.assign_role(SYSTEM, books.company.pk, AccountRole.BANK, cash.pk)
    assert AuditEntry.objects.filter(action="accounting.role").count() == 2


def test_the_ledger_api_reads_and_changes_settings_all_or_nothing(books, admin_user):
    api = ApiClient(admin_user)
    company = books.company.pk
    read = api.get(f"ledgers/{company}")
    assert read.status_code == 200, read.content
    body = read.json()
    assert body["price_difference"] == "variance"
    roles = {r["role"]: r["code"] for r in body["roles"]}
    assert roles["intercompany_services"] == "6300"
    assert roles["bank"] == "1000"

    changed = api.patch(
        f"ledgers/{company}",
        {"price_difference": "stock", "roles": {"intercompany_services": books.account("6200").pk}},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["price_difference"] == "stock"
    assert {r["role"]: r["code"] for r in changed.json()["roles"]}["intercompany_services"] == (
        "6200"
    )

    # One bad role: refused naming it, and the good change sent with it is not kept either.
    refused = api.patch(
        f"ledgers/{company}",
        {
            "price_difference": "variance",
            "roles": {"intercompany_services": books.account("6100").pk, "bank": 999_999},
        },
    )
    assert refused.status_code == 422, refused.content
    assert "No such account" in refused.json()["errors"]["roles.bank.account"][0]
    settings = LedgerSettings.objects.get(company=books.company)
    assert settings.price_difference == "stock"
    assert holder(books.company, AccountRole.INTERCOMPANY_SERVICES).code == "6200"

    assert api.patch(f"ledgers/{company}", {"price_difference": "both"}).status_code == 422


def test_only_a_controller_changes_the_ledger(books):
    clerk = ApiClient(factories.user(Role.AP_CLERK, companies=[books.company]))
    response = clerk.patch(f"ledgers/{books.company.pk}", {"price_difference": "stock"})
    assert response.status_code == 403
    assert LedgerSettings.objects.get(company=books.company).price_difference == "variance"
