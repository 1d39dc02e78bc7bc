"""Queries of the approvals engine: the inbox, metrics and policy simulation."""

from __future__ import annotations

import datetime
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from crossdock.approvals import registry
from crossdock.approvals.conditions import evaluate
from crossdock.approvals.models import ApprovalRequest, ApprovalStep, Delegation, InboxMessage
from crossdock.approvals.policies import PolicyDraft, check_draft
from crossdock.approvals.routing import active_delegate, resolve_level
from crossdock.core.models import User
from crossdock.core.permissions import access_of

DEFAULT_DECISION_HOURS = 24.0


def open_steps_for(user: User) -> QuerySet[ApprovalStep]:
    """The steps waiting for ``user``'s decision, oldest first (the approver inbox)."""
    return (
        ApprovalStep.objects.filter(
            approver=user, status=ApprovalStep.Status.PENDING, request__status="pending"
        )
        .select_related("request", "request__policy", "request__requester", "on_behalf_of")
        .order_by("opened_at", "pk")
    )


def decidable_steps(user: User, today: datetime.date | None = None) -> QuerySet[ApprovalStep]:
    """Open steps ``user`` may decide now: their own, and those of people they stand in for.

    A step stays assigned to its approver; while that approver's out-of-office
    delegation to ``user`` runs, ``user`` sees it too (the engine lets them decide it).
    """
    today = today or timezone.now().date()
    standing_in_for = [
        delegation.delegator
        for delegation in Delegation.objects.filter(
            delegate=user, starts_on__lte=today, ends_on__gte=today
        ).select_related("delegator")
    ]
    delegators = [d.pk for d in standing_in_for if active_delegate(d, today) == user]
    return (
        ApprovalStep.objects.filter(status=ApprovalStep.Status.PENDING, request__status="pending")
        .filter(Q(approver=user) | Q(approver_id__in=delegators))
        .filter(level=F("request__current_level"))
        .select_related("request", "request__policy", "request__requester", "approver")
        .order_by("opened_at", "pk")
    )


def requests_visible_to(user: User) -> QuerySet[ApprovalRequest]:
    """Requests of the user's companies (by role and scope), plus those they are asked to decide."""
    in_scope = ApprovalRequest.objects.restrict(user, "view").values("pk")
    asked = ApprovalStep.objects.filter(approver=user).values("request_id")
    return ApprovalRequest.objects.filter(Q(pk__in=in_scope) | Q(pk__in=asked))


def colleagues(user: User) -> QuerySet[User]:
    """Active users who share a company with ``user`` (everyone for an unrestricted user)."""
    users = User.objects.filter(is_active=True).exclude(pk=user.pk)
    company_ids = access_of(user).company_ids
    if company_ids is None:
        return users.order_by("username")
    return (
        users.filter(Q(is_superuser=True) | Q(access__companies__in=company_ids))
        .distinct()
        .order_by("username")
    )


def risk_flags(facts: dict[str, Any]) -> list[str]:
    """What in a request's facts needs a closer look (empty: low risk, fit for bulk approval).

    A high-risk supplier, an off-contract purchase, a bank account in another
    country than the supplier's (a classic payment-fraud pattern), or a price
    below the product's standard cost.
    """
    flags = []
    if facts.get("supplier_risk_class") == "high":
        flags.append("High-risk supplier")
    if facts.get("off_contract") is True:
        flags.append("Off contract")
    iban_country, country = facts.get("iban_country"), facts.get("country")
    if iban_country and country and iban_country != country:
        flags.append(f"Bank account in {iban_country}, supplier in {country}")
    margin = facts.get("margin_pct")
    if margin is not None and Decimal(margin) < 0:
        flags.append("Priced below standard cost")
    return flags


def is_low_risk(facts: dict[str, Any]) -> bool:
    """Whether a request may be approved in bulk from the inbox (no :func:`risk_flags`)."""
    return not risk_flags(facts)


def unread_messages(user: User) -> QuerySet[InboxMessage]:
    return InboxMessage.objects.filter(recipient=user, read_at__isnull=True)


def decision_context(request: ApprovalRequest) -> dict[str, Any]:
    """What an approver sees: the document's key figures, the facts judged, the history."""
    document_type = registry.get(request.document_type)
    try:
        document = document_type.load(request.document_id)
        summary = document_type.summary(document)
    except document_type.model.DoesNotExist:
        summary = {"Document": "no longer exists"}
    history = list(
        ApprovalRequest.objects.filter(
            document_type=request.document_type, document_id=request.document_id
        )
        .exclude(pk=request.pk)
        .order_by("-submitted_at")
        .values("status", "submitted_at", "decided_at")[:10]
    )
    return {
        "document_type": document_type.label,
        "summary": summary,
        "facts": {
            document_type.fields[k].label if k in document_type.fields else k: v
            for k, v in request.facts.items()
        },
        "history": history,
        "steps": list(request.steps.select_related("approver", "on_behalf_of")),
    }


@dataclass(frozen=True)
class PolicyMetrics:
    policy_id: int
    policy: str
    requests: int
    approved: int
    rejected: int
    pending: int
    rejection_rate: float
    override_rate: float
    median_cycle_hours: float | None


