"""Queries on service cases shared by the API and the screens: filters and the case's data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from crossdock.core.errors import DomainError
from crossdock.service.models import CaseCategory, CasePriority, CaseStatus, ServiceCase
from crossdock.service.services.escalation import overdue_cases


@dataclass(frozen=True)
class CaseFilters:
    """What a list of cases is narrowed to; ``None`` leaves a filter out."""

    status: str | None = None
    priority: str | None = None
    category: str | None = None
    owner: int | None = None
    customer: int | None = None
    company: int | None = None
    overdue: bool | None = None


def _choice(name: str, value: str | None, allowed: list[str]) -> None:
    if value is not None and value not in allowed:
        message = f"One of {', '.join(allowed)}."
        raise DomainError(f"{name}: {message}", fields={name: [message]})


def filter_cases(
    rows: QuerySet[ServiceCase], filters: CaseFilters, now: datetime.datetime
) -> QuerySet[ServiceCase]:
    """The cases matching ``filters``; an unknown status, priority or category is a 422."""
    _choice("status", filters.status, CaseStatus.values)
    _choice("priority", filters.priority, CasePriority.values)
    _choice("category", filters.category, CaseCategory.values)
    for name in ("status", "priority", "category"):
        value = getattr(filters, name)
        if value is not None:
            rows = rows.filter(**{name: value})
    for name in ("owner", "customer", "company"):
        value = getattr(filters, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    if filters.overdue is True:
        rows = rows.filter(overdue_cases(now))
    elif filters.overdue is False:
        rows = rows.exclude(overdue_cases(now))
    return rows


def _at(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def case_data(case: ServiceCase) -> dict[str, Any]:
    """A case as the API returns it (links and people by id, instants in ISO 8601)."""
    return {
        "id": case.pk, "number": case.number, "company": case.company_id,
        "customer": case.customer_id, "sales_order": case.sales_order_id,
        "product": case.product_id, "return_authorization": case.return_authorization_id,
        "subject": case.subject, "description": case.description, "category": case.category,
        "priority": case.priority, "status": case.status, "owner": case.owner_id,
        "opened_by": case.opened_by_id, "opened_at": _at(case.opened_at),
        "first_response_at": _at(case.first_response_at), "resolved_at": _at(case.resolved_at),
        "closed_at": _at(case.closed_at), "first_response_due": _at(case.first_response_due),
        "resolve_due": _at(case.resolve_due), "escalation_level": case.escalation_level,
        "escalated_at": _at(case.escalated_at), "resolution": case.resolution,
        "version": case.version,
    }  # fmt: skip


def is_overdue(case: ServiceCase, now: datetime.datetime) -> bool:
    """Open and past a due time it has not met (as the ``overdue`` filter)."""
    if not case.is_open:
        return False
    late_answer = (
        case.first_response_at is None
        and case.first_response_due is not None
        and case.first_response_due < now
    )
    return late_answer or (case.resolve_due is not None and case.resolve_due < now)
