"""Stock flows: returns, inter-warehouse dispatches and arrivals, scrap, damage, putaway rules.

Thin like the other inventory endpoints: role permission (403), rows within
the user's scope (404), ids resolved (422 naming the field), one service call.
Returning, dispatching, scrapping and damaging create transfers
(``add_transfer``); confirming an arrival changes one (``change_transfer``).
A dispatch may go to any active warehouse of the group — that is what
inter-company transfers are — but takes stock only from a warehouse the user
may see. Putaway rules need ``inventory.*_putawayrule``.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader, IfMatchHeader
from crossdock.api.http import expected_version, json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.core.errors import DomainError, NotFoundError
from crossdock.inventory import services
from crossdock.inventory.api.common import (
    ERRORS,
    actor,
    reference_problem,
    transfer_in_scope,
)
from crossdock.inventory.api.schemas import (
    ArrivalIn,
    DispatchIn,
    PutawayRuleIn,
    PutawayRuleOut,
    PutawayRulePage,
    PutawayRuleParams,
    ReturnIn,
    ScrapIn,
    TransferDetail,
)
from crossdock.inventory.api.transfers import _api_field_names, _detail, _done_lines, _run
from crossdock.inventory.models import PutawayRule, Transfer
from crossdock.masterdata.models import Location, Warehouse

router = Router(tags=["Inventory"])


def _warehouse(user: Any, pk: int, name: str = "warehouse") -> Warehouse:
    found = Warehouse.objects.in_scope_of(user).filter(pk=pk).first()
    if found is None:
        raise reference_problem(name, f"No warehouse with id {pk}.")
    return found


def _location(user: Any, pk: int | None, name: str) -> int | None:
    if pk is not None and not Location.objects.in_scope_of(user).filter(pk=pk).exists():
        raise reference_problem(name, f"No location with id {pk}.")
    return pk


@router.post(
    "/transfers/{int:id}/return",
    response={201: TransferDetail, ERRORS: Problem},
    operation_id="return_transfer",
    summary="Return part of a done receipt (to the supplier) or delivery (from the customer)",
    description="Creates the return transfer (confirmed; a receipt's return is reserved). "
    "At most what was done minus what was already returned, per move and lot.",
)
@idempotent
def return_transfer(
    request: HttpRequest,
    id: int,
    payload: ReturnIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Transfer, "add")
    original = transfer_in_scope(request.user, id)
    returned = services.return_transfer(
        actor(request),
        original.pk,
        [services.ReturnLine(line.move, line.quantity, line.lot) for line in payload.lines],
        location_id=_location(request.user, payload.location, "location"),
        reason=payload.reason,
    )
    return _detail(request.user, returned.pk, 201)


@router.post(
    "/dispatches",
    response={201: TransferDetail, ERRORS: Problem},
    operation_id="dispatch_to_warehouse",
    summary="Send stock to another warehouse (of this or another company) through transit",
    description="Creates the dispatch, reserved; validating it creates the arrival at the "
    "receiving warehouse for the quantities sent, scheduled for expected_on.",
)
@idempotent
def dispatch_to_warehouse(
    request: HttpRequest,
    payload: DispatchIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Transfer, "add")
    sender = _warehouse(request.user, payload.from_warehouse, "from_warehouse")
    receiver = Warehouse.objects.filter(pk=payload.to_warehouse, active=True).first()
    if receiver is None:
        raise reference_problem("to_warehouse", f"No warehouse with id {payload.to_warehouse}.")
    dispatch = services.dispatch_to_warehouse(
        actor(request),
        services.DispatchDraft(
            from_warehouse_id=sender.pk,
            to_warehouse_id=receiver.pk,
            lines=[
                services.DispatchLine(line.product, line.quantity, line.lot, line.transfer_price)
                for line in payload.lines
            ],
            expected_on=payload.expected_on,
            source_id=_location(request.user, payload.source, "source"),
            destination_id=payload.destination,
            origin=payload.origin,
        ),
    )
    return _detail(request.user, dispatch.pk, 201)


def _arrive(request: HttpRequest, transfer: Transfer, payload: ArrivalIn | None) -> None:
    payload = payload or ArrivalIn(lines=None, location=None)
    done = _done_lines(payload)
    location = _location(request.user, payload.location, "location")
    try:
        services.confirm_arrival(actor(request), transfer.pk, done, location_id=location)
    except DomainError as error:
        raise _api_field_names(error, done, transfer) from error


@router.post(
    "/transfers/{int:id}/arrive",
    response={200: TransferDetail, ERRORS: Problem},
    operation_id="confirm_arrival",
    summary="Confirm the arrival of goods sent by another warehouse",
    description="All of it, or the lines received; the rest stays in transit on a backorder.",
)
@idempotent
def confirm_arrival(
    request: HttpRequest,
    id: int,
    payload: ArrivalIn | None = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    return _run(request, id, _arrive, payload)


def _scrap_draft(request: HttpRequest, payload: ScrapIn) -> services.ScrapDraft:
    require_permission(request.user, Transfer, "add")
    warehouse = _warehouse(request.user, payload.warehouse)
    location = _location(request.user, payload.location, "location")
    assert location is not None
    return services.ScrapDraft(
        warehouse.pk,
        [
            services.ScrapLine(line.product, location, line.quantity, line.lot)
            for line in payload.lines
        ],
        payload.reason,
    )


@router.post(
    "/scraps",
    response={201: TransferDetail, ERRORS: Problem},
    operation_id="scrap_stock",
    summary="Scrap stock (written off; above a policy's value it waits for approval)",
)
@idempotent
def scrap_stock(
    request: HttpRequest,
    payload: ScrapIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    transfer = services.scrap_stock(actor(request), _scrap_draft(request, payload))
    return _detail(request.user, transfer.pk, 201)


@router.post(
    "/damages",
    response={201: TransferDetail, ERRORS: Problem},
    operation_id="damage_stock",
    summary="Move stock into the warehouse's damaged location (never available there)",
)
@idempotent
def damage_stock(
    request: HttpRequest,
    payload: ScrapIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    transfer = services.damage_stock(actor(request), _scrap_draft(request, payload))
    return _detail(request.user, transfer.pk, 201)


# -- putaway rules ----------------------------------------------------------------------------


def _rule_row(rule: PutawayRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "warehouse": rule.warehouse_id,
        "location": rule.location_id,
        "location_path": rule.location.path,
        "product": rule.product_id,
        "category": rule.category_id,
        "sequence": rule.sequence,
        "version": rule.version,
    }


def _rules(user: Any, action: str = "view") -> Any:
    require_permission(user, PutawayRule, action)
    return PutawayRule.objects.restrict(user, action).select_related("location")


def _rule(user: Any, pk: int, action: str = "view") -> PutawayRule:
    found = _rules(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No putaway rule with id {pk}.")
    return found


def _rule_draft(user: Any, payload: PutawayRuleIn) -> services.PutawayRuleDraft:
    warehouse = _warehouse(user, payload.warehouse)
    location = _location(user, payload.location, "location")
    assert location is not None
    return services.PutawayRuleDraft(
        warehouse.pk, location, payload.product, payload.category, payload.sequence
    )


@router.get(
    "/putaway-rules",
    response={200: PutawayRulePage, ERRORS: Problem},
    operation_id="list_putaway_rules",
    summary="List putaway rules (by warehouse, then sequence)",
)
def list_putaway_rules(request: HttpRequest, params: Query[PutawayRuleParams]) -> HttpResponse:
    refuse_unknown_params(request, PutawayRuleParams.model_fields)
    rules = _rules(request.user)
    if params.warehouse:
        rules = rules.filter(warehouse_id=params.warehouse)
    page = paginate(rules, "sequence", params.cursor, params.limit)
    return json_response(
        {"items": [_rule_row(r) for r in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/putaway-rules",
    response={201: PutawayRuleOut, ERRORS: Problem},
    operation_id="create_putaway_rule",
    summary="Create a putaway rule (a product or a category → a location of the warehouse)",
)
@idempotent
def create_putaway_rule(
    request: HttpRequest,
    payload: PutawayRuleIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, PutawayRule, "add")
    rule = services.save_putaway_rule(actor(request), _rule_draft(request.user, payload))
    found = _rule(request.user, rule.pk)
    return json_response(_rule_row(found), 201, etag_version=found.version)


@router.get(
    "/putaway-rules/{int:id}",
    response={200: PutawayRuleOut, ERRORS: Problem},
    operation_id="get_putaway_rule",
    summary="Get a putaway rule",
)
def get_putaway_rule(request: HttpRequest, id: int) -> HttpResponse:
    rule = _rule(request.user, id)
    return json_response(_rule_row(rule), etag_version=rule.version)


@router.put(
    "/putaway-rules/{int:id}",
    response={200: PutawayRuleOut, ERRORS: Problem},
    operation_id="update_putaway_rule",
    summary="Replace a putaway rule",
)
def update_putaway_rule(
    request: HttpRequest,
    id: int,
    payload: PutawayRuleIn,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    rule = _rule(request.user, id, "change")
    services.save_putaway_rule(
        actor(request),
        _rule_draft(request.user, payload),
        rule.pk,
        expected_version=expected_version(if_match),
    )
    found = _rule(request.user, rule.pk)
    return json_response(_rule_row(found), etag_version=found.version)


@router.delete(
    "/putaway-rules/{int:id}",
    response={204: None, ERRORS: Problem},
    operation_id="delete_putaway_rule",
    summary="Delete a putaway rule",
)
def delete_putaway_rule(
    request: HttpRequest,
    id: int,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    rule = _rule(request.user, id, "delete")
    services.delete_putaway_rule(
        actor(request), rule.pk, expected_version=expected_version(if_match)
    )
    return HttpResponse(status=204)
