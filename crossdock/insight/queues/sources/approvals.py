"""The approvals engine feeds the bottleneck queue: requests waiting too long for a decision."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from crossdock.insight.queues.registry import HIGH, LOW, MEDIUM, Wanted, source
from crossdock.insight.queues.sources.common import link
from crossdock.insight.queues.thresholds import loosest, threshold


@source(
    "approval_bottleneck",
    queue="approvals",
    label="Approval bottlenecks",
    owner_role="controller",
    reads="approvals.view_approvalrequest",
)
def approval_bottlenecks(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """An approval request pending longer than ``approval_bottleneck_hours``: the document
    waits. Owned by the first approver whose decision is pending. Closes when it is
    approved, rejected or withdrawn. Suggests reminding the approvers."""
    from crossdock.approvals.models import ApprovalRequest, ApprovalStep

    now = timezone.now()
    fewest = loosest("approval_bottleneck_hours", company_ids)
    rows = list(
        ApprovalRequest.objects.filter(
            company_id__in=company_ids,
            status="pending",
            submitted_at__lt=now - datetime.timedelta(hours=fewest),
        )
        .order_by("pk")
        .values(
            "pk",
            "company_id",
            "document_type",
            "document_id",
            "document_label",
            "submitted_at",
            "current_level",
            "requester_id",
            "policy__name",
        )
    )
    rows = [
        r
        for r in rows
        if now - r["submitted_at"]
        > datetime.timedelta(hours=threshold("approval_bottleneck_hours", r["company_id"]))
    ]
    approvers: dict[int, list[tuple[int, str]]] = {}
    for request, user, name in (
        ApprovalStep.objects.filter(request_id__in=[r["pk"] for r in rows], status="pending")
        .order_by("request_id", "level", "order", "pk")
        .values_list("request_id", "approver_id", "approver__username")
    ):
        approvers.setdefault(request, []).append((user, name))
    request_url = link("approvals:request_detail")
    for row in rows:
        waited = (now - row["submitted_at"]).total_seconds() / 3600
        hours = threshold("approval_bottleneck_hours", row["company_id"])
        waiting = approvers.get(row["pk"], [])
        names = ", ".join(name for _, name in waiting) or "nobody"
        severity = HIGH if waited >= 3 * hours else MEDIUM if waited >= 2 * hours else LOW
        yield Wanted(
            key=f"approval:{row['pk']}",
            company_id=row["company_id"],
            owner_id=waiting[0][0] if waiting else None,
            severity=severity,
            since=row["submitted_at"],
            title=(
                f"{row['document_label']} has waited {int(waited)} hours for approval "
                f"(level {row['current_level']}, pending with {names})."
            )[:300],
            document_label=row["document_label"][:120],
            document_url=request_url(row["pk"]),
            context={
                "document_type": row["document_type"],
                "document_id": row["document_id"],
                "policy": row["policy__name"],
                "level": row["current_level"],
                "hours_waiting": int(waited),
                "approvers": [name for _, name in waiting],
            },
            action="remind_approvers" if waiting else "",
            action_label=f"Remind {names}" if waiting else "",
            action_params={"request": row["pk"]} if waiting else {},
        )
