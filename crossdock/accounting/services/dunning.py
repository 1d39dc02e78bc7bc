"""Dunning: set up the reminder ladder, run it on a date, send or cancel the letters.

Design overview
---------------
:func:`configure_dunning_levels` replaces a company's ladder after checking
it whole (levels numbered 1, 2, 3… with the days overdue strictly increasing,
nothing negative); a refusal names each field at fault and writes nothing.

:func:`run_dunning` is set-based: one aggregate query over the open items
finds, per posted customer invoice, the oldest overdue instalment and the
overdue open amount on the run date (``HAVING`` keeps only invoices overdue
long enough for the first level). In Python, without further queries, each
invoice gets the highest level its days overdue reach; an invoice whose level
is above ``Invoice.dunning_level`` is dunned. One draft letter per customer
is written at the highest level among its invoices, with one line per such
invoice, by bulk inserts; the invoices' levels are raised with one ``UPDATE``
per level.

:func:`send_dunning_letter` marks a draft sent, publishes
:class:`~crossdock.accounting.events.DunningLetterSent`, and after commit the
worker e-mails the PDF to the customer. :func:`cancel_dunning_letter` cancels
a draft and gives its invoices back the highest level of their other letters.

Locks: every service here first locks the company's dunning levels
(:func:`lock_levels`), then the letter — one order, so runs and cancellations
of one company take turns and never deadlock; the audit head is taken last.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import IntegerField, Max, Min, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from crossdock.accounting.events import (
    DunningLetterCancelled,
    DunningLettersDrafted,
    DunningLetterSent,
)
from crossdock.accounting.models import (
    DunningLetter,
    DunningLetterLine,
    DunningLetterState,
    DunningLevel,
    DunningRun,
    Installment,
    Invoice,
    InvoiceKind,
    InvoiceState,
    Side,
)
from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError, refuse_if
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company

ZERO = Decimal(0)
MAX_LEVELS = 9
MAX_TEXT = 2000


@dataclass(frozen=True)
class LevelInput:
    """One rung of the ladder as typed: number, from how many days overdue, name, fee, text."""

    level: int
    days_overdue: int
    name: str
    fee: Decimal = ZERO
    text: str = ""


# -- locks ------------------------------------------------------------------------------------


def lock_levels(company_id: int) -> list[DunningLevel]:
    """The company's ladder, locked: dunning of one company happens one change at a time."""
    return list(
        DunningLevel.objects.select_for_update(of=("self",))
        .filter(company_id=company_id)
        .order_by("level")
    )


def lock_letter(letter_id: Any) -> DunningLetter:
    found = DunningLetter.objects.filter(pk=letter_id).values_list("company_id", flat=True).first()
    if found is None:
        raise NotFoundError(f"No dunning letter with id {letter_id}.")
    lock_levels(found)
    letter = (
        DunningLetter.objects.select_for_update(of=("self",))
        .select_related("partner", "company")
        .get(pk=letter_id)
    )
    return letter


def _company(company_id: Any) -> Company:
    company = Company.objects.select_related("base_currency").filter(pk=company_id).first()
    if company is None:
        raise DomainError("company: No such company.", fields={"company": ["No such company."]})
    return company


# -- the ladder -------------------------------------------------------------------------------


def _level_problems(levels: Sequence[LevelInput], company: Company) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = defaultdict(list)
    if not levels:
        problems["levels"].append("Give at least one dunning level.")
    if len(levels) > MAX_LEVELS:
        problems["levels"].append(f"At most {MAX_LEVELS} dunning levels.")
    seen: dict[int, int] = {}
    for index, data in enumerate(levels):
        where = f"levels.{index}"
        if data.level < 1:
            problems[f"{where}.level"].append("Levels are numbered from 1.")
        elif data.level in seen:
            problems[f"{where}.level"].append(f"Level {data.level} is given twice.")
        else:
            seen[data.level] = index
        if data.days_overdue < 0:
            problems[f"{where}.days_overdue"].append("Days overdue cannot be negative.")
        if data.fee < 0:
            problems[f"{where}.fee"].append("A fee cannot be negative.")
        elif company.base_currency.round(data.fee) != data.fee:
            places = company.base_currency.minor_units
            problems[f"{where}.fee"].append(
                f"A fee in {company.base_currency.code} has at most {places} decimals."
            )
        if not data.name.strip():
            problems[f"{where}.name"].append("Give the level a name.")
        elif len(data.name.strip()) > 60:
            problems[f"{where}.name"].append("At most 60 characters.")
        if len(data.text) > MAX_TEXT:
            problems[f"{where}.text"].append(f"At most {MAX_TEXT} characters.")
    numbers = sorted(seen)
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        problems["levels"].append("Levels are numbered 1, 2, 3… without gaps.")
    previous: LevelInput | None = None
    for number in numbers:
        data = levels[seen[number]]
        if previous is not None and data.days_overdue <= previous.days_overdue:
            problems[f"levels.{seen[number]}.days_overdue"].append(
                f"Level {number} must start later than level {previous.level} "
                f"({previous.days_overdue} days overdue)."
            )
        previous = data
    return dict(problems)


