"""Writing journal entries: drafts, posting, reversal.

Design overview
---------------
Every entry is checked three times (as django-hordak does): here in Python
with a precise message per field, by ``CheckConstraint``s on each line
(``debit >= 0``, ``credit >= 0``, never both), and by the database when the
entry becomes posted (a deferred constraint trigger on PostgreSQL, a trigger
on SQLite, see migration 0002) — so even raw SQL cannot leave a posted entry
unbalanced or change one after posting.

:func:`post_entries` is set-based: a batch of entries is validated, numbered
with one update of each journal's counter, inserted with one statement for the
entries and one prepared statement for all lines, and flipped to posted with
one update. Manual entries, the stock-valuation postings and the benchmark all
go through it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crossdock.accounting.events import JournalEntriesPosted
from crossdock.accounting.models import Account, EntryState, Journal, JournalEntry, JournalLine
from crossdock.accounting.services.ledger import ensure_ledger, refuse_locked_dates
from crossdock.core import audit, events
from crossdock.core.bulk import insert_values
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError
from crossdock.core.fields import MONEY_SCALE
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company

ZERO = Decimal(0)
CENT = Decimal(1).scaleb(-MONEY_SCALE)


class UnbalancedEntryError(DomainError):
    """Debits and credits (or the foreign amounts of one currency) differ."""


@dataclass(frozen=True)
class LineDraft:
    account_id: int
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    label: str = ""
    currency_id: int | None = None
    amount_currency: Decimal | None = None
    partner_id: int | None = None
    product_id: int | None = None
    warehouse_id: int | None = None


@dataclass(frozen=True)
class EntryDraft:
    company_id: int
    journal_id: int
    date: datetime.date
    lines: Sequence[LineDraft]
    memo: str = ""
    source_type: str = ""
    source_id: str = ""
    reversal_of_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_LINE_FIELDS = (
    "entry", "company", "date", "account", "label", "debit", "credit", "currency",
    "amount_currency", "partner", "product", "warehouse",
)  # fmt: skip


def _exact(value: Any, name: str, problems: list[str]) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        problems.append(f"{name} must be an exact decimal amount.")
        return None
    if value != value.quantize(CENT):
        problems.append(f"{name} has more than {MONEY_SCALE} decimal places.")
        return None
    return value


def entry_problems(
    draft: EntryDraft, accounts: dict[int, Account], company_currency_id: int | None = None
) -> dict[str, list[str]]:
    """Everything wrong with a draft, by field (``lines.3.debit``); empty when it can post.

    Amounts in the company's own currency are not foreign amounts and are not
    balanced per currency.
    """
    problems: dict[str, list[str]] = defaultdict(list)
    if len(draft.lines) < 2:
        problems["lines"].append("An entry needs at least two lines.")
    total_debit = total_credit = ZERO
    per_currency: dict[int, Decimal] = defaultdict(Decimal)
    for index, line in enumerate(draft.lines):
        here: list[str] = []
        debit = _exact(line.debit, "Debit", here) or ZERO
        credit = _exact(line.credit, "Credit", here) or ZERO
        if debit < 0 or credit < 0:
            here.append("Debit and credit cannot be negative; use the other column.")
        if debit and credit:
            here.append("A line is either a debit or a credit, not both.")
        if not debit and not credit:
            here.append("A line needs a debit or a credit amount.")
        account = accounts.get(line.account_id)
        if account is None or account.company_id != draft.company_id:
            problems[f"lines.{index}.account"].append("No such account in this company.")
        elif not account.active:
            problems[f"lines.{index}.account"].append(f"Account {account.code} is archived.")
        if (line.currency_id is None) != (line.amount_currency is None):
            problems[f"lines.{index}.currency"].append(
                "Give both a currency and an amount in it, or neither."
            )
        elif line.currency_id is not None and line.currency_id != company_currency_id:
            amount = _exact(line.amount_currency, "Amount in currency", here)
            if amount is not None:
                if amount and (amount > 0) != (debit > 0):
                    here.append("The amount in currency must have the sign of the line.")
                per_currency[line.currency_id] += amount
        if here:
            problems[f"lines.{index}"].extend(here)
        total_debit += debit
        total_credit += credit
    if not problems and total_debit != total_credit:
        problems["lines"].append(
            f"The entry is not balanced: debits {total_debit} ≠ credits {total_credit} "
            f"(difference {total_debit - total_credit})."
        )
    for currency_id, total in per_currency.items():
        if total and not problems.get("lines"):
            problems["lines"].append(
                f"The amounts in currency {currency_id} do not balance (off by {total})."
            )
    return dict(problems)


def _load_accounts(drafts: Sequence[EntryDraft]) -> dict[int, Account]:
    ids = {line.account_id for d in drafts for line in d.lines}
    return Account.objects.in_bulk(ids)


def _check(drafts: Sequence[EntryDraft]) -> None:
    accounts = _load_accounts(drafts)
    journals = Journal.objects.in_bulk({d.journal_id for d in drafts})
    base = _currency_of({d.company_id for d in drafts})
    for number, draft in enumerate(drafts):
        journal = journals.get(draft.journal_id)
        if journal is None or journal.company_id != draft.company_id:
            _fail(number, len(drafts), {"journal": ["No such journal in this company."]})
        problems = entry_problems(draft, accounts, base.get(draft.company_id))
        if problems:
            _fail(number, len(drafts), problems)
    by_company: dict[int, set[datetime.date]] = defaultdict(set)
    for draft in drafts:
        by_company[draft.company_id].add(draft.date)
    for company_id, dates in sorted(by_company.items()):
        refuse_locked_dates(company_id, dates)


def _fail(number: int, count: int, problems: dict[str, list[str]]) -> None:
    name, messages = next(iter(problems.items()))
    where = f"Entry {number + 1}: " if count > 1 else ""
    error = UnbalancedEntryError if "not balanced" in messages[0] else DomainError
    label = "" if name in ("lines", "__all__") else f"{name}: "
    raise error(f"{where}{label}{messages[0]}", fields=problems)


def _require_all(actor: Actor, drafts: Sequence[EntryDraft], action: str) -> None:
    if actor.user is None:
        return
    for company_id in sorted({d.company_id for d in drafts}):
        require(actor, JournalEntry(company_id=company_id), action)


def _currency_of(company_ids: set[int]) -> dict[int, int]:
    return dict(Company.objects.filter(pk__in=company_ids).values_list("pk", "base_currency_id"))


def _numbers(drafts: Sequence[EntryDraft]) -> list[str]:
    """Take the next numbers from each journal's counter (locks the journal rows, in key order)."""
    wanted: dict[int, int] = defaultdict(int)
    for draft in drafts:
        wanted[draft.journal_id] += 1
    journals = {}
    for journal_id in sorted(wanted):
        Journal.objects.filter(pk=journal_id).update(
            last_number=F("last_number") + wanted[journal_id]
        )
        journals[journal_id] = Journal.objects.values_list("code", "last_number").get(pk=journal_id)
    next_of = {pk: last - wanted[pk] for pk, (_code, last) in journals.items()}
    numbers = []
    for draft in drafts:
        next_of[draft.journal_id] += 1
        code = journals[draft.journal_id][0]
        numbers.append(f"{code}/{draft.date.year}/{next_of[draft.journal_id]:07d}")
    return numbers


