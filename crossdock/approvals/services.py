"""Submitting documents for approval and deciding on requests.

Design overview
---------------
``submit`` evaluates the active policies of the document's company and type
against the document's facts. No match: the document is approved at once (the
type's ``on_approved`` runs, an audit entry says it was automatic). A match:
an :class:`ApprovalRequest` is created with the facts it was judged on, and its
first level is opened — one step per approver, with out-of-office delegation
applied and the requester never asked to approve their own document.
Re-submitting a document cancels its pending request and evaluates afresh.

``decide`` locks the request row, so two approvers acting at the same moment
produce exactly one transition; acting twice the same way is a no-op, and a
user who holds no open step gets a 403 with nothing changed. When a level has
its approvals the next level opens; after the last, ``on_approved`` runs. A
rejection closes the request and hands the document back (``on_rejected``).

``escalate_overdue`` (run by the worker) moves steps past their SLA to the
level's fallback approver and tells everyone concerned.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from crossdock.approvals import registry
from crossdock.approvals.conditions import evaluate
from crossdock.approvals.events import (
    ApprovalGranted,
    ApprovalRejected,
    ApprovalReminderSent,
    ApprovalRequested,
    ApprovalStepEscalated,
)
from crossdock.approvals.models import (
    ApprovalLevel,
    ApprovalPolicy,
    ApprovalRequest,
    ApprovalStep,
    Delegation,
    InboxMessage,
)
from crossdock.approvals.routing import active_delegate, resolve_level
from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    SegregationOfDutiesError,
)
from crossdock.core.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    approved: bool
    request: ApprovalRequest | None


def matching_policy(document_type: registry.DocumentType, document: Any) -> ApprovalPolicy | None:
    facts = document_type.facts(document)
    candidates = ApprovalPolicy.objects.filter(
        company_id=document_type.company_id(document),
        document_type=document_type.code,
        status=ApprovalPolicy.Status.ACTIVE,
    ).order_by("pk")
    for policy in candidates:
        if evaluate(policy.condition, facts, document_type.fields):
            return policy
    return None


def submit(actor: Actor, document: Any, document_type_code: str | None = None) -> Submission:
    """Route ``document`` through its company's policies; approve at once when none applies.

    A model approved for more than one reason (a sales order's price and its credit) names
    the document type it is submitted as.
    """
    document_type = (
        registry.get(document_type_code) if document_type_code else registry.of_document(document)
    )
    with transaction.atomic():
        withdraw(actor, document_type.code, str(document.pk))
        policy = matching_policy(document_type, document)
        if policy is None:
            audit.record(actor, audit.Change("approvals.auto-approve", document, None, None))
            events.publish(
                ApprovalGranted(
                    None,
                    document_type.code,
                    str(document.pk),
                    True,
                    company_id=document_type.company_id(document),
                )
            )
            document_type.on_approved(actor, document)
            return Submission(approved=True, request=None)
        request = ApprovalRequest.objects.create(
            company_id=document_type.company_id(document),
            document_type=document_type.code,
            document_id=str(document.pk),
            document_label=str(document)[:255],
            policy=policy,
            facts=audit.json_ready(document_type.facts(document)),
            requester=actor.user,
        )
        audit.record(actor, audit.Change("approvals.submit", request, None, _state(request)))
        _open_level(actor, request, 1, document_type, document)
        return Submission(approved=False, request=request)


def withdraw(actor: Actor, document_type: str, document_id: str) -> None:
    """Cancel the document's pending requests (it was withdrawn or cancelled); steps not yet
    decided are skipped and each cancellation is audited."""
    pending = ApprovalRequest.objects.select_for_update().filter(
        document_type=document_type, document_id=document_id, status=ApprovalRequest.Status.PENDING
    )
    for request in pending:
        before = _state(request)
        request.status = ApprovalRequest.Status.CANCELLED
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at", "updated_at"])
        request.steps.filter(status__in=["pending", "waiting"]).update(status="skipped")
        audit.record(actor, audit.Change("approvals.cancel", request, before, _state(request)))


def _open_level(
    actor: Actor,
    request: ApprovalRequest,
    sequence: int,
    document_type: registry.DocumentType,
    document: Any,
) -> None:
    level = request.policy.levels.get(sequence=sequence)
    now = timezone.now()
    approvers = resolve_level(
        level,
        company_id=request.company_id,
        requester=request.requester,
        category_path=document_type.category_path(document),
    )
    if not approvers and level.escalate_to is not None:
        approvers = [level.escalate_to]
    if not approvers:
        raise DomainError(
            f"No one can approve level “{level.name}” of policy “{request.policy.name}” for "
            "this document; ask an administrator to fix the policy.",
        )
    request.current_level = sequence
    request.save(update_fields=["current_level", "updated_at"])
    steps = []
    for order, approver in enumerate(approvers):
        delegate = active_delegate(approver, now.date())
        opens = level.mode == ApprovalLevel.Mode.PARALLEL or order == 0
        steps.append(
            ApprovalStep(
                request=request,
                level=sequence,
                order=order,
                approver=delegate or approver,
                on_behalf_of=approver if delegate else None,
                status=ApprovalStep.Status.PENDING if opens else ApprovalStep.Status.WAITING,
                opened_at=now if opens else None,
                due_at=_due(level, now) if opens else None,
            )
        )
    ApprovalStep.objects.bulk_create(steps)
    _notify_pending(request, [s for s in steps if s.status == ApprovalStep.Status.PENDING])


def _due(level: ApprovalLevel, start: datetime.datetime) -> datetime.datetime | None:
    return start + datetime.timedelta(hours=level.sla_hours) if level.sla_hours else None


def _notify_pending(request: ApprovalRequest, steps: list[ApprovalStep]) -> None:
    for step in steps:
        _notify(step.approver, request, f"Approval needed: {request.document_label}")
    events.publish(
        ApprovalRequested(
            request.pk,
            request.document_type,
            request.document_id,
            tuple(step.approver_id for step in steps),
            company_id=request.company_id,
        )
    )


def _notify(user: User | None, request: ApprovalRequest, subject: str) -> None:
    if user is None:
        return
    InboxMessage.objects.create(recipient=user, request=request, subject=subject[:255])
    if user.email:
        transaction.on_commit(lambda: _send_mail(user.email, subject))


def _send_mail(address: str, subject: str) -> None:
    body = f"{subject}\n\nOpen your Crossdock approvals inbox to act on it."
    try:
        send_mail(subject, body, None, [address])
    except OSError:  # the in-app inbox and the event still carry the notification
        logger.warning("could not e-mail %s about %r", address, subject, exc_info=True)


def decide(actor: Actor, request_id: int, *, approve: bool, comment: str = "") -> ApprovalRequest:
    """Approve or reject the actor's open step of a request."""
    if actor.user is None:
        raise PermissionDeniedError("Only a person can approve or reject.")
    if not approve and not comment.strip():
        raise DomainError("comment: say why you reject.", fields={"comment": ["Required."]})
    with transaction.atomic():
        request = (
            ApprovalRequest.objects.select_for_update()
            .select_related("policy")
            .filter(pk=request_id)
            .first()
        )
        if request is None or (
            not ApprovalRequest.objects.restrict(actor.user).filter(pk=request_id).exists()
            and not _is_approver(actor.user, request)
        ):
            raise NotFoundError(f"No approval request with id {request_id}.")
        wanted = ApprovalStep.Status.APPROVED if approve else ApprovalStep.Status.REJECTED
        if _already_decided(actor.user, request, wanted):
            return request  # approving (or rejecting) twice changes nothing
        if request.status != ApprovalRequest.Status.PENDING:
            raise ConflictError(f"This request is already {request.get_status_display().lower()}.")
        if request.requester_id == actor.user_id:
            raise SegregationOfDutiesError(
                "Segregation of duties: you requested this approval and cannot decide on it."
            )
        step = _open_step_of(actor.user, request)
        if step is None:
            raise PermissionDeniedError("You have no open approval step on this request.")
        before = _state(request)
        step.status = wanted
        step.decided_at = timezone.now()
        step.comment = comment
        if step.approver_id != actor.user_id:  # acting as a delegate of the approver
            step.on_behalf_of_id = step.on_behalf_of_id or step.approver_id
            step.approver = actor.user
        step.save()
        document_type = registry.get(request.document_type)
        document = document_type.load(request.document_id)
        if approve:
            _advance(actor, request, document_type, document)
        else:
            _reject(actor, request, document_type, document, comment)
        audit.record(
            actor,
            audit.Change(
                "approvals.approve" if approve else "approvals.reject",
                request,
                before,
                {**_state(request), "comment": comment, "level": step.level},
            ),
        )
        return request


def _is_approver(user: User, request: ApprovalRequest) -> bool:
    return request.steps.filter(approver=user).exists()


def _already_decided(user: User, request: ApprovalRequest, wanted: str) -> bool:
    return (
        request.steps.filter(approver=user, status=wanted).exists()
        and not request.steps.filter(approver=user, status=ApprovalStep.Status.PENDING).exists()
    )


def _open_step_of(user: User, request: ApprovalRequest) -> ApprovalStep | None:
    open_steps = request.steps.filter(
        level=request.current_level, status=ApprovalStep.Status.PENDING
    ).select_related("approver")
    today = timezone.now().date()
    for step in open_steps:
        if step.approver_id == user.pk:
            return step
    for step in open_steps:
        if active_delegate(step.approver, today) == user:
            return step
    return None


def _advance(
    actor: Actor, request: ApprovalRequest, document_type: registry.DocumentType, document: Any
) -> None:
    level = request.policy.levels.get(sequence=request.current_level)
    steps = request.steps.filter(level=request.current_level)
    approved = steps.filter(status=ApprovalStep.Status.APPROVED).count()
    if level.mode == ApprovalLevel.Mode.SEQUENTIAL:
        waiting = steps.filter(status=ApprovalStep.Status.WAITING).order_by("order").first()
        if waiting is not None:
            now = timezone.now()
            waiting.status = ApprovalStep.Status.PENDING
            waiting.opened_at = now
            waiting.due_at = _due(level, now)
            waiting.save()
            _notify_pending(request, [waiting])
            return
    elif approved < min(level.min_approvals, steps.exclude(status="escalated").count()):
        return
    steps.filter(status__in=["pending", "waiting"]).update(status=ApprovalStep.Status.SKIPPED)
    if request.policy.levels.filter(sequence=request.current_level + 1).exists():
        _open_level(actor, request, request.current_level + 1, document_type, document)
        return
    request.status = ApprovalRequest.Status.APPROVED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at", "updated_at"])
    _notify(request.requester, request, f"Approved: {request.document_label}")
    events.publish(
        ApprovalGranted(
            request.pk,
            request.document_type,
            request.document_id,
            False,
            company_id=request.company_id,
        )
    )
    document_type.on_approved(actor, document)


def _reject(
    actor: Actor,
    request: ApprovalRequest,
    document_type: registry.DocumentType,
    document: Any,
    comment: str,
) -> None:
    request.status = ApprovalRequest.Status.REJECTED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at", "updated_at"])
    request.steps.filter(status__in=["pending", "waiting"]).update(status="skipped")
    _notify(request.requester, request, f"Rejected: {request.document_label} — {comment}")
    events.publish(
        ApprovalRejected(
            request.pk,
            request.document_type,
            request.document_id,
            comment,
            company_id=request.company_id,
        )
    )
    document_type.on_rejected(actor, document, comment)


@dataclass(frozen=True)
class BulkResult:
    request_id: int
    ok: bool
    message: str


def bulk_approve(actor: Actor, request_ids: list[int], comment: str = "") -> list[BulkResult]:
    """Approve several requests; each in its own transaction, failures reported per request."""
    results = []
    for request_id in request_ids:
        try:
            decide(actor, request_id, approve=True, comment=comment)
            results.append(BulkResult(request_id, True, "approved"))
        except DomainError as error:
            results.append(BulkResult(request_id, False, error.message))
    return results


def escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Move every open step past its SLA to its level's fallback; return how many moved."""
    now = now or timezone.now()
    actor = Actor.system("escalation")
    moved = 0
    overdue_ids = list(
        ApprovalStep.objects.filter(
            status=ApprovalStep.Status.PENDING, due_at__lt=now, request__status="pending"
        )
        .values_list("request_id", flat=True)
        .distinct()
        .order_by("request_id")
    )
    for request_id in overdue_ids:
        with transaction.atomic():
            request = (
                ApprovalRequest.objects.select_for_update()
                .select_related("policy")
                .get(pk=request_id)
            )
            for step in request.steps.filter(
                status=ApprovalStep.Status.PENDING, due_at__lt=now
            ).select_related("approver"):
                level = request.policy.levels.get(sequence=step.level)
                fallback = level.escalate_to
                step.status = ApprovalStep.Status.ESCALATED
                step.decided_at = now
                step.save(update_fields=["status", "decided_at"])
                new_step = None
                if fallback is not None and fallback.pk != request.requester_id:
                    new_step = ApprovalStep.objects.create(
                        request=request,
                        level=step.level,
                        order=step.order,
                        approver=fallback,
                        on_behalf_of=step.approver,
                        status=ApprovalStep.Status.PENDING,
                        opened_at=now,
                        due_at=_due(level, now),
                    )
                    _notify(fallback, request, f"Escalated to you: {request.document_label}")
                _notify(step.approver, request, f"Escalated (SLA passed): {request.document_label}")
                _notify(request.requester, request, f"Escalated: {request.document_label}")
                audit.record(
                    actor,
                    audit.Change(
                        "approvals.escalate",
                        request,
                        {"step": step.pk, "approver": step.approver_id},
                        {
                            "step": new_step.pk if new_step else None,
                            "approver": fallback.pk if fallback else None,
                        },
                    ),
                )
                events.publish(
                    ApprovalStepEscalated(
                        request.pk,
                        step.pk,
                        fallback.pk if fallback else None,
                        company_id=request.company_id,
                    )
                )
                moved += 1
    return moved


def remind_approvers(actor: Actor, request_id: int) -> list[int]:
    """Remind each approver whose decision on a pending request is awaited (inbox and
    e-mail); return their ids. Refused for a request that is not pending."""
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise NotFoundError(f"No approval request with id {request_id}.")
        if request.status != ApprovalRequest.Status.PENDING:
            raise ConflictError(
                f"{request.document_label} is {request.get_status_display().lower()}; "
                "nobody needs reminding."
            )
        steps = list(
            request.steps.filter(status=ApprovalStep.Status.PENDING)
            .select_related("approver")
            .order_by("level", "order", "pk")
        )
        for step in steps:
            _notify(step.approver, request, f"Reminder: {request.document_label} waits for you")
        reminded = [step.approver_id for step in steps]
        audit.record(
            actor, audit.Change("approvals.remind", request, None, {"approvers": reminded})
        )
        events.publish(
            ApprovalReminderSent(request.pk, tuple(reminded), company_id=request.company_id)
        )
        return reminded


def set_delegation(
    actor: Actor,
    *,
    delegator: User,
    delegate: User,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str = "",
) -> Delegation:
    """Record an out-of-office delegation (one's own, or anyone's for an administrator)."""
    if (
        actor.user is not None
        and actor.user.pk != delegator.pk
        and not actor.user.has_perm("approvals.change_delegation")
    ):
        raise PermissionDeniedError("You may only delegate your own approvals.")
    problems = {}
    if ends_on < starts_on:
        problems["ends_on"] = ["The delegation must end on or after its start."]
    if delegate.pk == delegator.pk:
        problems["delegate"] = ["Delegate to someone else."]
    if not delegate.is_active:
        problems["delegate"] = ["This user is inactive."]
    if problems:
        name, messages = next(iter(problems.items()))
        raise DomainError(f"{name}: {messages[0]}", fields=problems)
    with transaction.atomic():
        delegation = Delegation.objects.create(
            delegator=delegator,
            delegate=delegate,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
        )
        audit.record(actor, audit.Change("create", delegation, None, audit.snapshot(delegation)))
        return delegation


def mark_messages_read(actor: Actor, message_ids: list[int] | None = None) -> int:
    """Mark the actor's unread inbox messages (all, or those listed) read; return how many."""
    if actor.user is None:
        return 0
    unread = InboxMessage.objects.filter(recipient=actor.user, read_at__isnull=True)
    if message_ids is not None:
        unread = unread.filter(pk__in=message_ids)
    return unread.update(read_at=timezone.now())


def _state(request: ApprovalRequest) -> dict[str, Any]:
    return {
        "status": request.status,
        "current_level": request.current_level,
        "policy": request.policy_id,
        "document": f"{request.document_type}:{request.document_id}",
    }


def request_for(document_type: str, document_id: Any) -> ApprovalRequest | None:
    """The latest request of a document, if any."""
    return (
        ApprovalRequest.objects.filter(document_type=document_type, document_id=str(document_id))
        .order_by("-submitted_at", "-pk")
        .first()
    )


def user_by_id(user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFoundError(f"No user with id {user_id}.")
    return user
