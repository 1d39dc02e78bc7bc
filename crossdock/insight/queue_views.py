"""Exception-queue screens: the queues with their counts, one queue's items, and the
forms that run an item's suggested action, give it to a person, snooze or dismiss it
(HTMX swaps the row). A refused form names the field and writes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.insight.models import ExceptionItem
from crossdock.insight.queue_forms import ItemAssignForm, ItemSnoozeForm, first_error
from crossdock.insight.queues import selectors, services
from crossdock.insight.queues.registry import ACTIONS, SOURCES
from crossdock.web.views.common import is_partial, render_page

PER_PAGE = 50


def _need(request: HttpRequest, action: str = "view") -> None:
    if not has_model_permission(request.user, ExceptionItem, action):
        raise PermissionDenied


@login_required
@require_safe
def queue_list(request: HttpRequest) -> HttpResponse:
    _need(request)
    context = {"title": "Exception queues", "queues": selectors.queue_summaries(request.user)}
    return render_page(request, "insight/queues.html", context)


def _decorate(items: list[ExceptionItem], user: Any) -> list[ExceptionItem]:
    now = timezone.now()
    candidates = selectors.owner_candidates(items)
    for item in items:
        item.candidates = candidates.get((item.company_id, item.owner_role), [])  # type: ignore[attr-defined]
        item.age_days = (now - item.since).days  # type: ignore[attr-defined]
        item.snoozed = item.snoozed_until is not None and item.snoozed_until > now  # type: ignore[attr-defined]
        action = ACTIONS.get(item.action)
        item.can_run = bool(  # type: ignore[attr-defined]
            item.is_open and action is not None and user.has_perm(action.permission)
        )
        item.kind_label = SOURCES[item.kind].label if item.kind in SOURCES else item.kind  # type: ignore[attr-defined]
    return items


@login_required
@require_safe
def queue_items(request: HttpRequest, queue: str) -> HttpResponse:
    _need(request)
    kinds = [k for k in selectors.visible_kinds(request.user) if SOURCES[k].queue == queue]
    rows = selectors.open_items(selectors.visible_items(request.user)).filter(queue=queue)
    if not kinds and not rows.exists():
        raise Http404("No such queue.")
    chosen = {n: request.GET.get(n, "").strip() for n in ("kind", "severity", "warehouse", "mine")}
    if chosen["kind"]:
        rows = rows.filter(kind=chosen["kind"])
    if chosen["severity"] in ("1", "2", "3"):
        rows = rows.filter(severity=int(chosen["severity"]))
    if chosen["warehouse"].isdigit():
        rows = rows.filter(warehouse_id=int(chosen["warehouse"]))
    if chosen["mine"]:
        rows = rows.filter(owner_id=request.user.pk)
    rows = rows.select_related("owner", "warehouse", "company").order_by("-severity", "since", "pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": selectors.queue_label(queue),
        "queue": queue,
        "kinds": [(k, SOURCES[k].label) for k in kinds],
        "chosen": chosen,
        "page": page,
        "items": _decorate(list(page.object_list), request.user),
        "can_work": has_model_permission(request.user, ExceptionItem, "change"),
    }
    return render_page(request, "insight/queue_items.html", context)


def _row(request: HttpRequest, pk: int, *, outcome: str = "", error: str = "") -> HttpResponse:
    item = selectors.visible_items(request.user).select_related("owner", "warehouse").get(pk=pk)
    context = {
        "item": _decorate([item], request.user)[0],
        "outcome": outcome,
        "error": error,
        "can_work": has_model_permission(request.user, ExceptionItem, "change"),
    }
    return render(request, "insight/_queue_item.html", context)


def _respond(request: HttpRequest, pk: int, queue: str, outcome: str, error: str) -> HttpResponse:
    if is_partial(request):
        return _row(request, pk, outcome=outcome, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, outcome)
    return redirect("insight_queues:items", queue=queue)


def _visible_item(request: HttpRequest, pk: int) -> ExceptionItem:
    _need(request, "change")
    item = selectors.visible_items(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404("No such item.")
    return item


@login_required
@require_POST
def run_item_action(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request, pk)
    try:
        result = services.run_action(Actor.of(request.user), item.pk, {})
    except DomainError as refused:
        return _respond(request, item.pk, item.queue, "", refused.message)
    return _respond(request, item.pk, item.queue, result.message, "")


@login_required
@require_POST
def dismiss_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request, pk)
    try:
        services.dismiss_item(Actor.of(request.user), item.pk, request.POST.get("note", ""))
    except DomainError as refused:
        return _respond(request, item.pk, item.queue, "", refused.message)
    return _respond(request, item.pk, item.queue, "Dismissed.", "")


def _run_form(request: HttpRequest, item: ExceptionItem, form: Any, work: Any) -> HttpResponse:
    """Check ``form``; when valid, ``work(actor)`` calls the service and says what it did."""
    if not form.is_valid():
        return _respond(request, item.pk, item.queue, "", first_error(form))
    try:
        outcome = work(Actor.of(request.user))
    except DomainError as refused:
        return _respond(request, item.pk, item.queue, "", refused.message)
    return _respond(request, item.pk, item.queue, outcome, "")


@login_required
@require_POST
def assign_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request, pk)
    candidates = selectors.owner_candidates([item]).get((item.company_id, item.owner_role), [])
    form = ItemAssignForm(request.POST, candidates=candidates, role=item.owner_role)

    def assign(actor: Actor) -> str:
        owner = form.cleaned_data["owner"]
        services.assign_item(actor, item.pk, owner)
        names = dict(candidates)
        return f"Given to {names[owner]}." if owner else f"Back to the {item.owner_role} role."

    return _run_form(request, item, form, assign)


@login_required
@require_POST
def snooze_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible_item(request, pk)
    form = ItemSnoozeForm(request.POST)

    def snooze(actor: Actor) -> str:
        until = form.until_time()
        services.snooze_item(actor, item.pk, until, form.cleaned_data["reason"])
        return f"Snoozed until {form.cleaned_data['until']:%a %-d %b}."

    return _run_form(request, item, form, snooze)
