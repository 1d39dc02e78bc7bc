"""Accounts payable feeds its queue: bills that do not match and suspected duplicate bills."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from crossdock.insight.queues.registry import HIGH, MEDIUM, Wanted, source
from crossdock.insight.queues.sources.common import link, start_of, text
from crossdock.insight.queues.thresholds import loosest, threshold

QUEUE = "payables"
MISMATCHES = ("price_variance", "quantity_variance", "not_received", "credit_requested")


@source(
    "invoice_mismatch",
    queue=QUEUE,
    label="Invoice mismatches",
    owner_role="ap-clerk",
    reads="purchasing.view_billmatch",
)
def invoice_mismatches(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """A vendor bill whose three-way match found a price or quantity variance, nothing
    received, or is waiting for a credit note: held from payment. Closes when it matches,
    its variance is accepted or the bill is cancelled."""
    from crossdock.purchasing.models import BillMatch

    rows = (
        BillMatch.objects.filter(company_id__in=company_ids, status__in=MISMATCHES)
        .exclude(invoice__state="cancelled")
        .order_by("pk")
        .values(
            "company_id",
            "invoice_id",
            "invoice__number",
            "invoice__partner_reference",
            "invoice__partner__code",
            "invoice__partner__name",
            "invoice__total_amount",
            "invoice__currency__code",
            "invoice__date",
            "order__reference",
            "order__warehouse_id",
            "status",
            "reason",
            "created_at",
        )
    )
    bill_url = link("accounting:invoice_detail")
    for row in rows:
        label = row["invoice__number"] or row["invoice__partner_reference"] or "draft bill"
        status = row["status"].replace("_", " ")
        yield Wanted(
            key=f"bill:{row['invoice_id']}",
            company_id=row["company_id"],
            warehouse_id=row["order__warehouse_id"],
            severity=HIGH if row["status"] == "quantity_variance" else MEDIUM,
            since=row["created_at"],
            title=f"Bill {label} of {row['invoice__partner__name']}: {status} — {row['reason']}"[
                :300
            ],
            document_label=f"Bill {label}"[:120],
            document_url=bill_url(row["invoice_id"]),
            context={
                "supplier": f"{row['invoice__partner__code']} {row['invoice__partner__name']}",
                "status": row["status"],
                "reason": row["reason"],
                "order": row["order__reference"],
                "total": text(row["invoice__total_amount"]),
                "currency": row["invoice__currency__code"],
                "bill_date": row["invoice__date"].isoformat(),
            },
        )


def _reference(value: str) -> str:
    """A bill number compared loosely: letters and digits only, no leading zeros in numbers."""
    return re.sub(r"(?<!\d)0+(?=\d)", "", re.sub(r"[^0-9A-Z]", "", value.upper()))


@source(
    "duplicate_bill",
    queue=QUEUE,
    label="Duplicate-bill suspects",
    owner_role="ap-clerk",
    reads="accounting.view_invoice",
)
def duplicate_bills(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """Two vendor bills of the same supplier, neither cancelled and not both paid, with the
    same bill number (ignoring case, spaces, punctuation and leading zeros of numbers) or the same
    total within ``duplicate_bill_days`` days of each other. Closes when one is cancelled
    or both are paid (or a person dismisses it as no duplicate)."""
    from crossdock.accounting.models import Invoice

    window = loosest("duplicate_bill_window_days", company_ids, lowest=False)
    since = today - datetime.timedelta(days=window)
    rows: list[Any] = list(
        Invoice.objects.filter(company_id__in=company_ids, kind="vendor_bill", date__gte=since)
        .exclude(state="cancelled")
        .order_by("pk")
        .values(
            "pk",
            "company_id",
            "partner_id",
            "partner__code",
            "partner__name",
            "number",
            "partner_reference",
            "date",
            "total_amount",
            "currency__code",
            "payment_state",
            "state",
        )
    )
    by_supplier: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in rows:
        window = threshold("duplicate_bill_window_days", row["company_id"])
        if row["date"] >= today - datetime.timedelta(days=window):
            by_supplier[(row["company_id"], row["partner_id"])].append(row)
    bill_url = link("accounting:invoice_detail")
    for (company, _), bills in by_supplier.items():
        days = threshold("duplicate_bill_days", company)
        seen: set[tuple[int, int]] = set()
        by_reference: dict[str, list[dict]] = defaultdict(list)
        by_amount: dict[object, list[dict]] = defaultdict(list)
        for bill in bills:
            reference = _reference(bill["partner_reference"])
            if reference:
                by_reference[reference].append(bill)
            by_amount[(bill["total_amount"], bill["currency__code"])].append(bill)
        pairs = []
        for group in by_reference.values():
            pairs += [
                (a, b, "the same bill number") for a in group for b in group if a["pk"] < b["pk"]
            ]
        for group in by_amount.values():
            pairs += [
                (a, b, f"the same total within {days} days")
                for a in group
                for b in group
                if a["pk"] < b["pk"] and abs((a["date"] - b["date"]).days) <= days
            ]
        for first, second, why in pairs:
            if (first["pk"], second["pk"]) in seen:
                continue
            if first["payment_state"] == second["payment_state"] == "paid":
                continue
            seen.add((first["pk"], second["pk"]))
            yield _duplicate(first, second, why, bill_url)


def _label(bill: dict) -> str:
    return bill["number"] or bill["partner_reference"] or f"draft {bill['pk']}"


def _duplicate(first: Any, second: Any, why: str, bill_url: Callable[[Any], str]) -> Wanted:
    amount = f"{text(second['total_amount'])} {second['currency__code']}"
    return Wanted(
        key=f"bills:{first['pk']}-{second['pk']}",
        company_id=second["company_id"],
        severity=HIGH
        if "paid" not in (first["payment_state"], second["payment_state"])
        else MEDIUM,
        since=start_of(max(first["date"], second["date"])),
        title=(
            f"Bills {_label(first)} and {_label(second)} of {second['partner__name']} have "
            f"{why} ({amount}): one may be a duplicate."
        )[:300],
        document_label=f"Bill {_label(second)}"[:120],
        document_url=bill_url(second["pk"]),
        context={
            "supplier": f"{second['partner__code']} {second['partner__name']}",
            "why": why,
            "bills": [
                {
                    "id": bill["pk"],
                    "number": bill["number"],
                    "reference": bill["partner_reference"],
                    "date": bill["date"].isoformat(),
                    "total": text(bill["total_amount"]),
                    "state": bill["state"],
                    "payment_state": bill["payment_state"],
                    "url": bill_url(bill["pk"]),
                }
                for bill in (first, second)
            ],
        },
    )