def post_entries(
    actor: Actor, drafts: Sequence[EntryDraft], *, check_permission: bool = True
) -> list[int]:
    """Validate and post a batch of entries in one transaction; return their ids in order."""
    if not drafts:
        return []
    with transaction.atomic():
        if check_permission:
            _require_all(actor, drafts, "add")
        for company_id in {d.company_id for d in drafts}:
            ensure_ledger(company_id)
        _check(drafts)
        now = timezone.now()
        numbers = _numbers(drafts)
        entries = JournalEntry.objects.bulk_create(
            [
                JournalEntry(
                    company_id=d.company_id,
                    journal_id=d.journal_id,
                    number=number,
                    date=d.date,
                    memo=d.memo[:200],
                    source_type=d.source_type,
                    source_id=d.source_id,
                    reversal_of_id=d.reversal_of_id,
                )
                for d, number in zip(drafts, numbers, strict=True)
            ],
            batch_size=500,
        )
        base = _currency_of({d.company_id for d in drafts})
        _insert_lines([e.pk for e in entries], drafts, base)
        ids = [e.pk for e in entries]
        for start in range(0, len(ids), 500):
            JournalEntry.objects.filter(pk__in=ids[start : start + 500]).update(
                state=EntryState.POSTED, posted_at=now
            )
        for entry, draft in zip(entries, drafts, strict=True):
            entry.state = EntryState.POSTED
            entry.posted_at = now
            _audit_posting(actor, entry, draft)
        for company_id in sorted({d.company_id for d in drafts}):
            events.publish(
                JournalEntriesPosted(
                    tuple(e.pk for e in entries if e.company_id == company_id),
                    company_id=company_id,
                )
            )
        return ids


