"""Service case endpoints: ``/api/v1/service-cases`` (list, open, detail, change) with the
actions ``assign``, ``respond``, ``status``, ``resolve``, ``close`` and ``reopen``.

Thin like :mod:`crossdock.sales.api_returns`: role permission (403), rows within the
user's scope (404), one service call, the case rendered with its ETag. Every action takes
``If-Match`` (or ``version``) so an agent never acts on a case someone else just moved.
"""

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader, IfMatchHeader
from crossdock.api.http import expected_version, json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError
from crossdock.service.models import CaseCategory, CasePriority, CaseStatus, ServiceCase
from crossdock.service.selectors import CaseFilters, case_data, filter_cases
from crossdock.service.services import cases, status

router = Router(tags=["Service"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})
Note = Annotated[Text, Field(max_length=cases.DESCRIPTION_LENGTH)]

# -- schemas ---------------------------------------------------------------------------------


class CaseIn(InputSchema):
    customer: Id
    subject: Annotated[Text, Field(min_length=1, max_length=cases.SUBJECT_LENGTH)]
    category: Literal[tuple(CaseCategory.values)]  # type: ignore[valid-type]
    priority: Literal[tuple(CasePriority.values)] = "normal"  # type: ignore[valid-type]
    description: Note = ""
    sales_order: Id | None = None
    product: Id | None = None
    return_authorization: Id | None = None


class CasePatch(InputSchema):
    subject: Annotated[Text, Field(min_length=1, max_length=cases.SUBJECT_LENGTH)] | None = None
    category: Literal[tuple(CaseCategory.values)] | None = None  # type: ignore[valid-type]
    priority: Literal[tuple(CasePriority.values)] | None = None  # type: ignore[valid-type]
    description: Note | None = None
    sales_order: Id | None = None
    product: Id | None = None
    return_authorization: Id | None = None
    version: int | None = None


class AssignIn(InputSchema):
    owner: Id | None = Field(None, description="The user who works the case; null unassigns.")
    version: int | None = None


class NoteIn(InputSchema):
    note: Note = ""
    version: int | None = None


class StatusIn(NoteIn):
    status: Literal["in_progress", "waiting"]


class CaseOut(Schema):
    id: int
    number: str
    company: int
    customer: int
    sales_order: int | None
    product: int | None
    return_authorization: int | None
    subject: str
    description: str
    category: str
    priority: str
    status: str
    owner: int | None
    opened_by: int | None
    opened_at: str
    first_response_at: str | None
    resolved_at: str | None
    closed_at: str | None
    first_response_due: str | None
    resolve_due: str | None
    escalation_level: int
    escalated_at: str | None
    resolution: str
    version: int


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class ListParams(Schema):
    status: str | None = None
    priority: str | None = None
    category: str | None = None
    owner: QueryId | None = None
    customer: QueryId | None = None
    company: QueryId | None = None
    overdue: bool | None = Field(None, description="Open cases past a due time not met.")
    ordering: Literal["id", "-id", "opened_at", "-opened_at"] = "-id"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


# -- helpers ---------------------------------------------------------------------------------


