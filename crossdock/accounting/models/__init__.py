"""Accounting models: chart of accounts, journals, periods, entries and lines."""

from crossdock.accounting.models.chart import (
    PROFIT_AND_LOSS_TYPES,
    Account,
    AccountRole,
    AccountType,
    Journal,
    JournalKind,
    LedgerSettings,
)
from crossdock.accounting.models.entries import EntryState, JournalEntry, JournalLine
from crossdock.accounting.models.periods import FiscalYear, Period, PeriodState

__all__ = [
    "PROFIT_AND_LOSS_TYPES",
    "Account",
    "AccountRole",
    "AccountType",
    "EntryState",
    "FiscalYear",
    "Journal",
    "JournalEntry",
    "JournalKind",
    "JournalLine",
    "LedgerSettings",
    "Period",
    "PeriodState",
]
