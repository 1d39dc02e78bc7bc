"""Sales feeds two queues: orders on credit hold and customer returns left unresolved."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from crossdock.insight.queues.registry import HIGH, MEDIUM, Wanted, source
from crossdock.insight.queues.sources.common import document_item, link, severity_of, text
from crossdock.insight.queues.thresholds import loosest, threshold

CREDIT_RELEASE = "sales-credit-release"
RETURN_OPEN_STATES = ("draft", "to_approve", "authorized", "receiving", "received")


@source(
    "credit_hold",
    queue="credit",
    label="Credit holds",
    owner_role="credit-controller",
    reads="sales.view_salesorder",
)
def credit_holds(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """A confirmed order held because the customer is over its credit limit or overdue:
    it cannot be picked or shipped. Closes when it is released (by a credit controller or
    a payment), refused back to a quotation or cancelled. Suggests releasing it through
    its pending credit-release approval."""
    from crossdock.approvals.models import ApprovalRequest
    from crossdock.sales.models import SalesOrder

    rows = list(
        SalesOrder.objects.filter(company_id__in=company_ids, state="credit_hold")
        .order_by("pk")
        .values(
            "pk",
            "company_id",
            "warehouse_id",
            "reference",
            "customer__code",
            "customer__name",
            "amount_company",
            "company__base_currency__code",
            "credit_exposure",
            "credit_limit",
            "hold_reason",
            "updated_at",
        )
    )
    requests = {
        int(document): (pk, submitted)
        for pk, document, submitted in ApprovalRequest.objects.filter(
            document_type=CREDIT_RELEASE,
            status="pending",
            document_id__in=[str(r["pk"]) for r in rows],
        ).values_list("pk", "document_id", "submitted_at")
    }
    order_url = link("sales:order_detail")
    now = timezone.now()
    for row in rows:
        request = requests.get(row["pk"])
        since = request[1] if request else row["updated_at"]
        currency = row["company__base_currency__code"]
        amount = f"{text(row['amount_company'])} {currency}"
        exposure, limit = row["credit_exposure"], row["credit_limit"]
        over = exposure is not None and limit is not None and exposure > limit
        yield document_item(
            row,
            "sales-order",
            order_url,
            severity=max(
                severity_of((now - since).days, row["company_id"]), HIGH if over else MEDIUM
            ),
            since=since,
            title=(
                f"{row['reference']} of {row['customer__name']} ({amount}) is on credit hold: "
                f"{row['hold_reason']}"
            ),
            context={
                "customer": f"{row['customer__code']} {row['customer__name']}",
                "amount": text(row["amount_company"]),
                "currency": currency,
                "exposure": text(exposure),
                "limit": text(limit),
                "reason": row["hold_reason"],
                "approval_request": request[0] if request else None,
            },
            action="release_credit_hold" if request else "",
            action_label=f"Release {row['reference']} to the warehouse" if request else "",
            action_params={"request": request[0]} if request else {},
        )


@source(
    "unresolved_return",
    queue="returns",
    label="Unresolved returns",
    owner_role="service-agent",
    reads="sales.view_returnauthorization",
)
def unresolved_returns(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """A customer return (RMA) still open ``return_open_days`` days after it was created:
    not yet approved, received or resolved with a credit note or replacement. Closes when
    it is closed, rejected or cancelled."""
    from crossdock.sales.models import ReturnAuthorization

    now = timezone.now()
    cutoff = now - datetime.timedelta(days=loosest("return_open_days", company_ids))
    rows = (
        ReturnAuthorization.objects.filter(
            company_id__in=company_ids, state__in=RETURN_OPEN_STATES, created_at__lte=cutoff
        )
        .order_by("pk")
        .values(
            "pk",
            "company_id",
            "reference",
            "state",
            "reason",
            "resolution",
            "customer__code",
            "customer__name",
            "created_at",
            "authorized_at",
            "received_at",
            "created_by_id",
        )
    )
    return_url = link("sales_returns:detail")
    for row in rows:
        age = (now - row["created_at"]).days
        days = threshold("return_open_days", row["company_id"])
        if row["created_at"] > now - datetime.timedelta(days=days):
            continue
        state = row["state"].replace("_", " ")
        yield document_item(
            row,
            "rma",
            return_url,
            owner_id=row["created_by_id"],
            severity=HIGH if age >= 2 * days else MEDIUM,
            since=row["created_at"],
            title=(
                f"Return {row['reference']} of {row['customer__name']} is still {state} "
                f"after {age} days."
            ),
            context={
                "customer": f"{row['customer__code']} {row['customer__name']}",
                "state": row["state"],
                "reason": row["reason"],
                "resolution": row["resolution"],
                "days_open": age,
                "authorized_at": row["authorized_at"].isoformat() if row["authorized_at"] else None,
                "received_at": row["received_at"].isoformat() if row["received_at"] else None,
            },
        )