def visible(user: Any, model: type[Any], pk: int, action: str = "view") -> Any:
    """The row the user may ``action``: 403 without the role, 404 outside their companies."""
    require_permission(user, model, action)
    found = model.objects.restrict(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No {model._meta.verbose_name} with id {pk}.")
    return found


def rendered(
    user: Any, model: type[Any], pk: int, data: Any, status_code: int = 200
) -> HttpResponse:
    """The row as the user sees it now, with its ETag."""
    found = visible(user, model, pk)
    return json_response(data(found), status_code, etag_version=found.version)


def _case(user: Any, pk: int, action: str = "view") -> ServiceCase:
    found: ServiceCase = visible(user, ServiceCase, pk, action)
    return found


def _response(user: Any, pk: int, status_code: int = 200) -> HttpResponse:
    return rendered(user, ServiceCase, pk, case_data, status_code)


def _draft(case: ServiceCase | None, data: dict[str, Any]) -> cases.CaseDraft:
    def value(name: str, attribute: str | None = None) -> Any:
        if name in data:
            return data[name]
        return getattr(case, attribute or name) if case is not None else None

    return cases.CaseDraft(
        customer_id=value("customer", "customer_id"),
        subject=value("subject") or "",
        category=value("category") or "",
        priority=value("priority") or CasePriority.NORMAL,
        description=value("description") or "",
        sales_order_id=value("sales_order", "sales_order_id"),
        product_id=value("product", "product_id"),
        return_authorization_id=value("return_authorization", "return_authorization_id"),
    )


# -- endpoints -------------------------------------------------------------------------------


@router.get(
    "/service-cases",
    response={200: CasePage, ERRORS: Problem},
    operation_id="list_service_cases",
    summary="Service cases, newest first; filter by status, priority, owner, overdue …",
)
def list_cases(request: HttpRequest, params: Query[ListParams]) -> HttpResponse:
    refuse_unknown_params(request, ListParams.model_fields)
    require_permission(request.user, ServiceCase, "view")
    filters = CaseFilters(**params.model_dump(exclude={"ordering", "cursor", "limit"}))
    rows = filter_cases(ServiceCase.objects.restrict(request.user), filters, timezone.now())
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [case_data(c) for c in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/service-cases",
    response={201: CaseOut, ERRORS: Problem},
    operation_id="open_service_case",
    summary="Open a case for a customer (due times from the company's SLA policy)",
    description="The sales order and return authorization must be the customer's; a "
    "refusal names the field and nothing is written.",
)
@idempotent
def open_case(
    request: HttpRequest,
    payload: CaseIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, ServiceCase, "add")
    case = cases.open_case(Actor.of(request.user), _draft(None, payload.model_dump()))
    return _response(request.user, case.pk, 201)


@router.get(
    "/service-cases/{int:id}",
    response={200: CaseOut, ERRORS: Problem},
    operation_id="get_service_case",
    summary="A service case with its SLA clock",
)
def get_case(request: HttpRequest, id: int) -> HttpResponse:
    return _response(request.user, id)


@router.patch(
    "/service-cases/{int:id}",
    response={200: CaseOut, ERRORS: Problem},
    operation_id="update_service_case",
    summary="Change what a case is about (a new priority moves its due times)",
    description="Only the fields sent change; the customer never does. Send If-Match or "
    "version to refuse lost updates.",
)
def update_case(
    request: HttpRequest,
    id: int,
    payload: CasePatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    found = _case(request.user, id, "change")
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(if_match, data.pop("version", None))
    cases.update_case(Actor.of(request.user), found.pk, _draft(found, data), version=version)
    return _response(request.user, found.pk)


def _action_route(path: str, name: str, summary: str, schema: type[Schema], call: Any) -> None:
    """``POST /service-cases/{id}/<path>``: ``call(actor, case id, payload, version)``."""

    def act(
        request: HttpRequest,
        id: int,
        payload: Schema,
        if_match: IfMatchHeader = None,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> HttpResponse:
        found = _case(request.user, id, "change")
        version = expected_version(if_match, getattr(payload, "version", None))
        call(Actor.of(request.user), found.pk, payload, version)
        return _response(request.user, found.pk)

    act.__annotations__["payload"] = schema
    router.post(
        f"/service-cases/{{int:id}}/{path}",
        response={200: CaseOut, ERRORS: Problem},
        operation_id=name,
        summary=summary,
    )(idempotent(act))


def _moved_to(target: str) -> Any:
    return lambda actor, pk, body, v: status.change_status(actor, pk, target, body.note, version=v)


_action_route(
    "assign",
    "assign_service_case",
    "Give the case an owner (or none)",
    AssignIn,
    lambda actor, pk, body, v: cases.assign_case(actor, pk, body.owner, version=v),
)
_action_route(
    "respond",
    "respond_to_service_case",
    "Record an answer to the customer",
    NoteIn,
    lambda actor, pk, body, v: cases.record_response(actor, pk, body.note, version=v),
)
_action_route(
    "status",
    "move_service_case",
    "Put the case in progress or waiting on the customer",
    StatusIn,
    lambda actor, pk, body, v: status.change_status(actor, pk, body.status, body.note, version=v),
)
_action_route(
    "resolve",
    "resolve_service_case",
    "Resolve the case (the note says what was done)",
    NoteIn,
    _moved_to(CaseStatus.RESOLVED),
)
_action_route(
    "close", "close_service_case", "Close a resolved case", NoteIn, _moved_to(CaseStatus.CLOSED)
)
_action_route("reopen", "reopen_service_case", "Open a resolved or closed case again", NoteIn,
              _moved_to(CaseStatus.OPEN))  # fmt: skip
