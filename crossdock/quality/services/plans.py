"""Saving and deleting inspection plans with their checks.

A plan and its checks are written together: :func:`save_plan` validates the
header (``clean`` and the constraints) and every check, reports every problem
under its field name (``sample_size``, ``checks[1].max_value``) and writes
nothing if any is found. Saving a plan replaces its checks; checks already
used by recorded results cannot be removed, so a plan in use keeps its checks
(change them on a new plan, and deactivate this one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError, StaleVersionError
from crossdock.core.permissions import require
from crossdock.quality.models import InspectionCheck, InspectionPlan, InspectionResult


@dataclass(frozen=True)
class CheckDraft:
    name: str
    kind: str = "pass_fail"
    target: Decimal | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    unit: str = ""


@dataclass(frozen=True)
class PlanDraft:
    company_id: int
    name: str
    product_id: int | None = None
    category_id: int | None = None
    supplier_id: int | None = None
    sampling: str = "all"
    sample_size: Decimal | None = None
    sample_percent: Decimal | None = None
    instructions: str = ""
    active: bool = True
    checks: Sequence[CheckDraft] = field(default_factory=list)


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            name: [str(m) for e in errors for m in e.messages]
            for name, errors in error.error_dict.items()
        }
    return {"__all__": list(error.messages)}


def _fill(plan: InspectionPlan, draft: PlanDraft) -> dict[str, list[str]]:
    plan.company_id = draft.company_id
    plan.name = draft.name.strip()
    plan.product_id = draft.product_id
    plan.category_id = draft.category_id
    plan.supplier_id = draft.supplier_id
    plan.sampling = draft.sampling
    plan.sample_size = draft.sample_size
    plan.sample_percent = draft.sample_percent
    plan.instructions = draft.instructions.strip()
    plan.active = draft.active
    problems: dict[str, list[str]] = {}
    try:
        plan.full_clean(exclude=["version"])
    except ValidationError as error:
        problems.update(_messages(error))
    if not draft.checks:
        problems["checks"] = ["A plan needs at least one check."]
    for index, check_draft in enumerate(draft.checks):
        check = _check(plan, index, check_draft)
        try:
            check.full_clean(exclude=["plan"])
        except ValidationError as error:
            for name, messages in _messages(error).items():
                problems[f"checks[{index}].{name}"] = messages
    return problems


def _check(plan: InspectionPlan, index: int, draft: CheckDraft) -> InspectionCheck:
    return InspectionCheck(
        plan=plan if plan.pk else None,
        sequence=index + 1,
        name=draft.name.strip(),
        kind=draft.kind,
        target=draft.target,
        min_value=draft.min_value,
        max_value=draft.max_value,
        unit=draft.unit.strip(),
    )


def _refuse(problems: dict[str, list[str]]) -> None:
    if problems:
        name, messages = next(iter(problems.items()))
        label = "" if name == "__all__" else f"{name}: "
        raise DomainError(f"{label}{messages[0]}", fields=problems)


def lock_plan(plan_id: Any) -> InspectionPlan:
    plan = InspectionPlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise NotFoundError(f"No inspection plan with id {plan_id}.")
    return plan


def save_plan(
    actor: Actor, draft: PlanDraft, *, plan_id: Any = None, version: int | None = None
) -> InspectionPlan:
    """Create a plan, or replace one (header and checks); nothing is written on a problem."""
    with transaction.atomic():
        if plan_id is None:
            plan = InspectionPlan()
            before = None
        else:
            plan = lock_plan(plan_id)
            require(actor, plan, "change")
            if version is not None and version != plan.version:
                raise StaleVersionError(
                    f"The plan changed since version {version} (now {plan.version})."
                )
            before = {**audit.snapshot(plan), "checks": _check_names(plan)}
        problems = _fill(plan, draft)
        _refuse(problems)
        require(actor, plan, "add" if plan_id is None else "change")
        if plan_id is not None:
            plan.version = F("version") + 1
            used = InspectionResult.objects.filter(plan_check__plan=plan).exists()
            if used and _changed_checks(plan, draft):
                raise ConflictError(
                    f"{plan.name} has recorded results; its checks cannot change. "
                    "Make a new plan and deactivate this one.",
                    fields={"checks": ["The plan's checks are in use."]},
                )
        plan.save()
        plan.refresh_from_db()
        if plan_id is None or not InspectionResult.objects.filter(plan_check__plan=plan).exists():
            plan.checks.all().delete()
            InspectionCheck.objects.bulk_create(
                _check(plan, index, check) for index, check in enumerate(draft.checks)
            )
        audit.record(
            actor,
            audit.Change(
                "quality.plan.save" if plan_id else "create",
                plan,
                before,
                {**audit.snapshot(plan), "checks": _check_names(plan)},
            ),
        )
        return plan


def _number(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _check_key(check: InspectionCheck | CheckDraft) -> list[str | None]:
    values = (check.target, check.min_value, check.max_value)
    return [check.name.strip(), check.kind, *(_number(v) for v in values)]


def _check_names(plan: InspectionPlan) -> list[list[str | None]]:
    return [_check_key(c) for c in plan.checks.order_by("sequence", "pk")]


def _changed_checks(plan: InspectionPlan, draft: PlanDraft) -> bool:
    return [_check_key(c) for c in draft.checks] != _check_names(plan)


def delete_plan(actor: Actor, plan_id: Any) -> None:
    """Delete a plan no inspection used (a used plan is deactivated instead)."""
    with transaction.atomic():
        plan = lock_plan(plan_id)
        require(actor, plan, "delete")
        if plan.inspections.exists():
            raise ConflictError(
                f"{plan.name} was used by inspections; deactivate it instead.",
                fields={"plan": ["In use by inspections."]},
            )
        before = audit.snapshot(plan)
        audit.record(actor, audit.Change("delete", plan, before, None))
        plan.checks.all().delete()
        plan.delete()