def _hours(delta: datetime.timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def policy_metrics(requests: QuerySet[ApprovalRequest]) -> list[PolicyMetrics]:
    """Cycle time, rejection and override rates per policy (override = escalated or delegated)."""
    rows = requests.values("policy_id", "policy__name").annotate(
        total=Count("pk"),
        approved=Count("pk", filter=Q(status="approved")),
        rejected=Count("pk", filter=Q(status="rejected")),
        pending=Count("pk", filter=Q(status="pending")),
        overridden=Count(
            "pk",
            filter=Q(steps__status="escalated") | Q(steps__on_behalf_of__isnull=False),
            distinct=True,
        ),
    )
    durations: dict[int, list[float]] = {}
    for policy_id, submitted, decided in (
        requests.filter(decided_at__isnull=False)
        .exclude(status="cancelled")
        .values_list("policy_id", "submitted_at", "decided_at")
    ):
        if decided is not None:
            durations.setdefault(policy_id, []).append(_hours(decided - submitted))
    result = []
    for row in rows.order_by("policy__name"):
        decided = row["approved"] + row["rejected"]
        cycle = durations.get(row["policy_id"])
        result.append(
            PolicyMetrics(
                policy_id=row["policy_id"],
                policy=row["policy__name"],
                requests=row["total"],
                approved=row["approved"],
                rejected=row["rejected"],
                pending=row["pending"],
                rejection_rate=round(row["rejected"] / decided, 4) if decided else 0.0,
                override_rate=round(row["overridden"] / row["total"], 4) if row["total"] else 0.0,
                median_cycle_hours=statistics.median(cycle) if cycle else None,
            )
        )
    return result


@dataclass(frozen=True)
class ApproverMetrics:
    approver: str
    decided: int
    open: int
    median_decision_hours: float | None


def approver_metrics(requests: QuerySet[ApprovalRequest]) -> list[ApproverMetrics]:
    steps = ApprovalStep.objects.filter(request__in=requests).select_related("approver")
    decided: dict[str, list[float]] = {}
    open_count: Counter[str] = Counter()
    for step in steps:
        name = step.approver.username
        if step.status in ("approved", "rejected") and step.opened_at and step.decided_at:
            decided.setdefault(name, []).append(_hours(step.decided_at - step.opened_at))
        elif step.status == "pending":
            open_count[name] += 1
    names = sorted(set(decided) | set(open_count))
    return [
        ApproverMetrics(
            approver=name,
            decided=len(decided.get(name, [])),
            open=open_count[name],
            median_decision_hours=statistics.median(decided[name]) if name in decided else None,
        )
        for name in names
    ]


def aging(
    requests: QuerySet[ApprovalRequest], now: datetime.datetime | None = None
) -> dict[str, int]:
    """Pending requests by age bucket."""
    now = now or timezone.now()
    buckets = {"< 1 day": 0, "1-3 days": 0, "3-7 days": 0, "> 7 days": 0}
    for submitted in requests.filter(status="pending").values_list("submitted_at", flat=True):
        days = (now - submitted).total_seconds() / 86400
        key = (
            "< 1 day"
            if days < 1
            else "1-3 days"
            if days < 3
            else "3-7 days"
            if days < 7
            else "> 7 days"
        )
        buckets[key] += 1
    return buckets


@dataclass
class SimulationResult:
    documents: int = 0
    matched: list[dict[str, Any]] = field(default_factory=list)
    requests_per_approver: dict[str, int] = field(default_factory=dict)
    expected_added_hours: float = 0.0
    unroutable: int = 0


def simulate(
    draft: PolicyDraft,
    documents: Iterable[tuple[Any, User | None]],
) -> SimulationResult:
    """Apply a draft policy to past documents (each with its requester) without writing anything.

    The expected added cycle time per matched document is the sum over levels
    of the slowest approver's median decision time in past steps (or the level's
    SLA, or a day when there is no history).
    """
    levels = check_draft(draft, against_active=False)
    document_type = registry.get(draft.document_type)
    result = SimulationResult()
    per_approver: Counter[str] = Counter()
    history = {
        m.approver: m.median_decision_hours for m in approver_metrics(ApprovalRequest.objects.all())
    }
    added: list[float] = []
    for document, requester in documents:
        result.documents += 1
        if document_type.company_id(document) != draft.company_id:
            continue
        if not evaluate(draft.condition, document_type.facts(document), document_type.fields):
            continue
        route = []
        hours = 0.0
        for level in levels:
            approvers = resolve_level(
                level,
                company_id=draft.company_id,
                requester=requester,
                category_path=document_type.category_path(document),
            )
            if not approvers and level.escalate_to_id:
                approvers = [User.objects.get(pk=level.escalate_to_id)]
            if not approvers:
                result.unroutable += 1
            names = [a.username for a in approvers]
            per_approver.update(names)
            route.append({"level": level.name, "approvers": names})
            known = [h for n in names if (h := history.get(n)) is not None]
            fallback = float(level.sla_hours) if level.sla_hours else DEFAULT_DECISION_HOURS
            hours += max(known) if known else fallback
        added.append(hours)
        result.matched.append({"document": str(document), "id": document.pk, "route": route})
    result.requests_per_approver = dict(sorted(per_approver.items()))
    result.expected_added_hours = round(statistics.mean(added), 2) if added else 0.0
    return result


def documents_since(
    document_type_code: str, company_id: int, days: int
) -> list[tuple[Any, User | None]]:
    """The documents of a type created in the last ``days`` days, with who created them."""
    from crossdock.core.models import AuditEntry

    document_type = registry.get(document_type_code)
    since = timezone.now() - datetime.timedelta(days=days)
    model_label = document_type.model._meta.label_lower
    created = AuditEntry.objects.filter(
        object_type=model_label, action="create", recorded_at__gte=since, company_id=company_id
    ).values_list("object_id", "actor_id")
    creators = dict(created)
    users = User.objects.in_bulk([u for u in creators.values() if u])
    documents = document_type.model._default_manager.filter(pk__in=list(creators))
    return [(doc, users.get(creators.get(str(doc.pk)))) for doc in documents]
