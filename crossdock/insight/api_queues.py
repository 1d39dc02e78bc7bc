"""Exception-queue endpoints: the queues with their counts, the items, and working an item.

Thin like the other routers: a person sees the items of the queues their roles own or
whose documents they may read, in their companies and warehouses (404 for anything
else); running an item's action also needs the action's own permission (403). Every
POST takes an ``Idempotency-Key``.
"""

import datetime
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError
from crossdock.insight.models import ExceptionItem
from crossdock.insight.queues import selectors, services

router = Router(tags=["Exception queues"])
ERRORS = frozenset({400, 401, 403, 404, 409, 422})
ORDERINGS = ("since", "-since", "severity", "-severity", "opened_at", "-opened_at")


class QueueOut(Schema):
    queue: str
    label: str
    kinds: list[dict[str, str]]
    open: int = Field(description="Open items you see (not snoozed).")
    low: int
    medium: int
    high: int
    oldest_since: datetime.datetime | None
    oldest_age_days: int | None


class QueuePage(Schema):
    items: list[QueueOut]
    next_cursor: str | None


class ItemOut(Schema):
    id: int
    company: int
    warehouse: int | None
    kind: str
    queue: str
    key: str
    severity: int = Field(description="1 low, 2 medium, 3 high")
    owner_role: str
    owner: int | None
    assigned: bool
    title: str
    context: dict[str, Any]
    document_label: str
    document_url: str
    action: str
    action_label: str
    action_params: dict[str, Any]
    since: datetime.datetime
    age_days: int
    opened_at: datetime.datetime
    refreshed_at: datetime.datetime
    snoozed_until: datetime.datetime | None
    last_outcome: str
    closed_at: datetime.datetime | None
    close_reason: str


class ItemPage(Schema):
    items: list[ItemOut]
    next_cursor: str | None


class ItemParams(Schema):
    queue: Annotated[Text, Field(max_length=40)] | None = None
    kind: Annotated[Text, Field(max_length=40)] | None = None
    company: QueryId | None = None
    warehouse: QueryId | None = None
    owner_role: Annotated[Text, Field(max_length=30)] | None = None
    mine: bool = Field(False, description="`true`: only the items you own.")
    severity: int | None = Field(None, ge=1, le=3)
    state: Literal["open", "closed", "all"] = "open"
    snoozed: bool = Field(False, description="`true`: include open items snoozed for now.")
    ordering: Literal[ORDERINGS] = "since"  # type: ignore[valid-type]
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


class QueueParams(Schema):
    company: QueryId | None = None


ParamValue = Annotated[Text, Field(max_length=200)] | int | None


class RunActionIn(InputSchema):
    action: Annotated[Text, Field(max_length=60)] | None = Field(
        None, description="Omitted: the item's suggested action; else an allowed alternative."
    )
    params: dict[Annotated[str, Field(max_length=60)], ParamValue] = Field(
        default_factory=dict,
        description="Overrides of the suggested parameters (e.g. `quantity`, `comment`).",
    )


class RunActionOut(Schema):
    message: str
    item: ItemOut


class AssignIn(InputSchema):
    owner: Id | None = Field(description="A user of the item's company; null: back to the role.")


class DismissIn(InputSchema):
    note: Annotated[Text, Field(min_length=1, max_length=300)]


class SnoozeIn(InputSchema):
    until: datetime.datetime | None = Field(description="Future time; null: show it again now.")
    reason: Annotated[Text, Field(max_length=200)] = Field(
        "", description="Why the item can wait (audited, shown as its last outcome)."
    )


def item_data(item: ExceptionItem) -> dict[str, Any]:
    return {
        "id": item.pk, "company": item.company_id, "warehouse": item.warehouse_id,
        "kind": item.kind, "queue": item.queue, "key": item.key, "severity": item.severity,
        "owner_role": item.owner_role, "owner": item.owner_id, "assigned": item.assigned,
        "title": item.title, "context": item.context, "document_label": item.document_label,
        "document_url": item.document_url, "action": item.action,
        "action_label": item.action_label, "action_params": item.action_params,
        "since": item.since.isoformat(), "age_days": (timezone.now() - item.since).days,
        "opened_at": item.opened_at.isoformat(), "refreshed_at": item.refreshed_at.isoformat(),
        "snoozed_until": item.snoozed_until.isoformat() if item.snoozed_until else None,
        "last_outcome": item.last_outcome,
        "closed_at": item.closed_at.isoformat() if item.closed_at else None,
        "close_reason": item.close_reason,
    }  # fmt: skip


def _visible(user: Any) -> Any:
    require_permission(user, ExceptionItem, "view")
    return selectors.visible_items(user)


def _item(user: Any, pk: int) -> ExceptionItem:
    found = _visible(user).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No exception item with id {pk}.")
    return found


