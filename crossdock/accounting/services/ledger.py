"""Each company's ledger: its chart of accounts, journals, fiscal years, periods and lock date.

Design overview
---------------
:func:`ensure_ledger` gives a company the default chart and journals; it runs
when a company is created (through the master-data ``RecordChanged`` event),
after every migrate for companies that predate the app, and lazily before
anything is posted, so no company can post without a chart. Fiscal years are
calendar years of twelve monthly periods, created on first use by
:func:`ensure_periods`. A date is open for posting when it is after the
company's lock date and its period is open.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from crossdock.accounting.chart_template import JOURNALS, TEMPLATES
from crossdock.accounting.models import (
    Account,
    AccountRole,
    AccountType,
    FiscalYear,
    Journal,
    JournalKind,
    LedgerSettings,
    Period,
    PeriodState,
    PriceDifference,
)
from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError
from crossdock.core.permissions import require


class PeriodLockedError(ConflictError):
    """The date is on or before the lock date, or in a closed period."""


def ensure_ledger(company_id: int, template: str = "distributor") -> LedgerSettings:
    """The company's ledger settings, creating its chart of accounts and journals if missing."""
    settings = LedgerSettings.objects.filter(company_id=company_id).first()
    if settings is not None:
        return settings
    with transaction.atomic():
        Account.objects.bulk_create(
            [
                Account(
                    company_id=company_id,
                    code=row.code,
                    name=row.name,
                    account_type=row.account_type,
                    role=row.role or "",
                    reconcilable=row.reconcilable,
                )
                for row in TEMPLATES[template]
            ],
            ignore_conflicts=True,
        )
        Journal.objects.bulk_create(
            [
                Journal(company_id=company_id, code=code, name=name, kind=kind)
                for code, name, kind in JOURNALS
            ],
            ignore_conflicts=True,
        )
        LedgerSettings.objects.bulk_create(
            [LedgerSettings(company_id=company_id, chart_template=template)],
            ignore_conflicts=True,
        )
    return LedgerSettings.objects.get(company_id=company_id)


def ensure_all_ledgers(sender: Any = None, **kwargs: Any) -> None:
    """Give every company without one its ledger, and every ledger the role accounts its
    template gained since (run after migrate)."""
    from crossdock.masterdata.models import Company

    have = set(LedgerSettings.objects.values_list("company_id", flat=True))
    for company_id in Company.objects.exclude(pk__in=have).values_list("pk", flat=True):
        ensure_ledger(company_id)
    for settings in LedgerSettings.objects.filter(company_id__in=have):
        add_missing_role_accounts(settings.company_id, settings.chart_template)


def add_missing_role_accounts(company_id: int, template: str = "distributor") -> int:
    """Create the template's accounts for roles the company has no account for yet.

    A code the company already uses for something else is left alone.
    """
    accounts = Account.objects.filter(company_id=company_id).exclude(role="")
    roles = set(accounts.values_list("role", flat=True))
    missing = [row for row in TEMPLATES.get(template, ()) if row.role and row.role not in roles]
    created = Account.objects.bulk_create(
        [
            Account(
                company_id=company_id,
                code=row.code,
                name=row.name,
                account_type=row.account_type,
                role=row.role or "",
                reconcilable=row.reconcilable,
            )
            for row in missing
        ],
        ignore_conflicts=True,
    )
    return len(created)


def company_created(event: events.DomainEvent) -> None:
    """``masterdata.company.created``: the new company gets its chart in the same transaction."""
    if isinstance(event, events.RecordChanged) and event.name == "masterdata.company.created":
        ensure_ledger(int(event.object_id))


def accounts_by_role(company_id: int) -> dict[str, Account]:
    ensure_ledger(company_id)
    return {a.role: a for a in Account.objects.filter(company_id=company_id).exclude(role="")}


def journal_of(company_id: int, kind: JournalKind) -> Journal:
    ensure_ledger(company_id)
    return Journal.objects.get(company_id=company_id, kind=kind)


# -- fiscal years and periods ----------------------------------------------------------------


def ensure_periods(company_id: int, dates: Iterable[datetime.date]) -> None:
    """Create the calendar fiscal year (twelve monthly periods) of each date if missing."""
    years = {d.year for d in dates}
    existing = set(
        FiscalYear.objects.filter(
            company_id=company_id, starts_on__in=[datetime.date(y, 1, 1) for y in years]
        ).values_list("starts_on__year", flat=True)
    )
    for year in sorted(years - existing):
        FiscalYear.objects.bulk_create(
            [
                FiscalYear(
                    company_id=company_id,
                    name=str(year),
                    starts_on=datetime.date(year, 1, 1),
                    ends_on=datetime.date(year, 12, 31),
                )
            ],
            ignore_conflicts=True,
        )
        fiscal_year = FiscalYear.objects.get(
            company_id=company_id, starts_on=datetime.date(year, 1, 1)
        )
        Period.objects.bulk_create(
            [
                Period(
                    company_id=company_id,
                    fiscal_year=fiscal_year,
                    name=f"{year}-{month:02d}",
                    starts_on=datetime.date(year, month, 1),
                    ends_on=datetime.date(year, month, calendar.monthrange(year, month)[1]),
                )
                for month in range(1, 13)
            ],
            ignore_conflicts=True,
        )


