"""The landed-cost endpoints: list, detail (with the split per receipt), draft, post, cancel."""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from crossdock.accounting import reports
from crossdock.accounting.models import LandedCost, SplitMethod
from crossdock.accounting.services.landed import (
    LandedCostInput,
    cancel_landed_cost,
    create_landed_cost,
    post_landed_cost,
)
from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError
from crossdock.core.fields import MONEY_SCALE

router = Router(tags=["Landed costs"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

if TYPE_CHECKING:
    Money = Decimal
    Method = str
else:
    Money = decimal_type(MONEY_SCALE)
    Method = Literal[tuple(SplitMethod.values)]


class LandedCostIn(InputSchema):
    company: Id
    date: datetime.date
    description: Annotated[Text, Field(max_length=200)]
    amount: Money = Field(description="In the company's currency.")
    split_method: Method = SplitMethod.BY_VALUE
    moves: Annotated[list[Id], Field(max_length=1000)] = Field(
        default_factory=list, description="Done receipt moves the cost belongs to."
    )
    transfers: Annotated[list[Annotated[Text, Field(max_length=40)]], Field(max_length=200)] = (
        Field(default_factory=list, description="Receipt transfer references: all their moves.")
    )
    vendor_bill: Id | None = None


class LandedCostLineOut(Schema):
    move: int
    transfer: str
    product: int
    product_sku: str
    allocated: str
    on_hand: str
    sold: str


class LandedCostOut(Schema):
    id: int
    company: int
    number: str
    state: str
    date: datetime.date
    description: str
    amount: str
    split_method: str
    vendor_bill: int | None
    entry: int | None
    posted_at: datetime.datetime | None
    version: int
    moves: list[int]
    lines: list[LandedCostLineOut]


class LandedCostPage(Schema):
    items: list[LandedCostOut]
    next_cursor: str | None


class LandedCostParams(Schema):
    company: QueryId | None = None
    state: Literal["draft", "posted", "cancelled"] | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


def _landed_costs(user: Any, action: str = "view") -> Any:
    require_permission(user, LandedCost, action)
    return LandedCost.objects.restrict(user, action).prefetch_related(
        "targets", "lines__move__transfer", "lines__product"
    )


def _landed_cost(user: Any, pk: int, action: str = "view") -> LandedCost:
    found = _landed_costs(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No landed cost with id {pk}.")
    return found


def landed_cost_detail(landed: LandedCost) -> dict[str, Any]:
    """The JSON picture of a landed cost with its receipts and the split per receipt."""
    return {
        "id": landed.pk,
        "company": landed.company_id,
        "number": landed.number,
        "state": landed.state,
        "date": landed.date.isoformat(),
        "description": landed.description,
        "amount": str(landed.amount),
        "split_method": landed.split_method,
        "vendor_bill": landed.vendor_bill_id,
        "entry": landed.entry_id,
        "posted_at": landed.posted_at.isoformat() if landed.posted_at else None,
        "version": landed.version,
        "moves": sorted(t.move_id for t in landed.targets.all()),
        "lines": [
            {
                "move": line.move_id,
                "transfer": line.move.transfer.reference if line.move.transfer else "",
                "product": line.product_id,
                "product_sku": line.product.sku,
                "allocated": str(line.allocated),
                "on_hand": str(line.on_hand),
                "sold": str(line.sold),
            }
            for line in sorted(landed.lines.all(), key=lambda x: x.move_id)
        ],
    }


def _detail(user: Any, pk: int, status: int = 200) -> HttpResponse:
    landed = _landed_cost(user, pk)
    return json_response(landed_cost_detail(landed), status, etag_version=landed.version)


@router.get(
    "/landed-costs",
    response={200: LandedCostPage, ERRORS: Problem},
    operation_id="list_landed_costs",
    summary="Landed costs, newest first",
)
def list_landed_costs(request: HttpRequest, params: Query[LandedCostParams]) -> HttpResponse:
    refuse_unknown_params(request, LandedCostParams.model_fields)
    found = _landed_costs(request.user)
    if params.company is not None:
        found = found.filter(company_id=params.company)
    if params.state is not None:
        found = found.filter(state=params.state)
    page = paginate(found, "-id", params.cursor, params.limit)
    return json_response(
        {"items": [landed_cost_detail(x) for x in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/landed-costs",
    response={201: LandedCostOut, ERRORS: Problem},
    operation_id="create_landed_cost",
    summary="Write a draft landed cost over receipt moves or receipt transfers",
    description="Refused with 422 naming the field (a move that is not a done receipt of the "
    "company, an amount of zero…); nothing is written then.",
)
@idempotent
def create(
    request: HttpRequest,
    payload: LandedCostIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, LandedCost, "add")
    company = reports.company_in_scope(request.user, payload.company)
    landed = create_landed_cost(
        Actor.of(request.user),
        LandedCostInput(
            company_id=company.pk,
            date=payload.date,
            description=payload.description,
            amount=payload.amount,
            split_method=payload.split_method,
            move_ids=payload.moves,
            transfer_references=payload.transfers,
            vendor_bill_id=payload.vendor_bill,
        ),
    )
    return _detail(request.user, landed.pk, 201)


@router.get(
    "/landed-costs/{int:id}",
    response={200: LandedCostOut, ERRORS: Problem},
    operation_id="get_landed_cost",
    summary="A landed cost with its split per receipt: allocated, on hand, sold",
)
def get_landed_cost(request: HttpRequest, id: int) -> HttpResponse:
    return _detail(request.user, id)


@router.post(
    "/landed-costs/{int:id}/post",
    response={200: LandedCostOut, ERRORS: Problem},
    operation_id="post_landed_cost",
    summary="Post a draft: the share on hand to stock, the share sold to cost of goods sold",
    description="409 when the date is locked or the landed cost is not a draft.",
)
@idempotent
def post(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    landed = _landed_cost(request.user, id, "change")
    post_landed_cost(Actor.of(request.user), landed.pk)
    return _detail(request.user, landed.pk)


@router.post(
    "/landed-costs/{int:id}/cancel",
    response={200: LandedCostOut, ERRORS: Problem},
    operation_id="cancel_landed_cost",
    summary="Cancel a draft landed cost",
)
@idempotent
def cancel(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    landed = _landed_cost(request.user, id, "change")
    cancel_landed_cost(Actor.of(request.user), landed.pk)
    return _detail(request.user, landed.pk)
