"""Report rows shared by the API, the web UI and the CSV exports."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

from crossdock.accounting.models import Account, JournalEntry, JournalLine
from crossdock.accounting.selectors import LedgerRow, StockReconciliationRow, TrialBalanceRow
from crossdock.core.errors import NotFoundError
from crossdock.masterdata.models import Company


def company_in_scope(user: Any, company_id: int | None) -> Company:
    company = (
        Company.objects.in_scope_of(user).filter(pk=company_id).first() if company_id else None
    )
    if company is None:
        raise NotFoundError(
            f"No company with id {company_id}.", fields={"company": ["No such company."]}
        )
    return company


def account_in_scope(user: Any, account_id: int) -> Account:
    found = Account.objects.restrict(user, "view").filter(pk=account_id).first()
    if found is None:
        raise NotFoundError(f"No account with id {account_id}.")
    return found


def trial_balance_row(row: TrialBalanceRow) -> dict[str, Any]:
    return {
        "account": row.account.pk,
        "code": row.account.code,
        "name": row.account.name,
        "account_type": row.account.account_type,
        "debit": str(row.debit),
        "credit": str(row.credit),
        "balance": str(row.balance),
    }


def ledger_row(row: LedgerRow) -> dict[str, Any]:
    line: JournalLine = row.line
    return {
        "line": line.pk,
        "entry": line.entry_id,
        "number": line.entry.number,
        "date": line.date.isoformat(),
        "label": line.label or line.entry.memo,
        "partner": line.partner_id,
        "product": line.product_id,
        "debit": str(line.debit),
        "credit": str(line.credit),
        "balance": str(row.balance),
    }


def reconciliation_row(row: StockReconciliationRow) -> dict[str, Any]:
    return {
        "product": row.product_id,
        "product_label": row.product_label,
        "layers": str(row.layers),
        "ledger": str(row.ledger),
        "difference": str(row.difference),
    }


def entry_detail(entry: JournalEntry) -> dict[str, Any]:
    lines = entry.lines.select_related("account", "currency").order_by("pk")
    return {
        "id": entry.pk,
        "company": entry.company_id,
        "journal": entry.journal_id,
        "number": entry.number,
        "date": entry.date.isoformat(),
        "state": entry.state,
        "memo": entry.memo,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "reversal_of": entry.reversal_of_id,
        "posted_at": entry.posted_at.isoformat() if entry.posted_at else None,
        "version": entry.version,
        "lines": [
            {
                "id": line.pk,
                "account": line.account_id,
                "account_code": line.account.code,
                "label": line.label,
                "debit": str(line.debit),
                "credit": str(line.credit),
                "currency": line.currency.code if line.currency else None,
                "amount_currency": (
                    None if line.amount_currency is None else str(line.amount_currency)
                ),
                "partner": line.partner_id,
                "product": line.product_id,
                "warehouse": line.warehouse_id,
            }
            for line in lines
        ],
    }


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[dict[str, Any]]
) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[name] for name in header])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()
