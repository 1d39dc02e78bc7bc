"""Price-list endpoints: price lists with their items and a price lookup, and price-list
changes (propose, submit for approval, read)."""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
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
from crossdock.core.fields import PRICE_SCALE, QUANTITY_SCALE
from crossdock.masterdata import pricing
from crossdock.masterdata.models import (
    Company,
    Currency,
    PriceList,
    PriceListChange,
    Product,
)
from crossdock.masterdata.selectors import price_for

router = Router(tags=["Price lists"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

if TYPE_CHECKING:
    Price = Decimal
    Quantity = Decimal
else:
    Price = decimal_type(PRICE_SCALE)
    Quantity = decimal_type(QUANTITY_SCALE)


class PriceListIn(InputSchema):
    company: Id
    code: Annotated[Text, Field(max_length=20)]
    name: Annotated[Text, Field(max_length=200)]
    currency: Id | None = Field(None, description="Defaults to the company's base currency.")
    customer_tier: Literal["", "strategic", "key", "standard", "occasional"] = ""
    channel: Annotated[Text, Field(max_length=40)] = ""
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    active: bool = True


class PriceLineIn(InputSchema):
    product: Id
    new_price: Price | None = Field(..., description="The new unit price; null removes it.")
    min_quantity: Quantity = Field(Decimal(1), description="The quantity break (default 1).")
    valid_from: datetime.date | None = Field(
        None, description="Which item to change, or when a new one starts (default: today's)."
    )
    valid_to: datetime.date | None = None


class PriceChangeIn(InputSchema):
    price_list: Id
    lines: Annotated[list[PriceLineIn], Field(min_length=1, max_length=pricing.MAX_LINES)]
    note: Annotated[Text, Field(max_length=200)] = ""


class ItemOut(Schema):
    id: int
    product: int
    sku: str
    min_quantity: str
    unit_price: str
    valid_from: datetime.date
    valid_to: datetime.date | None


class PriceListOut(Schema):
    id: int
    company: int
    code: str
    name: str
    currency: str
    customer_tier: str
    channel: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    active: bool
    version: int


class PriceListDetailOut(PriceListOut):
    items: list[ItemOut]


class PriceListPage(Schema):
    items: list[PriceListOut]
    next_cursor: str | None


class QuoteOut(Schema):
    price_list: int
    product: int
    quantity: str
    date: datetime.date
    unit_price: str | None
    min_quantity: str | None
    item: int | None


class ChangeLineOut(Schema):
    action: str
    product: int
    sku: str
    min_quantity: str
    valid_from: datetime.date
    valid_to: datetime.date | None
    old_price: str | None
    new_price: str | None


class PriceChangeOut(Schema):
    id: int
    price_list: int
    reference: str
    state: str
    note: str
    rejection_comment: str
    approval_request: int | None
    version: int
    lines: list[ChangeLineOut]


class ListParams(Schema):
    company: QueryId | None = None
    active: bool | None = None
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=1000)


class QuoteParams(Schema):
    product: QueryId
    quantity: Quantity = Decimal(1)
    date: datetime.date | None = None


# -- helpers ---------------------------------------------------------------------------------


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def list_data(price_list: PriceList) -> dict[str, Any]:
    return {
        "id": price_list.pk, "company": price_list.company_id, "code": price_list.code,
        "name": price_list.name, "currency": price_list.currency.code,
        "customer_tier": price_list.customer_tier, "channel": price_list.channel,
        "valid_from": price_list.valid_from.isoformat() if price_list.valid_from else None,
        "valid_to": price_list.valid_to.isoformat() if price_list.valid_to else None,
        "active": price_list.active, "version": price_list.version,
    }  # fmt: skip


def detail_data(price_list: PriceList) -> dict[str, Any]:
    items = price_list.items.select_related("product").order_by(
        "product__sku", "min_quantity", "valid_from"
    )
    return {
        **list_data(price_list),
        "items": [
            {
                "id": i.pk, "product": i.product_id, "sku": i.product.sku,
                "min_quantity": str(i.min_quantity), "unit_price": str(i.unit_price),
                "valid_from": i.valid_from.isoformat(),
                "valid_to": i.valid_to.isoformat() if i.valid_to else None,
            }
            for i in items
        ],
    }  # fmt: skip


def change_data(change: PriceListChange) -> dict[str, Any]:
    from crossdock.approvals.services import request_for

    request = request_for(pricing.PRICE_LIST_CHANGE, change.pk)
    lines = change.lines.select_related("product").order_by("pk")
    return {
        "id": change.pk, "price_list": change.price_list_id, "reference": change.reference,
        "state": change.state, "note": change.note,
        "rejection_comment": change.rejection_comment,
        "approval_request": request.pk if request else None, "version": change.version,
        "lines": [
            {
                "action": line.action, "product": line.product_id, "sku": line.product.sku,
                "min_quantity": str(line.min_quantity), "valid_from": line.valid_from.isoformat(),
                "valid_to": line.valid_to.isoformat() if line.valid_to else None,
                "old_price": _text(line.old_price), "new_price": _text(line.new_price),
            }
            for line in lines
        ],
    }  # fmt: skip


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def _price_list(user: Any, pk: int, action: str = "view") -> PriceList:
    require_permission(user, PriceList, action)
    found = PriceList.objects.restrict(user, action).select_related("currency").filter(pk=pk)
    price_list = found.first()
    if price_list is None:
        raise NotFoundError(f"No price list with id {pk}.")
    return price_list


def _change(user: Any, pk: int, action: str = "view") -> PriceListChange:
    require_permission(user, PriceListChange, action)
    found = PriceListChange.objects.restrict(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No price change with id {pk}.")
    return found


# -- price lists -----------------------------------------------------------------------------


@router.get(
    "/price-lists",
    response={200: PriceListPage, ERRORS: Problem},
    operation_id="list_price_lists",
    summary="Price lists, by company and code",
)
def list_price_lists(request: HttpRequest, params: Query[ListParams]) -> HttpResponse:
    refuse_unknown_params(request, ListParams.model_fields)
    require_permission(request.user, PriceList, "view")
    rows = PriceList.objects.restrict(request.user, "view").select_related("currency")
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    if params.active is not None:
        rows = rows.filter(active=params.active)
    page = paginate(rows, "id", params.cursor, params.limit)
    return json_response(
        {"items": [list_data(p) for p in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/price-lists",
    response={201: PriceListOut, ERRORS: Problem},
    operation_id="create_price_list",
    summary="Create an empty price list; its items come through price-list changes",
)
@idempotent
def create_price_list(
    request: HttpRequest,
    payload: PriceListIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, PriceList, "add")
    company = Company.objects.in_scope_of(request.user).filter(pk=payload.company).first()
    if company is None:
        raise NotFoundError(
            f"No company with id {payload.company}.", fields={"company": ["No such company."]}
        )
    currency_id = payload.currency or company.base_currency_id
    currency = Currency.objects.filter(pk=currency_id).first()
    if currency is None:
        raise DomainError("currency: No such currency.", fields={"currency": ["No such currency."]})
    data = payload.model_dump(exclude={"company", "currency"})
    price_list = pricing.create_price_list(
        _actor(request), {**data, "company": company, "currency": currency}
    )
    return json_response(list_data(price_list), 201, etag_version=price_list.version)


@router.get(
    "/price-lists/{int:id}",
    response={200: PriceListDetailOut, ERRORS: Problem},
    operation_id="get_price_list",
    summary="A price list with every item",
)
def get_price_list(request: HttpRequest, id: int) -> HttpResponse:
    price_list = _price_list(request.user, id)
    return json_response(detail_data(price_list), etag_version=price_list.version)


@router.get(
    "/price-lists/{int:id}/price",
    response={200: QuoteOut, ERRORS: Problem},
    operation_id="look_up_price",
    summary="The unit price of a product at a quantity on a date (the best quantity break)",
    description="`unit_price` is null when the list has no price for the product then.",
)
def look_up_price(request: HttpRequest, id: int, params: Query[QuoteParams]) -> HttpResponse:
    refuse_unknown_params(request, QuoteParams.model_fields)
    price_list = _price_list(request.user, id)
    if not Product.objects.filter(pk=params.product).exists():
        raise NotFoundError(
            f"No product with id {params.product}.", fields={"product": ["No such product."]}
        )
    on_date = params.date or timezone.localdate()
    quote = price_for(params.product, price_list, params.quantity, on_date)
    return json_response(
        {
            "price_list": price_list.pk, "product": params.product,
            "quantity": str(params.quantity), "date": on_date.isoformat(),
            "unit_price": _text(quote.unit_price) if quote else None,
            "min_quantity": _text(quote.min_quantity) if quote else None,
            "item": quote.item_id if quote else None,
        }
    )  # fmt: skip


# -- price-list changes ----------------------------------------------------------------------


@router.post(
    "/price-list-changes",
    response={201: PriceChangeOut, ERRORS: Problem},
    operation_id="propose_price_changes",
    summary="Propose new prices, new items and removals as a draft change",
    description="Each line names a product, its quantity break and the new price (null "
    "removes the price). Nothing on the list changes until the change is submitted and "
    "approved. A bad line is refused naming it (`lines[2].new_price`); nothing is written.",
)
@idempotent
def propose(
    request: HttpRequest,
    payload: PriceChangeIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, PriceListChange, "add")
    price_list = PriceList.objects.in_scope_of(request.user).filter(pk=payload.price_list).first()
    if price_list is None:
        raise NotFoundError(
            f"No price list with id {payload.price_list}.",
            fields={"price_list": ["No such price list."]},
        )
    lines = [
        pricing.PriceLine(
            product_id=line.product, new_price=line.new_price, min_quantity=line.min_quantity,
            valid_from=line.valid_from, valid_to=line.valid_to,
        )
        for line in payload.lines
    ]  # fmt: skip
    change = pricing.propose_price_changes(_actor(request), price_list.pk, lines, payload.note)
    return json_response(change_data(change), 201, etag_version=change.version)


@router.get(
    "/price-list-changes/{int:id}",
    response={200: PriceChangeOut, ERRORS: Problem},
    operation_id="get_price_change",
    summary="A price-list change with its lines and its approval request",
)
def get_change(request: HttpRequest, id: int) -> HttpResponse:
    change = _change(request.user, id)
    return json_response(change_data(change), etag_version=change.version)


@router.post(
    "/price-list-changes/{int:id}/submit",
    response={200: PriceChangeOut, ERRORS: Problem},
    operation_id="submit_price_change",
    summary="Submit a draft change for approval (applied at once when no policy applies)",
    description="`state` becomes `applied` when no approval policy of the company matches, "
    "else `submitted` until the approvers decide; a change that is not a draft is a 409.",
)
@idempotent
def submit(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    change = _change(request.user, id, "change")
    pricing.submit_price_change(_actor(request), change.pk)
    change = _change(request.user, id)
    return json_response(change_data(change), etag_version=change.version)
