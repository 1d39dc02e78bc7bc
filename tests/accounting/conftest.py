"""Accounting fixtures: a company's ledger, helpers to post entries, the inventory site."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.accounting import services
from crossdock.accounting.models import Account, AccountRole, JournalKind
from crossdock.accounting.services import EntryDraft, LineDraft
from tests.inventory.conftest import SYSTEM, Site

D = Decimal


class Books:
    """The chart of one company and a shortcut to post simple entries."""

    def __init__(self, company):
        self.company = company
        self.roles = services.accounts_by_role(company.pk)
        self.general = services.journal_of(company.pk, JournalKind.GENERAL)

    def account(self, code: str) -> Account:
        return Account.objects.get(company=self.company, code=code)

    def role(self, role: AccountRole) -> Account:
        return self.roles[role]

    def draft(self, *lines, date=None, memo="") -> EntryDraft:
        return EntryDraft(
            company_id=self.company.pk,
            journal_id=self.general.pk,
            date=date or datetime.date(2026, 3, 15),
            memo=memo,
            lines=[
                LineDraft(self.account(code).pk, debit=D(debit), credit=D(credit))
                for code, debit, credit in lines
            ],
        )

    def post(self, *lines, date=None, actor=SYSTEM):
        (entry_id,) = services.post_entries(actor, [self.draft(*lines, date=date)])
        return entry_id


@pytest.fixture
def books(company_a):
    return Books(company_a)


@pytest.fixture
def site(warehouse_a):
    return Site(warehouse_a)
