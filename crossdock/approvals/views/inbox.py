"""The approver inbox: one card per open step, decisions in one click (HTMX), bulk approval."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from crossdock.approvals import registry, selectors, services
from crossdock.approvals.forms import BulkApproveForm, DecisionForm
from crossdock.approvals.models import ApprovalRequest, ApprovalStep
from crossdock.approvals.views.common import labelled_facts, safe_next, visible_request
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError
from crossdock.web.views.common import is_partial, render_page

INBOX_LIMIT = 50
NOTIFICATIONS = 8


def _summaries(requests: list[ApprovalRequest]) -> dict[int, dict[str, str]]:
    """The document summary of each request, loading each type's documents in one query."""
    by_type: dict[str, list[ApprovalRequest]] = defaultdict(list)
    for request in requests:
        by_type[request.document_type].append(request)
    summaries: dict[int, dict[str, str]] = {}
    for code, group in by_type.items():
        document_type = registry.get(code)
        documents = document_type.model._default_manager.in_bulk([r.document_id for r in group])
        for request in group:
            document = documents.get(document_type.model._meta.pk.to_python(request.document_id))
            summaries[request.pk] = (
                document_type.summary(document) if document else {"Document": "no longer exists"}
            )
    return summaries


def _card(
    step: ApprovalStep, user: Any, summary: dict[str, str], now: datetime.datetime
) -> dict[str, Any]:
    request = step.request
    return {
        "step": step,
        "request": request,
        "type_label": registry.get(request.document_type).label,
        "summary": summary,
        "facts": labelled_facts(request),
        "flags": selectors.risk_flags(request.facts),
        "low_risk": selectors.is_low_risk(request.facts),
        "overdue": step.due_at is not None and step.due_at < now,
        "standing_in_for": step.approver if step.approver_id != user.pk else None,
        "form": DecisionForm(prefix=f"r{request.pk}"),
    }


def _inbox_cards(user: Any, steps: list[ApprovalStep]) -> list[dict[str, Any]]:
    requests = list({step.request_id: step.request for step in steps}.values())
    summaries = _summaries(requests)
    now = timezone.now()
    cards, seen = [], set()
    for step in steps:
        if step.request_id in seen:  # one card per request, even with two steps of mine
            continue
        seen.add(step.request_id)
        cards.append(_card(step, user, summaries[step.request_id], now))
    return cards


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    steps = selectors.decidable_steps(user)  # type: ignore[arg-type]
    total = steps.values("request_id").distinct().count()
    cards = _inbox_cards(user, list(steps[:INBOX_LIMIT]))
    context = {
        "title": "Approvals inbox",
        "cards": cards,
        "total": total,
        "bulk_count": sum(1 for c in cards if c["low_risk"]),
        "notifications": list(
            selectors.unread_messages(user).select_related("request")[:NOTIFICATIONS]  # type: ignore[arg-type]
        ),
    }
    return render_page(request, "approvals/inbox.html", context)


def _decided_fragment(
    request: HttpRequest, approval: ApprovalRequest, verdict: str, error: str = ""
) -> HttpResponse:
    context = {"approval": approval, "verdict": verdict, "error": error}
    return render_page(request, "approvals/_decided.html", context)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int, verdict: str) -> HttpResponse:
    """Approve or reject the user's open step; in the inbox (HTMX) the card shows the outcome."""
    approval = visible_request(request.user, pk)
    form = DecisionForm(request.POST, prefix=request.POST.get("prefix") or None)
    default_next = reverse("approvals:request_detail", args=[pk])
    if not form.is_valid():
        return _decision_refused(request, approval, form, "The comment is too long.", default_next)
    try:
        decided = services.decide(
            Actor.of(request.user),
            pk,
            approve=verdict == "approve",
            comment=form.cleaned_data["comment"],
        )
    except NotFoundError as error:
        raise Http404(error.message) from error
    except DomainError as error:
        return _decision_refused(request, approval, form, error.message, default_next)
    if is_partial(request):
        return _decided_fragment(request, decided, verdict)
    outcome = "Approved" if verdict == "approve" else "Rejected"
    messages.success(request, f"{outcome}: {decided.document_label}.")
    return redirect(safe_next(request, default_next))


def _decision_refused(
    request: HttpRequest,
    approval: ApprovalRequest,
    form: DecisionForm,
    message: str,
    default_next: str,
) -> HttpResponse:
    if is_partial(request):
        # The card is swapped back with the reason (HTMX swaps 2xx answers only).
        steps = selectors.decidable_steps(request.user).filter(request=approval)  # type: ignore[arg-type]
        step = steps.first()
        if step is None:
            return _decided_fragment(request, approval, "", error=message)
        card = _inbox_cards(request.user, [step])[0]
        card["form"] = form
        card["error"] = message
        return render_page(request, "approvals/_card.html", {"card": card})
    messages.error(request, message)
    return redirect(safe_next(request, default_next))


@login_required
@require_POST
def bulk_approve(request: HttpRequest) -> HttpResponse:
    steps = selectors.decidable_steps(request.user)  # type: ignore[arg-type]
    allowed = [s.request_id for s in steps if selectors.is_low_risk(s.request.facts)]
    form = BulkApproveForm(request.POST, allowed=allowed)
    if not form.is_valid():
        messages.error(request, "Tick low-risk requests waiting for you to approve them together.")
        return redirect("approvals:inbox")
    results = services.bulk_approve(Actor.of(request.user), form.cleaned_data["ids"])
    approved = sum(1 for r in results if r.ok)
    messages.success(request, f"Approved {approved} request{'s' if approved != 1 else ''}.")
    for result in results:
        if not result.ok:
            messages.error(request, f"Request {result.request_id}: {result.message}")
    return redirect("approvals:inbox")


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    services.mark_messages_read(Actor.of(request.user))
    return redirect("approvals:inbox")
