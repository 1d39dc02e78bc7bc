"""Customer return endpoints: ``/api/v1/returns`` (list, create, detail) with the actions
``submit``, ``receive``, ``resolve`` and ``cancel``, and ``/api/v1/returns/returnable``
(a customer's delivered lines that can still be returned).

Thin like :mod:`crossdock.purchasing.api_sourcing`: role permission (403), rows within
the user's scope (404), one service call, the result rendered. Who may do what beyond the
model permission (the warehouse receives, AR credits) is the services' to say.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError
from crossdock.core.fields import QUANTITY_SCALE
from crossdock.masterdata.models import Partner
from crossdock.sales.models import (
    ReturnAuthorization,
    ReturnReason,
    ReturnResolution,
    ReturnState,
)
from crossdock.sales.return_selectors import return_detail, returnable_deliveries
from crossdock.sales.services import returns

router = Router(tags=["Sales returns"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

if TYPE_CHECKING:
    Quantity = Decimal
else:
    Quantity = decimal_type(QUANTITY_SCALE)

# -- schemas ---------------------------------------------------------------------------------


class ReturnLineIn(InputSchema):
    move: Id = Field(description="The done delivery move the goods left on.")
    quantity: Quantity
    order_line: Id | None = Field(None, description="Defaults to the order's line of the product.")


class ReturnIn(InputSchema):
    customer: Id
    reason: Literal[tuple(ReturnReason.values)]  # type: ignore[valid-type]
    resolution: Literal[tuple(ReturnResolution.values)]  # type: ignore[valid-type]
    lines: Annotated[list[ReturnLineIn], Field(min_length=1, max_length=returns.MAX_LINES)]
    note: Annotated[Text, Field(max_length=500)] = ""


class InspectionIn(InputSchema):
    line: Id
    received: Quantity
    restocked: Quantity = Decimal(0)
    held: Quantity = Decimal(0)
    scrapped: Quantity = Decimal(0)


class ReceiptIn(InputSchema):
    lines: Annotated[list[InspectionIn], Field(min_length=1, max_length=returns.MAX_LINES)]
    note: Annotated[Text, Field(max_length=500)] = ""


class ReasonIn(InputSchema):
    reason: Annotated[Text, Field(max_length=500)] = ""


class ReturnOut(Schema):
    id: int
    company: int
    reference: str
    customer: int
    state: str
    reason: str
    resolution: str
    note: str
    created_by: int | None
    version: int


class ReturnDetailOut(ReturnOut):
    rejection_comment: str
    authorized_at: str | None
    received_at: str | None
    closed_at: str | None
    replacement_order: int | None
    credit_notes: list[int]
    resolution_note: str
    approval_request: int | None
    transfers: list[dict[str, Any]]
    open_return_transfers: list[int]
    lines: list[dict[str, Any]]


class ReturnPage(Schema):
    items: list[ReturnOut]
    next_cursor: str | None


class ReturnableOut(Schema):
    items: list[dict[str, Any]]


class ListParams(Schema):
    state: str | None = None
    customer: QueryId | None = None
    company: QueryId | None = None
    ordering: Literal["id", "-id"] = "-id"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


class ReturnableParams(Schema):
    customer: QueryId


# -- helpers ---------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def _rma(user: Any, pk: int, action: str = "view") -> ReturnAuthorization:
    require_permission(user, ReturnAuthorization, action)
    found = ReturnAuthorization.objects.restrict(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No return authorization with id {pk}.")
    return found


def return_data(rma: ReturnAuthorization) -> dict[str, Any]:
    return {
        "id": rma.pk, "company": rma.company_id, "reference": rma.reference,
        "customer": rma.customer_id, "state": rma.state, "reason": rma.reason,
        "resolution": rma.resolution, "note": rma.note, "created_by": rma.created_by_id,
        "version": rma.version,
    }  # fmt: skip


def _response(user: Any, pk: int, status: int = 200) -> HttpResponse:
    found = _rma(user, pk)
    return json_response(return_detail(found), status, etag_version=found.version)


# -- endpoints -------------------------------------------------------------------------------


@router.get(
    "/returns",
    response={200: ReturnPage, ERRORS: Problem},
    operation_id="list_returns",
    summary="Customer return authorizations (RMAs), newest first",
)
def list_returns(request: HttpRequest, params: Query[ListParams]) -> HttpResponse:
    refuse_unknown_params(request, ListParams.model_fields)
    require_permission(request.user, ReturnAuthorization, "view")
    rows = ReturnAuthorization.objects.restrict(request.user, "view")
    if params.state is not None:
        if params.state not in ReturnState.values:
            message = f"One of {', '.join(ReturnState.values)}."
            raise DomainError(f"state: {message}", fields={"state": [message]})
        rows = rows.filter(state=params.state)
    for name in ("company", "customer"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [return_data(r) for r in page.rows], "next_cursor": page.next_cursor}
    )


@router.get(
    "/returns/returnable",
    response={200: ReturnableOut, ERRORS: Problem},
    operation_id="list_returnable_deliveries",
    summary="A customer's delivered lines that can still be returned (newest first)",
)
def list_returnable(request: HttpRequest, params: Query[ReturnableParams]) -> HttpResponse:
    refuse_unknown_params(request, ReturnableParams.model_fields)
    require_permission(request.user, ReturnAuthorization, "add")
    customer = Partner.objects.in_scope_of(request.user).filter(pk=params.customer).first()
    if customer is None:
        raise NotFoundError(
            f"No customer with id {params.customer}.", fields={"customer": ["No such customer."]}
        )
    rows = returnable_deliveries(request.user, customer)
    return json_response(
        {
            "items": [
                {
                    "move": r.move_id, "sales_order": r.order_id,
                    "sales_order_reference": r.order_reference, "order_line": r.order_line_id,
                    "delivery": r.delivery_reference, "product": r.product_id, "sku": r.sku,
                    "delivered": str(r.delivered), "returnable": str(r.returnable),
                    "unit_price": None if r.unit_price is None else str(r.unit_price),
                    "currency": r.currency,
                }
                for r in rows
            ]
        }
    )  # fmt: skip


@router.post(
    "/returns",
    response={201: ReturnDetailOut, ERRORS: Problem},
    operation_id="create_return",
    summary="Open a return authorization (a draft) for delivered lines of one customer",
    description="Every line names a done delivery move of one of the customer's orders; a "
    "quantity over what is left to return is refused (`lines[0].quantity`) and nothing is "
    "written.",
)
@idempotent
def create_return(
    request: HttpRequest,
    payload: ReturnIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, ReturnAuthorization, "add")
    rma = returns.create_return(
        _actor(request),
        returns.ReturnDraft(
            customer_id=payload.customer,
            reason=payload.reason,
            resolution=payload.resolution,
            note=payload.note,
            lines=[
                returns.ReturnLineDraft(x.move, x.quantity, x.order_line) for x in payload.lines
            ],
        ),
    )
    return _response(request.user, rma.pk, 201)


@router.get(
    "/returns/{int:id}",
    response={200: ReturnDetailOut, ERRORS: Problem},
    operation_id="get_return",
    summary="A return authorization with its lines, transfers and resolution",
)
def get_return(request: HttpRequest, id: int) -> HttpResponse:
    return _response(request.user, id)


@router.post(
    "/returns/{int:id}/submit",
    response={200: ReturnDetailOut, ERRORS: Problem},
    operation_id="submit_return",
    summary="Send a draft for approval (a sales manager unless a policy says otherwise)",
)
@idempotent
def submit_return(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _rma(request.user, id, "add")
    returns.submit_return(_actor(request), found.pk)
    return _response(request.user, found.pk)


@router.post(
    "/returns/{int:id}/receive",
    response={200: ReturnDetailOut, ERRORS: Problem},
    operation_id="receive_return",
    summary="Receive returned goods and record each line's inspection (the warehouse)",
    description="Per line: `received` and how it splits into `restocked`, `held` (quality "
    "hold) and `scrapped`, which must add up. A return transfer is received whole: its "
    "lines not named arrived with nothing and are no longer expected.",
)
@idempotent
def receive_return(
    request: HttpRequest,
    id: int,
    payload: ReceiptIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _rma(request.user, id, "change")
    returns.receive_return(
        _actor(request),
        found.pk,
        returns.ReturnReceipt(
            lines=[
                returns.LineInspection(x.line, x.received, x.restocked, x.held, x.scrapped)
                for x in payload.lines
            ],
            note=payload.note,
        ),
    )
    return _response(request.user, found.pk)


@router.post(
    "/returns/{int:id}/resolve",
    response={200: ReturnDetailOut, ERRORS: Problem},
    operation_id="resolve_return",
    summary="Close a received return with its credit note (AR) or replacement order (sales)",
)
@idempotent
def resolve_return(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _rma(request.user, id, "change")
    returns.resolve_return(_actor(request), found.pk)
    return _response(request.user, found.pk)


@router.post(
    "/returns/{int:id}/cancel",
    response={200: ReturnDetailOut, ERRORS: Problem},
    operation_id="cancel_return",
    summary="Cancel a return nothing of which was received (its transfers and request go too)",
)
@idempotent
def cancel_return(
    request: HttpRequest,
    id: int,
    payload: ReasonIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _rma(request.user, id, "add")
    returns.cancel_return(_actor(request), found.pk, payload.reason)
    return _response(request.user, found.pk)