def refuse_locked_dates(company_id: int, dates: Iterable[datetime.date]) -> None:
    """Raise :class:`PeriodLockedError` if any date is locked or in a closed period."""
    dates = sorted(set(dates))
    if not dates:
        return
    settings = ensure_ledger(company_id)
    if settings.lock_date is not None and dates[0] <= settings.lock_date:
        raise PeriodLockedError(
            f"The books are locked up to {settings.lock_date.isoformat()}; "
            f"{dates[0].isoformat()} cannot be posted.",
            fields={"date": [f"Choose a date after {settings.lock_date.isoformat()}."]},
        )
    ensure_periods(company_id, dates)
    closed = list(
        Period.objects.filter(
            company_id=company_id,
            state=PeriodState.CLOSED,
            starts_on__lte=dates[-1],
            ends_on__gte=dates[0],
        )
    )
    for period in closed:
        hit = next((d for d in dates if period.starts_on <= d <= period.ends_on), None)
        if hit is not None:
            raise PeriodLockedError(
                f"Period {period.name} is closed; {hit.isoformat()} cannot be posted.",
                fields={"date": [f"Period {period.name} is closed."]},
            )


def set_lock_date(actor: Actor, company_id: int, lock_date: datetime.date | None) -> LedgerSettings:
    """Lock (or unlock) every date up to ``lock_date`` in the company's books."""
    with transaction.atomic():
        ensure_ledger(company_id)
        settings = LedgerSettings.objects.select_for_update(of=("self",)).get(company_id=company_id)
        require(actor, settings, "change")
        before = audit.snapshot(settings)
        settings.lock_date = lock_date
        settings.version += 1
        settings.save(update_fields=["lock_date", "version", "updated_at"])
        audit.record(
            actor, audit.Change("accounting.lock", settings, before, audit.snapshot(settings))
        )
        return settings


def _role_types(template: str) -> dict[str, str]:
    """The account type each role's account must have: the type of its template account."""
    return {row.role: row.account_type for row in TEMPLATES.get(template, ()) if row.role}


def assign_role(actor: Actor, company_id: int, role: str, account_id: int) -> Account:
    """Give ``role`` to another account of the company (of the same type); the account that
    held it keeps its balance and loses only the role. Automatic postings use the new one."""
    with transaction.atomic():
        settings = ensure_ledger(company_id)
        settings = LedgerSettings.objects.select_for_update(of=("self",)).get(pk=settings.pk)
        require(actor, settings, "change")
        wanted = _role_types(settings.chart_template).get(role)
        if wanted is None:
            message = f"{role!r} is not an account role of this chart."
            raise DomainError(f"role: {message}", fields={"role": [message]})
        account = Account.objects.filter(pk=account_id, company_id=company_id).first()
        problem = None
        if account is None:
            problem = "No such account in this company."
        elif not account.active:
            problem = f"{account} is inactive."
        elif account.account_type != wanted:
            have = AccountType(account.account_type).label.lower()
            need = AccountType(wanted).label.lower()
            problem = f"{account} is of type {have}; this role needs type {need}."
        if problem is not None or account is None:
            raise DomainError(f"account: {problem}", fields={"account": [problem or ""]})
        holder = Account.objects.filter(company_id=company_id, role=role).first()
        if holder is not None and holder.pk == account.pk:
            return account
        if account.role:
            label = AccountRole(account.role).label
            message = f"{account} already holds the role {label!r}; give that role away first."
            raise ConflictError(message, fields={"account": [message]})
        before = {"role": role, "account": str(holder) if holder else None}
        if holder is not None:
            Account.objects.filter(pk=holder.pk).update(role="")
        Account.objects.filter(pk=account.pk).update(role=role)
        account.role = role
        settings.version += 1
        settings.save(update_fields=["version", "updated_at"])
        audit.record(
            actor,
            audit.Change(
                "accounting.role", settings, before, {"role": role, "account": str(account)}
            ),
        )
        return account


def set_price_difference(actor: Actor, company_id: int, value: str) -> LedgerSettings:
    """Where vendor bills book their price difference: to variance, or to stock on hand."""
    with transaction.atomic():
        settings = ensure_ledger(company_id)
        settings = LedgerSettings.objects.select_for_update(of=("self",)).get(pk=settings.pk)
        require(actor, settings, "change")
        if value not in PriceDifference.values:
            choices = ", ".join(PriceDifference.values)
            message = f"Choose one of {choices}."
            raise DomainError(
                f"price_difference: {message}", fields={"price_difference": [message]}
            )
        if settings.price_difference == value:
            return settings
        before = audit.snapshot(settings)
        settings.price_difference = value
        settings.version += 1
        settings.save(update_fields=["price_difference", "version", "updated_at"])
        audit.record(
            actor,
            audit.Change("accounting.settings", settings, before, audit.snapshot(settings)),
        )
        return settings


def set_period_state(actor: Actor, period_id: int, state: PeriodState) -> Period:
    """Close or reopen a period."""
    with transaction.atomic():
        period = Period.objects.select_for_update(of=("self",)).filter(pk=period_id).first()
        if period is None:
            raise NotFoundError(f"No period with id {period_id}.")
        require(actor, period, "change")
        if state not in PeriodState.values:
            raise DomainError(f"Unknown period state {state!r}.", fields={"state": ["Unknown."]})
        before = audit.snapshot(period)
        period.state = state
        period.version += 1
        period.save(update_fields=["state", "version", "updated_at"])
        after = audit.snapshot(period)
        audit.record(actor, audit.Change(f"accounting.period.{state}", period, before, after))
        return period


STOCK_ROLES = (AccountRole.STOCK,)