def _ladder(levels: Sequence[DunningLevel]) -> list[dict[str, Any]]:
    return [
        {"level": x.level, "days_overdue": x.days_overdue, "name": x.name, "fee": str(x.fee),
         "text": x.text}
        for x in levels
    ]  # fmt: skip


def configure_dunning_levels(
    actor: Actor, company_id: Any, levels: Sequence[LevelInput]
) -> list[DunningLevel]:
    """Replace the company's dunning ladder with ``levels``, checked whole; all or nothing."""
    with transaction.atomic():
        company = _company(company_id)
        require(actor, DunningLevel(company=company), "change")
        refuse_if(_level_problems(levels, company))
        old = lock_levels(company.pk)
        DunningLevel.objects.filter(pk__in=[x.pk for x in old]).delete()
        DunningLevel.objects.bulk_create(
            DunningLevel(
                company=company, level=x.level, days_overdue=x.days_overdue,
                name=x.name.strip(), fee=x.fee, text=x.text.strip(),
            )
            for x in sorted(levels, key=lambda x: x.level)
        )  # fmt: skip
        created = list(DunningLevel.objects.filter(company=company).order_by("level"))
        audit.record(
            actor,
            audit.Change(
                "accounting.dunninglevels.configure",
                company,
                {"levels": _ladder(old)},
                {"levels": _ladder(created)},
            ),
        )
        return created


# -- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Overdue:
    """One posted customer invoice overdue on the run date (a row of the aggregate)."""

    invoice_id: int
    partner_id: int
    currency_id: int
    dunned_at: int
    oldest_due: datetime.date
    open_amount: Decimal
    open_company: Decimal


def overdue_invoices(company_id: int, on_date: datetime.date, min_days: int) -> list[_Overdue]:
    """Per invoice: its oldest overdue instalment and what is overdue and open, in one query."""
    cutoff = on_date - datetime.timedelta(days=max(min_days, 1))
    rows = (
        Installment.objects.filter(
            company_id=company_id,
            side=Side.RECEIVABLE,
            open_amount__gt=0,
            due_date__lt=on_date,
            invoice__kind=InvoiceKind.CUSTOMER_INVOICE,
            invoice__state=InvoiceState.POSTED,
            invoice__partner__group_company__isnull=True,
        )
        .values("invoice_id", "partner_id", "currency_id", "invoice__dunning_level")
        .annotate(
            oldest_due=Min("due_date"),
            overdue=Sum("open_amount"),
            overdue_company=Sum("open_company"),
        )
        .filter(oldest_due__lte=cutoff)
        .order_by("partner_id", "oldest_due", "invoice_id")
    )
    return [
        _Overdue(
            r["invoice_id"], r["partner_id"], r["currency_id"], r["invoice__dunning_level"],
            r["oldest_due"], r["overdue"], r["overdue_company"],
        )
        for r in rows
    ]  # fmt: skip


def _reached(levels: Sequence[DunningLevel], days: int) -> DunningLevel | None:
    """The highest level whose start ``days`` overdue has reached."""
    found = None
    for level in levels:  # ordered by level, days increasing
        if days >= level.days_overdue:
            found = level
    return found