def _insert_lines(
    entry_ids: Sequence[int], drafts: Sequence[EntryDraft], base: dict[int, int]
) -> None:
    rows = []
    for entry_id, draft in zip(entry_ids, drafts, strict=True):
        company_currency = base[draft.company_id]
        for line in draft.lines:
            foreign = line.currency_id is not None and line.currency_id != company_currency
            rows.append(
                (
                    entry_id, draft.company_id, draft.date, line.account_id, line.label[:200],
                    line.debit, line.credit, line.currency_id if foreign else None,
                    line.amount_currency if foreign else None, line.partner_id, line.product_id,
                    line.warehouse_id,
                )
            )  # fmt: skip
    insert_values(JournalLine, _LINE_FIELDS, rows)


def _audit_posting(actor: Actor, entry: JournalEntry, draft: EntryDraft) -> None:
    total = sum((line.debit for line in draft.lines), ZERO)
    audit.record(
        actor,
        audit.Change(
            "accounting.post",
            entry,
            None,
            {
                "number": entry.number,
                "date": draft.date.isoformat(),
                "journal": draft.journal_id,
                "lines": len(draft.lines),
                "total": str(total),
                "source": f"{draft.source_type}:{draft.source_id}".strip(":"),
            },
        ),
    )


# -- drafts and manual entries ---------------------------------------------------------------


def save_draft(actor: Actor, draft: EntryDraft, entry_id: int | None = None) -> JournalEntry:
    """Create a draft entry, or replace an existing draft's header and lines.

    Drafts are only checked for accounts and amounts, not balance: an
    accountant may save half an entry and finish it later.
    """
    with transaction.atomic():
        ensure_ledger(draft.company_id)
        if entry_id is None:
            entry = JournalEntry(company_id=draft.company_id)
            require(actor, entry, "add")
            before = None
        else:
            entry = lock_entry(entry_id)
            require(actor, entry, "change")
            if entry.state != EntryState.DRAFT:
                raise ConflictError(
                    f"{entry} is posted and cannot be changed; post a reversal instead."
                )
            before = audit.snapshot(entry)
            entry.lines.all().delete()
            entry.version += 1
        journal = Journal.objects.filter(pk=draft.journal_id, company_id=draft.company_id).first()
        if journal is None:
            raise DomainError(
                "journal: No such journal in this company.",
                fields={"journal": ["No such journal in this company."]},
            )
        accounts = _load_accounts([draft])
        problems = {
            k: v
            for k, v in entry_problems(
                draft, accounts, _currency_of({draft.company_id}).get(draft.company_id)
            ).items()
            if not (k == "lines" and all("balanced" in m or "two lines" in m for m in v))
        }
        if problems:
            _fail(0, 1, problems)
        entry.journal = journal
        entry.date = draft.date
        entry.memo = draft.memo[:200]
        entry.save()
        _insert_lines([entry.pk], [draft], _currency_of({draft.company_id}))
        action = "accounting.draft.create" if before is None else "accounting.draft.update"
        audit.record(actor, audit.Change(action, entry, before, audit.snapshot(entry)))
        return entry


def lock_entry(entry_id: Any) -> JournalEntry:
    entry = JournalEntry.objects.select_for_update(of=("self",)).filter(pk=entry_id).first()
    if entry is None:
        raise NotFoundError(f"No journal entry with id {entry_id}.")
    return entry


