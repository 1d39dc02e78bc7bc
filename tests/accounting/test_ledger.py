"""Chart of accounts, journals, periods and lock dates."""

import datetime

import pytest

from crossdock.accounting import services
from crossdock.accounting.chart_template import DISTRIBUTOR_CHART
from crossdock.accounting.models import (
    Account,
    AccountRole,
    FiscalYear,
    Journal,
    JournalEntry,
    JournalLine,
    Period,
    PeriodState,
)
from crossdock.accounting.services.ledger import ensure_all_ledgers
from crossdock.core.models import AuditEntry
from crossdock.masterdata.models import Company
from tests import factories
from tests.inventory.conftest import SYSTEM


def test_a_new_company_gets_the_distributor_chart_and_journals(company_a):
    codes = set(Account.objects.filter(company=company_a).values_list("code", flat=True))
    assert codes == {row.code for row in DISTRIBUTOR_CHART}
    roles = services.accounts_by_role(company_a.pk)
    for role in (
        AccountRole.RECEIVABLE, AccountRole.PAYABLE, AccountRole.STOCK, AccountRole.GRNI,
        AccountRole.DELIVERED_NOT_INVOICED, AccountRole.COST_OF_GOODS_SOLD,
        AccountRole.PRICE_VARIANCE, AccountRole.LANDED_COST_CLEARING,
        AccountRole.INVENTORY_LOSS_GAIN, AccountRole.BANK, AccountRole.TAX_PAYABLE,
        AccountRole.FX_GAIN, AccountRole.FX_LOSS, AccountRole.INTERCOMPANY,
    ):  # fmt: skip
        assert role in roles, role
    assert set(Journal.objects.filter(company=company_a).values_list("code", flat=True)) == {
        "MISC", "STK", "PUR", "SAL", "BNK",
    }  # fmt: skip


def test_companies_that_predate_the_ledger_get_one_after_migrate(db):
    company = factories.company("OLD")
    Account.objects.filter(company=company).delete()
    Journal.objects.filter(company=company).delete()
    company.ledger.delete()
    ensure_all_ledgers()
    assert Account.objects.filter(company=company).count() == len(DISTRIBUTOR_CHART)
    assert Company.objects.get(pk=company.pk).ledger.chart_template == "distributor"


def test_the_first_posting_of_a_year_creates_its_twelve_periods(books):
    books.post(("6100", "100", "0"), ("1000", "0", "100"), date=datetime.date(2027, 2, 3))
    year = FiscalYear.objects.get(company=books.company, starts_on=datetime.date(2027, 1, 1))
    periods = list(year.periods.values_list("name", "starts_on", "ends_on"))
    assert len(periods) == 12
    assert periods[1] == ("2027-02", datetime.date(2027, 2, 1), datetime.date(2027, 2, 28))


def test_posting_on_or_before_the_lock_date_is_refused_and_writes_nothing(books):
    services.set_lock_date(SYSTEM, books.company.pk, datetime.date(2026, 3, 31))
    audit_before = AuditEntry.objects.count()
    with pytest.raises(services.PeriodLockedError, match="locked up to 2026-03-31"):
        books.post(("6100", "100", "0"), ("1000", "0", "100"), date=datetime.date(2026, 3, 31))
    assert JournalEntry.objects.count() == 0
    assert JournalLine.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before
    books.post(("6100", "100", "0"), ("1000", "0", "100"), date=datetime.date(2026, 4, 1))
    assert JournalEntry.objects.count() == 1


def test_posting_into_a_closed_period_is_refused(books):
    books.post(("6100", "1", "0"), ("1000", "0", "1"), date=datetime.date(2026, 5, 2))
    may = Period.objects.get(company=books.company, name="2026-05")
    services.set_period_state(SYSTEM, may.pk, PeriodState.CLOSED)
    with pytest.raises(services.PeriodLockedError, match="Period 2026-05 is closed"):
        books.post(("6100", "1", "0"), ("1000", "0", "1"), date=datetime.date(2026, 5, 31))
    services.set_period_state(SYSTEM, may.pk, PeriodState.OPEN)
    books.post(("6100", "1", "0"), ("1000", "0", "1"), date=datetime.date(2026, 5, 31))
    assert JournalEntry.objects.filter(state="posted").count() == 2