def run_dunning(actor: Actor, company_id: Any, on_date: datetime.date) -> DunningRun:
    """Draft one letter per customer whose overdue invoices reached a new level on ``on_date``."""
    with transaction.atomic():
        company = _company(company_id)
        run = DunningRun(company=company, run_date=on_date, created_by=actor.user)
        require(actor, run, "add")
        levels = lock_levels(company.pk)
        if not levels:
            message = f"{company.code} has no dunning levels; set them up first."
            raise DomainError(f"company: {message}", fields={"company": [message]})
        by_partner: dict[int, list[tuple[_Overdue, DunningLevel, int]]] = defaultdict(list)
        for row in overdue_invoices(company.pk, on_date, levels[0].days_overdue):
            days = (on_date - row.oldest_due).days
            level = _reached(levels, days)
            if level is not None and level.level > row.dunned_at:
                by_partner[row.partner_id].append((row, level, days))
        run.letter_count = len(by_partner)
        run.save()
        letters: list[DunningLetter] = []
        for partner_id, found in by_partner.items():
            top = max((level for _, level, _ in found), key=lambda x: x.level)
            overdue = sum((row.open_company for row, _, _ in found), ZERO)
            letters.append(
                DunningLetter(
                    company=company, run=run, partner_id=partner_id, date=on_date,
                    level=top.level, level_name=top.name, text=top.text, fee=top.fee,
                    total=overdue + top.fee,
                )
            )  # fmt: skip
        DunningLetter.objects.bulk_create(letters)
        for letter in letters:
            letter.reference = f"DUN/{on_date.year}/{letter.pk:05d}"
        DunningLetter.objects.bulk_update(letters, ["reference"])
        lines = []
        raised: dict[int, list[int]] = defaultdict(list)
        for letter in letters:
            for row, level, days in by_partner[letter.partner_id]:
                lines.append(
                    DunningLetterLine(
                        letter=letter, invoice_id=row.invoice_id, level=level.level,
                        due_date=row.oldest_due, days_overdue=days, currency_id=row.currency_id,
                        open_amount=row.open_amount, open_company=row.open_company,
                    )
                )  # fmt: skip
                raised[level.level].append(row.invoice_id)
        DunningLetterLine.objects.bulk_create(lines)
        for number, invoice_ids in sorted(raised.items()):
            Invoice.objects.filter(pk__in=invoice_ids).update(dunning_level=number)
        after = audit.snapshot(run)
        after["letters"] = [letter.reference for letter in letters]
        after["invoices"] = len(lines)
        audit.record(actor, audit.Change("accounting.dunningrun.run", run, None, after))
        if letters:
            events.publish(
                DunningLettersDrafted(run.pk, tuple(x.pk for x in letters), company_id=company.pk)
            )
        return run


# -- a letter ---------------------------------------------------------------------------------


def _snap(letter: DunningLetter) -> dict[str, Any]:
    return audit.snapshot(letter)


def send_dunning_letter(actor: Actor, letter_id: Any) -> DunningLetter:
    """Mark a draft letter sent; after commit the worker e-mails its PDF to the customer.

    A customer without an e-mail address gets the letter printed (``email_to``
    stays empty). A letter whose invoices have all been paid since it was
    drafted is refused: cancel it instead.
    """
    from crossdock.accounting.tasks import email_dunning_letter

    with transaction.atomic():
        letter = lock_letter(letter_id)
        require(actor, letter, "change")
        if letter.state != DunningLetterState.DRAFT:
            raise ConflictError(
                f"{letter} is {letter.get_state_display().lower()}; only a draft is sent."
            )
        invoices = DunningLetterLine.objects.filter(letter=letter).values("invoice_id")
        if not Invoice.objects.filter(pk__in=invoices, open_amount__gt=0).exists():
            raise ConflictError(
                f"Every invoice on {letter} has been paid since it was drafted; cancel it."
            )
        before = _snap(letter)
        letter.state = DunningLetterState.SENT
        letter.sent_at = timezone.now()
        letter.email_to = letter.partner.email
        letter.version += 1
        letter.save(update_fields=["state", "sent_at", "email_to", "version", "updated_at"])
        audit.record(
            actor, audit.Change("accounting.dunningletter.send", letter, before, _snap(letter))
        )
        events.publish(
            DunningLetterSent(
                letter.pk, letter.partner_id, letter.level, letter.email_to,
                company_id=letter.company_id,
            )
        )  # fmt: skip
        if letter.email_to:
            pk = letter.pk
            transaction.on_commit(lambda: email_dunning_letter.enqueue(pk))
        return letter


def highest_letter_level() -> Coalesce:
    """Per invoice (``OuterRef("pk")``): the highest level of its letters not cancelled."""
    highest = (
        DunningLetterLine.objects.filter(invoice=OuterRef("pk"))
        .exclude(letter__state=DunningLetterState.CANCELLED)
        .values("invoice")
        .annotate(top=Max("level"))
        .values("top")
    )
    return Coalesce(Subquery(highest), Value(0), output_field=IntegerField())


def cancel_dunning_letter(actor: Actor, letter_id: Any) -> DunningLetter:
    """Cancel a draft letter; its invoices go back to the level of their other letters."""
    with transaction.atomic():
        letter = lock_letter(letter_id)
        require(actor, letter, "change")
        if letter.state != DunningLetterState.DRAFT:
            raise ConflictError(
                f"{letter} is {letter.get_state_display().lower()}; only a draft is cancelled."
            )
        before = _snap(letter)
        letter.state = DunningLetterState.CANCELLED
        letter.version += 1
        letter.save(update_fields=["state", "version", "updated_at"])
        invoices = DunningLetterLine.objects.filter(letter=letter).values("invoice_id")
        Invoice.objects.filter(pk__in=invoices).update(dunning_level=highest_letter_level())
        audit.record(
            actor, audit.Change("accounting.dunningletter.cancel", letter, before, _snap(letter))
        )
        events.publish(DunningLetterCancelled(letter.pk, company_id=letter.company_id))
        return letter
