"""Accounting services: every change to the books goes through these functions."""

from crossdock.accounting.services.ledger import (
    PeriodLockedError,
    accounts_by_role,
    assign_role,
    ensure_ledger,
    journal_of,
    set_lock_date,
    set_period_state,
    set_price_difference,
)
from crossdock.accounting.services.posting import (
    EntryDraft,
    LineDraft,
    UnbalancedEntryError,
    delete_draft,
    post_draft,
    post_entries,
    reverse_entry,
    save_draft,
)

__all__ = [
    "EntryDraft",
    "LineDraft",
    "PeriodLockedError",
    "UnbalancedEntryError",
    "accounts_by_role",
    "assign_role",
    "delete_draft",
    "ensure_ledger",
    "journal_of",
    "post_draft",
    "post_entries",
    "reverse_entry",
    "save_draft",
    "set_lock_date",
    "set_period_state",
    "set_price_difference",
]
