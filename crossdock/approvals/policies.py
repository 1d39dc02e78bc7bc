"""Saving, activating and retiring approval policies, with every check done on save."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from crossdock.approvals import registry
from crossdock.approvals.conditions import ConditionError, may_overlap, satisfiable, validate
from crossdock.approvals.models import ApprovalLevel, ApprovalPolicy, ApproverRule, BudgetOwner
from crossdock.approvals.routing import possible_approvers, reaches_company
from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError, StaleVersionError, refuse_if
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company, ProductCategory


@dataclass(frozen=True)
class LevelDraft:
    name: str
    rule: str
    mode: str = ApprovalLevel.Mode.PARALLEL
    min_approvals: int = 1
    role: str = ""
    user_id: int | None = None
    manager_depth: int = 1
    sla_hours: int | None = None
    escalate_to_id: int | None = None


@dataclass(frozen=True)
class PolicyDraft:
    company_id: int
    document_type: str
    name: str
    condition: dict[str, Any]
    levels: Sequence[LevelDraft] = field(default_factory=tuple)


def _unsaved_levels(draft: PolicyDraft) -> list[ApprovalLevel]:
    return [
        ApprovalLevel(
            sequence=index,
            name=level.name,
            rule=level.rule,
            mode=level.mode,
            min_approvals=level.min_approvals,
            role=level.role,
            user_id=level.user_id,
            manager_depth=level.manager_depth,
            sla_hours=level.sla_hours,
            escalate_to_id=level.escalate_to_id,
        )
        for index, level in enumerate(draft.levels, start=1)
    ]


def check_draft(
    draft: PolicyDraft, *, policy_id: int | None = None, against_active: bool = True
) -> list[ApprovalLevel]:
    """Raise one DomainError listing every reason the draft is invalid; else return its levels.

    Drafts may overlap active policies; activation (``against_active``) may not.
    """
    document_type = registry.get(draft.document_type)
    problems: dict[str, list[str]] = {}
    condition_problems = validate(draft.condition, document_type.fields)
    if condition_problems:
        problems["condition"] = condition_problems
    else:
        try:
            if not satisfiable(draft.condition, document_type.fields):
                problems["condition"] = ["No document can ever match this condition."]
        except ConditionError as error:
            problems["condition"] = [str(error)]
    if not draft.name.strip():
        problems["name"] = ["Give the policy a name."]
    levels = _unsaved_levels(draft)
    if not levels:
        problems["levels"] = ["A policy needs at least one level."]
    roles = set(Group.objects.values_list("name", flat=True))
    for index, level in enumerate(levels):
        messages = _level_problems(level, roles, draft.company_id)
        if messages:
            problems[f"levels[{index}]"] = messages
    refuse_if(problems)
    if against_active:
        _check_overlaps(draft, levels, document_type, policy_id)
    return levels


def _level_problems(level: ApprovalLevel, roles: set[str], company_id: int) -> list[str]:
    messages = []
    if level.rule not in ApproverRule.values:
        return [f"Unknown approver rule {level.rule!r}."]
    if level.mode not in ApprovalLevel.Mode.values:
        messages.append(f"Unknown mode {level.mode!r}.")
    if level.min_approvals < 1:
        messages.append("At least one approval is needed.")
    if level.rule == ApproverRule.ROLE and level.role not in roles:
        messages.append(f"Unknown role {level.role!r}.")
    if level.rule == ApproverRule.USER and level.user_id is None:
        messages.append("Choose the user who approves.")
    if level.rule == ApproverRule.MANAGER and level.manager_depth < 1:
        messages.append("The manager chain needs a depth of at least 1.")
    if level.sla_hours is not None and level.escalate_to_id is None:
        messages.append("A level with an SLA needs someone to escalate to.")
    if level.escalate_to_id is not None and not reaches_company(level.escalate_to_id, company_id):
        messages.append("The user to escalate to is inactive or has no access to the company.")
    if messages:
        return messages
    reachable = possible_approvers(level, company_id)
    if reachable == 0:
        messages.append("No user could ever approve this level (nobody has access to the company).")
    elif reachable is not None and level.mode == "parallel" and reachable < level.min_approvals:
        messages.append(
            f"Needs {level.min_approvals} approvals but only {reachable} user(s) can approve."
        )
    return messages


def _check_overlaps(
    draft: PolicyDraft,
    levels: list[ApprovalLevel],
    document_type: registry.DocumentType,
    policy_id: int | None,
) -> None:
    signature = [level.signature() for level in levels]
    others = (
        ApprovalPolicy.objects.filter(
            company_id=draft.company_id,
            document_type=draft.document_type,
            status=ApprovalPolicy.Status.ACTIVE,
        )
        .exclude(pk=policy_id or 0)
        .prefetch_related("levels")
    )
    for other in others:
        try:
            overlapping = may_overlap(draft.condition, other.condition, document_type.fields)
        except ConditionError as error:
            raise DomainError(f"condition: {error}", fields={"condition": [str(error)]}) from error
        if overlapping and [lv.signature() for lv in other.levels.all()] != signature:
            raise DomainError(
                f"condition: overlaps the active policy “{other.name}”, which routes the same "
                "documents to different approvers; narrow one of the conditions.",
                fields={"condition": [f"Overlaps “{other.name}” with a different outcome."]},
            )


def save_policy(
    actor: Actor,
    draft: PolicyDraft,
    *,
    policy_id: int | None = None,
    expected_version: int | None = None,
) -> ApprovalPolicy:
    """Create a draft policy, or replace a policy's condition and levels (audited).

    With ``expected_version``, a policy changed by someone else since it was
    read is refused (:class:`StaleVersionError`) instead of overwritten.
    """
    company = Company.objects.filter(pk=draft.company_id).first()
    if company is None:
        raise DomainError("company: unknown company.", fields={"company": ["Unknown company."]})
    with transaction.atomic():
        if policy_id is None:
            policy = ApprovalPolicy(company=company, document_type=draft.document_type)
            before = None
        else:
            found = ApprovalPolicy.objects.select_for_update().filter(pk=policy_id).first()
            if found is None:
                raise NotFoundError(f"No approval policy with id {policy_id}.")
            policy = found
            if expected_version is not None and expected_version != policy.version:
                raise StaleVersionError(
                    "The policy was changed by someone else; reload it and apply your change "
                    "again.",
                    fields={"version": [f"The current version is {policy.version}."]},
                )
            before = _policy_snapshot(policy)
        policy.company = company
        policy.document_type = draft.document_type
        policy.name = draft.name.strip()
        policy.condition = draft.condition
        require(actor, policy, "add" if policy_id is None else "change")
        levels = check_draft(
            draft,
            policy_id=policy.pk,
            against_active=policy.status == ApprovalPolicy.Status.ACTIVE,
        )
        if (
            ApprovalPolicy.objects.filter(
                company=company, document_type=draft.document_type, name=policy.name
            )
            .exclude(pk=policy.pk)
            .exists()
        ):
            raise DomainError(
                "name: a policy with this name already exists.", fields={"name": ["Taken."]}
            )
        if policy.pk:
            policy.version += 1
        policy.save()
        policy.levels.all().delete()
        for level in levels:
            level.policy = policy
        ApprovalLevel.objects.bulk_create(levels)
        audit.record(
            actor,
            audit.Change(
                "approvals.policy.save" if before else "create",
                policy,
                before,
                _policy_snapshot(policy),
            ),
        )
        return policy


def set_policy_status(actor: Actor, policy_id: int, status: str) -> ApprovalPolicy:
    """Activate (after the overlap check against active policies) or retire a policy."""
    if status not in ApprovalPolicy.Status.values:
        raise DomainError(f"status: unknown status {status!r}.", fields={"status": ["Unknown."]})
    with transaction.atomic():
        policy = ApprovalPolicy.objects.select_for_update().filter(pk=policy_id).first()
        if policy is None:
            raise NotFoundError(f"No approval policy with id {policy_id}.")
        require(actor, policy, "change")
        if status == ApprovalPolicy.Status.ACTIVE:
            check_draft(draft_of(policy), policy_id=policy.pk)
        before = _policy_snapshot(policy)
        policy.status = status
        policy.version += 1
        policy.save(update_fields=["status", "version", "updated_at"])
        audit.record(
            actor,
            audit.Change(f"approvals.policy.{status}", policy, before, _policy_snapshot(policy)),
        )
        return policy


def draft_of(policy: ApprovalPolicy) -> PolicyDraft:
    return PolicyDraft(
        company_id=policy.company_id,
        document_type=policy.document_type,
        name=policy.name,
        condition=policy.condition,
        levels=[
            LevelDraft(
                name=level.name,
                rule=level.rule,
                mode=level.mode,
                min_approvals=level.min_approvals,
                role=level.role,
                user_id=level.user_id,
                manager_depth=level.manager_depth,
                sla_hours=level.sla_hours,
                escalate_to_id=level.escalate_to_id,
            )
            for level in policy.levels.order_by("sequence")
        ],
    )


def _policy_snapshot(policy: ApprovalPolicy) -> dict[str, Any]:
    data = audit.snapshot(policy)
    data["levels"] = [audit.snapshot(level) for level in policy.levels.order_by("sequence")]
    return data


def set_budget_owner(
    actor: Actor, *, company_id: int, category_id: int, owner_id: int
) -> tuple[BudgetOwner, bool]:
    """Make ``owner`` the budget owner of a category in a company; return (row, created).

    A category has one owner per company, so naming a new owner replaces the
    old one (audited). The owner must be an active user of the company.
    """
    problems: dict[str, list[str]] = {}
    if not Company.objects.filter(pk=company_id).exists():
        problems["company"] = [f"No company with id {company_id}."]
    if not ProductCategory.objects.filter(pk=category_id).exists():
        problems["category"] = [f"No product category with id {category_id}."]
    if not problems and not reaches_company(owner_id, company_id):
        problems["owner"] = ["Choose an active user with access to the company."]
    refuse_if(problems)
    with transaction.atomic():
        row = (
            BudgetOwner.objects.select_for_update()
            .filter(company_id=company_id, category_id=category_id)
            .first()
        )
        created = row is None
        if row is None:
            row = BudgetOwner(company_id=company_id, category_id=category_id, owner_id=owner_id)
            require(actor, row, "add")
            before = None
        else:
            require(actor, row, "change")
            before = audit.snapshot(row)
            row.owner_id = owner_id
            row.version += 1
        row.save()
        audit.record(
            actor, audit.Change("create" if created else "update", row, before, audit.snapshot(row))
        )
        return row, created
