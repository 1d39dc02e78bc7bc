"""Saving and deleting SLA policies (one per company and priority).

A policy's hours apply to cases opened after it is saved; cases already open
keep the due times they were given (a priority change on a case takes the
policy in force then).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError, StaleVersionError
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company
from crossdock.service.models import SLAPolicy


@dataclass(frozen=True)
class PolicyDraft:
    company_id: Any
    priority: str
    response_hours: Any
    resolution_hours: Any


def lock_policy(policy_id: Any) -> SLAPolicy:
    found = (
        SLAPolicy.objects.select_for_update().filter(pk=policy_id).first()
        if str(policy_id).isdigit()
        else None
    )
    if found is None:
        raise NotFoundError(f"No SLA policy with id {policy_id}.")
    return found


def _hours(value: Any, name: str, problems: dict[str, list[str]]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        problems[name] = ["Give a whole number of hours."]
        return None
    hours = int(value)
    if not 0 < hours <= 24 * 365:
        problems[name] = ["Between 1 and 8760 hours."]
        return None
    return hours


def _fill(policy: SLAPolicy, draft: PolicyDraft) -> None:
    problems: dict[str, list[str]] = {}
    if (
        not str(draft.company_id).isdigit()
        or not Company.objects.filter(pk=int(draft.company_id)).exists()
    ):
        problems["company"] = ["Unknown company."]
    else:
        policy.company_id = int(draft.company_id)
    policy.priority = draft.priority
    response = _hours(draft.response_hours, "response_hours", problems)
    resolution = _hours(draft.resolution_hours, "resolution_hours", problems)
    taken = SLAPolicy.objects.filter(company_id=policy.company_id, priority=draft.priority)
    if policy.company_id and taken.exclude(pk=policy.pk).exists():
        problems["priority"] = ["The company already has a policy for this priority."]
    if response is not None and resolution is not None and resolution < response:
        problems["resolution_hours"] = ["Cannot be less than the response hours."]
    if not problems:
        policy.response_hours, policy.resolution_hours = response, resolution  # type: ignore[assignment]
        try:
            policy.full_clean(exclude=["version"])
        except ValidationError as error:
            raise DomainError.from_validation_error(error) from error
    if problems:
        raise DomainError.of_fields(problems)


def save_policy(
    actor: Actor, draft: PolicyDraft, *, policy_id: Any = None, version: int | None = None
) -> SLAPolicy:
    """Create a policy, or change one; nothing is written on a problem."""
    with transaction.atomic():
        if policy_id is None:
            policy, before = SLAPolicy(), None
        else:
            policy = lock_policy(policy_id)
            require(actor, policy, "change")
            if version is not None and version != policy.version:
                raise StaleVersionError(
                    f"The policy changed since version {version} (now {policy.version}).",
                    fields={"version": ["Does not match the current version."]},
                )
            before = audit.snapshot(policy)
        _fill(policy, draft)
        require(actor, policy, "add" if policy_id is None else "change")
        if policy_id is not None:
            policy.version = F("version") + 1
        policy.save()
        policy.refresh_from_db()
        action = "create" if before is None else "service.sla-policy.save"
        audit.record(actor, audit.Change(action, policy, before, audit.snapshot(policy)))
        return policy


def delete_policy(actor: Actor, policy_id: Any) -> None:
    """Remove a policy: cases opened later at that priority get no due times."""
    with transaction.atomic():
        policy = lock_policy(policy_id)
        require(actor, policy, "delete")
        audit.record(actor, audit.Change("delete", policy, audit.snapshot(policy), None))
        policy.delete()
