"""The ledger side of the history: journal entries, invoices and bills, open items, payments.

The same rows the accounting services write for one document, built for many at once:
an entry per document with its lines (debits = credits, checked before anything is
written), an invoice with its lines and one open item, a payment with its allocation.
Entries are numbered ``<journal>/<year>/H<n>`` (``H`` for generated history), so they never
collide with the journals' own numbering.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np

from crossdock.accounting.models import (
    Allocation,
    Installment,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
)
from crossdock.web.history import tables

EPOCH = datetime.date(1970, 1, 1)
SUSPENDED = ("accounting_line_insert_posted", "accounting_entry_balanced_on_insert")


def round_div(amount: np.ndarray, divisor: int) -> np.ndarray:
    """``amount / divisor`` rounded half to even (banker's rounding, as currencies round)."""
    quotient, rest = np.divmod(amount, divisor)
    twice = 2 * rest
    up = (twice > divisor) | ((twice == divisor) & (quotient % 2 == 1))
    return quotient + up.astype(np.int64)


def money(units: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Whole units × a price (scale 6), rounded to the cent and stored at money scale (4)."""
    return round_div(units.astype(np.int64) * price.astype(np.int64), 10_000) * 100


@dataclass
class EntryBatch:
    """Journal entries and their lines, accumulated then written at once."""

    ids: np.ndarray
    company: np.ndarray
    journal: np.ndarray
    number: list[str]
    day: np.ndarray
    memo: list[str]
    source_type: str
    source_id: np.ndarray


@dataclass
class Lines:
    entry: list[np.ndarray] = field(default_factory=list)
    company: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    account: list[np.ndarray] = field(default_factory=list)
    debit: list[np.ndarray] = field(default_factory=list)
    credit: list[np.ndarray] = field(default_factory=list)
    partner: list[np.ndarray] = field(default_factory=list)
    product: list[np.ndarray] = field(default_factory=list)
    warehouse: list[np.ndarray] = field(default_factory=list)
    label: list[str] = field(default_factory=list)


class Books:
    """Accumulates entries and lines of the history; :meth:`write` checks and inserts them."""

    def __init__(self) -> None:
        self.entries: list[EntryBatch] = []
        self.lines = Lines()
        self.counters: dict[int, int] = {}  # journal → last history number
        self.next_entry = int(tables.next_ids(JournalEntry, 1)[0])

    def entry_ids(self, count: int) -> np.ndarray:
        ids = np.arange(self.next_entry, self.next_entry + count, dtype=np.int64)
        self.next_entry += count
        return ids

    def valued_entries(
        self, count: int, owner: np.ndarray, value: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Entries for the ``count`` documents that carry some value, as the posting service
        makes them: a document whose lines (``owner`` = each line's document index, ``value``
        its amount) are all worth nothing gets no entry. Returns the indices of the documents
        that get one and each document's entry id (-1 for none)."""
        valued = np.zeros(count, dtype=bool)
        valued[owner[value != 0]] = True
        kept = np.flatnonzero(valued)
        entries = np.full(count, -1, dtype=np.int64)
        entries[kept] = self.entry_ids(len(kept))
        return kept, entries

    def numbers(self, code: dict[int, str], journal: np.ndarray, day: np.ndarray) -> list[str]:
        """One history number per entry, counting per company journal in date order."""
        numbers = [""] * len(journal)
        years = (day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970).tolist()
        for index in np.argsort(day, kind="stable").tolist():
            key = int(journal[index])
            self.counters[key] = self.counters.get(key, 0) + 1
            numbers[index] = f"{code[key]}/{years[index]}/H{self.counters[key]:07d}"
        return numbers

    def add_entries(self, batch: EntryBatch) -> None:
        self.entries.append(batch)

    def add_lines(
        self,
        entry: np.ndarray,
        account: np.ndarray,
        amount: np.ndarray,
        *,
        debit: bool | np.ndarray,
        partner: np.ndarray,
        product: np.ndarray | None,
        warehouse: np.ndarray | None,
        label: list[str],
        company: np.ndarray,
        day: np.ndarray,
    ) -> None:
        """Lines of ``amount`` (≥ 0; zero amounts are skipped) on the debit or credit side."""
        keep = amount != 0
        side = np.broadcast_to(np.asarray(debit), amount.shape)[keep]
        value = amount[keep]
        none = np.full(len(amount), -1, dtype=np.int64)
        self.lines.entry.append(entry[keep])
        self.lines.company.append(company[keep])
        self.lines.day.append(day[keep])
        self.lines.account.append(np.broadcast_to(account, amount.shape)[keep])
        self.lines.debit.append(np.where(side, value, 0))
        self.lines.credit.append(np.where(side, 0, value))
        self.lines.partner.append(partner[keep])
        self.lines.product.append((none if product is None else product)[keep])
        self.lines.warehouse.append((none if warehouse is None else warehouse)[keep])
        self.lines.label.extend(label[i] for i in np.flatnonzero(keep).tolist())

    def write(self) -> tuple[int, int]:
        """Insert every line then every entry (posted); return (entries, lines)."""
        lines = self.lines
        if not self.entries:
            return 0, 0
        entry = np.concatenate(lines.entry)
        debit = np.concatenate(lines.debit)
        credit = np.concatenate(lines.credit)
        low = int(entry.min())
        balance = np.zeros(int(entry.max()) - low + 1, dtype=np.int64)
        np.add.at(balance, entry - low, debit - credit)
        unbalanced = (np.flatnonzero(balance) + low).tolist()
        assert not unbalanced, f"unbalanced history entries: {unbalanced[:5]}"

        def nullable(parts: list[np.ndarray]) -> tables.Nullable:
            return tables.Nullable(np.concatenate(parts))

        # Balance was checked above; the triggers would check each row again, slowly.
        with tables.triggers_suspended(*SUSPENDED):
            day = np.concatenate(lines.day)
            count = tables.insert(
                JournalLine,
                len(entry),
                {
                    "entry_id": entry,
                    "company_id": np.concatenate(lines.company),
                    "date": tables.day_text(day),
                    "account_id": np.concatenate(lines.account),
                    "debit": debit,
                    "credit": credit,
                    "partner_id": nullable(lines.partner),
                    "product_id": nullable(lines.product),
                    "warehouse_id": nullable(lines.warehouse),
                    "label": lines.label,
                },
            )
            written = 0
            for batch in self.entries:
                written += tables.insert(
                    JournalEntry,
                    len(batch.ids),
                    {
                        "id": batch.ids,
                        "company_id": batch.company,
                        "journal_id": batch.journal,
                        "number": batch.number,
                        "date": tables.day_text(batch.day),
                        "state": "posted",
                        "memo": batch.memo,
                        "source_type": batch.source_type,
                        "source_id": [str(v) for v in batch.source_id.tolist()],
                        "posted_at": tables.at_hour(batch.day, 18),
                    },
                )
        return written, count


@dataclass
class InvoiceBatch:
    """Invoices (or bills) with one open item each, their lines written separately."""

    ids: np.ndarray
    kind: str
    company: np.ndarray
    currency: np.ndarray
    partner: np.ndarray
    day: np.ndarray
    due: np.ndarray
    total: np.ndarray
    open_amount: np.ndarray
    entry: np.ndarray
    number: list[str]
    memo: list[str]
    partner_reference: list[str]
    source_transfer: list[int | None]
    payment_term: list[int | None]


def write_invoices(batch: InvoiceBatch) -> np.ndarray:
    """Insert the invoices and their open items (one per invoice, due on ``due``); return the
    open items' ids, in the invoices' order."""
    count = len(batch.ids)
    installments = tables.next_ids(Installment, count)
    state = np.where(
        batch.open_amount == 0,
        "paid",
        np.where(batch.open_amount == batch.total, "not_paid", "partial"),
    ).tolist()
    tables.insert(
        Invoice,
        count,
        {
            "id": batch.ids,
            "kind": batch.kind,
            "state": "posted",
            "number": batch.number,
            "partner_reference": batch.partner_reference,
            "date": tables.day_text(batch.day),
            "due_date": tables.day_text(batch.due),
            "rate": 10**10,
            "untaxed_amount": batch.total,
            "tax_amount": 0,
            "total_amount": batch.total,
            "total_company": batch.total,
            "open_amount": batch.open_amount,
            "open_company": batch.open_amount,
            "payment_state": state,
            "memo": batch.memo,
            "posted_at": tables.at_hour(batch.day, 18),
            "company_id": batch.company,
            "currency_id": batch.currency,
            "entry_id": batch.entry,
            "partner_id": batch.partner,
            "payment_term_id": batch.payment_term,
            "source_transfer_id": batch.source_transfer,
        },
    )
    side = "receivable" if batch.kind == "customer_invoice" else "payable"
    tables.insert(
        Installment,
        count,
        {
            "id": installments,
            "side": side,
            "sequence": 1,
            "due_date": tables.day_text(batch.due),
            "amount": batch.total,
            "amount_company": batch.total,
            "open_amount": batch.open_amount,
            "open_company": batch.open_amount,
            "discount_amount": 0,
            "company_id": batch.company,
            "currency_id": batch.currency,
            "partner_id": batch.partner,
            "invoice_id": batch.ids,
        },
    )
    return installments


def write_invoice_lines(columns: dict[str, tables.Column], count: int) -> int:
    return tables.insert(InvoiceLine, count, columns)


@dataclass
class PaymentBatch:
    ids: np.ndarray
    direction: str
    company: np.ndarray
    currency: np.ndarray
    partner: np.ndarray
    bank_account: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    entry: np.ndarray
    number: list[str]
    reference: list[str]
    installment: np.ndarray  # the open item each payment settles in full


def write_payments(batch: PaymentBatch) -> int:
    """Insert the payments, each allocated in full to its invoice's open item."""
    count = len(batch.ids)
    tables.insert(
        Payment,
        count,
        {
            "id": batch.ids,
            "direction": batch.direction,
            "state": "posted",
            "number": batch.number,
            "date": tables.day_text(batch.day),
            "rate": 10**10,
            "amount": batch.amount,
            "amount_company": batch.amount,
            "unallocated_amount": 0,
            "unallocated_company": 0,
            "reference": batch.reference,
            "posted_at": tables.at_hour(batch.day, 18),
            "bank_account_id": batch.bank_account,
            "company_id": batch.company,
            "currency_id": batch.currency,
            "entry_id": batch.entry,
            "partner_id": batch.partner,
        },
    )
    tables.insert(
        Allocation,
        count,
        {
            "date": tables.day_text(batch.day),
            "amount": batch.amount,
            "amount_company": batch.amount,
            "payment_amount_company": batch.amount,
            "discount": False,
            "company_id": batch.company,
            "installment_id": batch.installment,
            "payment_id": batch.ids,
        },
    )
    return count