@router.get(
    "/exception-queues",
    response={200: QueuePage, ERRORS: Problem},
    operation_id="list_exception_queues",
    summary="The exception queues you see, with open items by severity and the oldest's age",
    description="One entry per queue whose kinds your roles own or whose documents you may "
    "read; snoozed items are not counted.",
)
def list_queues(request: HttpRequest, params: Query[QueueParams]) -> HttpResponse:
    refuse_unknown_params(request, QueueParams.model_fields)
    rows = _visible(request.user)
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    summaries = selectors.queue_summaries(request.user, rows)
    items = [
        {
            "queue": s.queue, "label": s.label, "kinds": s.kinds, "open": s.open,
            "low": s.low, "medium": s.medium, "high": s.high,
            "oldest_since": s.oldest_since.isoformat() if s.oldest_since else None,
            "oldest_age_days": s.oldest_age_days,
        }
        for s in summaries
    ]  # fmt: skip
    return json_response({"items": items, "next_cursor": None})


@router.get(
    "/exception-items",
    response={200: ItemPage, ERRORS: Problem},
    operation_id="list_exception_items",
    summary="Exception items you see: open (default), closed or all, filtered",
    description="Oldest cause first unless `ordering` says otherwise. `mine=true`: the items "
    "you own. Snoozed items are left out unless `snoozed=true`.",
)
def list_items(request: HttpRequest, params: Query[ItemParams]) -> HttpResponse:
    refuse_unknown_params(request, ItemParams.model_fields)
    rows = _visible(request.user).select_related(None)
    if params.state == "open":
        rows = selectors.open_items(rows, snoozed=params.snoozed)
    elif params.state == "closed":
        rows = rows.filter(closed_at__isnull=False)
    filters = {
        "queue": params.queue,
        "kind": params.kind,
        "company_id": params.company,
        "warehouse_id": params.warehouse,
        "owner_role": params.owner_role,
        "severity": params.severity,
    }
    rows = rows.filter(**{k: v for k, v in filters.items() if v is not None})
    if params.mine:
        rows = rows.filter(owner_id=request.user.pk)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [item_data(x) for x in page.rows], "next_cursor": page.next_cursor}
    )


@router.get(
    "/exception-items/{int:id}",
    response={200: ItemOut, ERRORS: Problem},
    operation_id="get_exception_item",
    summary="One exception item with its context and suggested action",
)
def get_item(request: HttpRequest, id: int) -> HttpResponse:
    return json_response(item_data(_item(request.user, id)))


def _work(request: HttpRequest, id: int, service: Callable[[Actor, int], Any]) -> Any:
    """Check the right to work items and to see this one, then ``service(actor, item_id)``."""
    require_permission(request.user, ExceptionItem, "change")
    item = _item(request.user, id)
    return service(Actor.of(request.user), item.pk)


@router.post(
    "/exception-items/{int:id}/run-action",
    response={200: RunActionOut, ERRORS: Problem},
    operation_id="run_exception_item_action",
    summary="Run the item's suggested action (or an allowed alternative) as you",
    description="Needs the action's permission (e.g. creating transfers for `transfer_stock`); "
    "the module's service checks the rest. The outcome is recorded on the item, which is "
    "re-checked at once and closes if its cause is gone.",
)
@idempotent
def run_item_action(
    request: HttpRequest,
    id: int,
    payload: RunActionIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    result = _work(
        request,
        id,
        lambda actor, pk: services.run_action(actor, pk, dict(payload.params), payload.action),
    )
    return json_response({"message": result.message, "item": item_data(result.item)})


@router.post(
    "/exception-items/{int:id}/assign",
    response={200: ItemOut, ERRORS: Problem},
    operation_id="assign_exception_item",
    summary="Give the item to a person of its company (null: back to its owner role)",
)
@idempotent
def assign_item(
    request: HttpRequest,
    id: int,
    payload: AssignIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    item = _work(request, id, lambda actor, pk: services.assign_item(actor, pk, payload.owner))
    return json_response(item_data(item))


@router.post(
    "/exception-items/{int:id}/dismiss",
    response={200: ItemOut, ERRORS: Problem},
    operation_id="dismiss_exception_item",
    summary="Close the item as needing no action; it is not raised again while its cause lasts",
)
@idempotent
def dismiss_item(
    request: HttpRequest,
    id: int,
    payload: DismissIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    item = _work(request, id, lambda actor, pk: services.dismiss_item(actor, pk, payload.note))
    return json_response(item_data(item))


@router.post(
    "/exception-items/{int:id}/snooze",
    response={200: ItemOut, ERRORS: Problem},
    operation_id="snooze_exception_item",
    summary="Hide the item from its queue until a time (null: show it again now)",
)
@idempotent
def snooze_item(
    request: HttpRequest,
    id: int,
    payload: SnoozeIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    item = _work(
        request,
        id,
        lambda actor, pk: services.snooze_item(actor, pk, payload.until, payload.reason),
    )
    return json_response(item_data(item))