def draft_of(entry: JournalEntry) -> EntryDraft:
    lines = [
        LineDraft(
            account_id=line.account_id,
            debit=line.debit,
            credit=line.credit,
            label=line.label,
            currency_id=line.currency_id,
            amount_currency=line.amount_currency,
            partner_id=line.partner_id,
            product_id=line.product_id,
            warehouse_id=line.warehouse_id,
        )
        for line in entry.lines.order_by("pk")
    ]
    return EntryDraft(
        company_id=entry.company_id,
        journal_id=entry.journal_id,
        date=entry.date,
        lines=lines,
        memo=entry.memo,
        source_type=entry.source_type,
        source_id=entry.source_id,
    )


def post_draft(actor: Actor, entry_id: Any) -> JournalEntry:
    """Post a draft: it must balance and its date must be open."""
    with transaction.atomic():
        entry = lock_entry(entry_id)
        require(actor, entry, "change")
        if entry.state != EntryState.DRAFT:
            raise ConflictError(f"{entry} is already posted.")
        draft = draft_of(entry)
        _check([draft])
        (number,) = _numbers([draft])
        JournalEntry.objects.filter(pk=entry.pk).update(number=number)
        JournalEntry.objects.filter(pk=entry.pk).update(
            state=EntryState.POSTED, posted_at=timezone.now(), version=F("version") + 1
        )
        entry.refresh_from_db()
        _audit_posting(actor, entry, draft)
        events.publish(JournalEntriesPosted((entry.pk,), company_id=entry.company_id))
        return entry


def delete_draft(actor: Actor, entry_id: Any) -> None:
    with transaction.atomic():
        entry = lock_entry(entry_id)
        require(actor, entry, "delete")
        if entry.state != EntryState.DRAFT:
            raise ConflictError(f"{entry} is posted and cannot be deleted; post a reversal.")
        audit.record(actor, audit.Change("delete", entry, audit.snapshot(entry), None))
        entry.lines.all().delete()
        entry.delete()


def reverse_entry(actor: Actor, entry_id: Any, date: datetime.date | None = None) -> JournalEntry:
    """Post the mirror image of a posted entry (debits become credits), on ``date``."""
    with transaction.atomic():
        entry = lock_entry(entry_id)
        require(actor, entry, "change")
        if entry.state != EntryState.POSTED:
            raise ConflictError(f"{entry} is a draft; change or delete it instead.")
        if JournalEntry.objects.filter(reversal_of=entry).exists():
            raise ConflictError(f"{entry} has already been reversed.")
        original = draft_of(entry)
        mirrored = [
            LineDraft(
                account_id=line.account_id,
                debit=line.credit,
                credit=line.debit,
                label=line.label,
                currency_id=line.currency_id,
                amount_currency=None if line.amount_currency is None else -line.amount_currency,
                partner_id=line.partner_id,
                product_id=line.product_id,
                warehouse_id=line.warehouse_id,
            )
            for line in original.lines
        ]
        draft = EntryDraft(
            company_id=entry.company_id,
            journal_id=entry.journal_id,
            date=date or entry.date,
            lines=mirrored,
            memo=f"Reversal of {entry.number}",
            source_type=entry.source_type,
            source_id=entry.source_id,
            reversal_of_id=entry.pk,
        )
        (reversal_id,) = post_entries(actor, [draft], check_permission=False)
        return JournalEntry.objects.get(pk=reversal_id)


def signed_line(
    account_id: int,
    amount: Decimal,
    debit: bool,
    *,
    currency_id: int | None = None,
    amount_currency: Decimal | None = None,
    **extra: Any,
) -> LineDraft:
    """A debit (or credit) of ``amount``, with its foreign amount given as a magnitude;
    a negative amount goes to the other column."""
    foreign = amount_currency
    if amount < 0:
        amount, debit = -amount, not debit
        foreign = None if foreign is None else -foreign
    if foreign is not None and not debit:
        foreign = -foreign
    return LineDraft(
        account_id=account_id,
        debit=amount if debit else ZERO,
        credit=ZERO if debit else amount,
        currency_id=currency_id if foreign is not None else None,
        amount_currency=foreign if currency_id is not None else None,
        **extra,
    )
