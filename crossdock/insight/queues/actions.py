"""The actions a person runs from an item: each calls the owning module's service.

Each action gets the acting person, the (locked, open) item and the parameters — the
item's suggested ``action_params`` overlaid with what the person changed — and returns
what it did, in words. Permissions are checked by :func:`run_action` before it runs
(the registered permission) and again by the module's service (scope, approver, state).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.insight.models import ExceptionItem
from crossdock.insight.queues.registry import action


def _number(params: dict[str, Any], name: str) -> int:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DomainError(f"{name}: required.", fields={name: ["Required."]})
    try:
        return int(value)
    except ValueError as error:
        raise DomainError(f"{name}: not an id.", fields={name: ["Not an id."]}) from error


def _quantity(params: dict[str, Any]) -> Decimal:
    raw = params.get("quantity")
    try:
        value = Decimal(str(raw)) if isinstance(raw, str | int) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0:
        message = "a positive decimal quantity as text"
        raise DomainError(f"quantity: {message}.", fields={"quantity": [message]})
    return value


def _day(params: dict[str, Any], name: str) -> datetime.date | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError as error:
        raise DomainError(f"{name}: not a date.", fields={name: ["YYYY-MM-DD"]}) from error


@action("transfer_stock", label="Transfer stock", permission="inventory.add_transfer")
def transfer_stock(actor: Actor, item: ExceptionItem, params: dict[str, Any]) -> str:
    """Dispatch the quantity from the other warehouse (confirmed and reserved)."""
    from crossdock.inventory.services import DispatchDraft, DispatchLine, dispatch_to_warehouse

    quantity = _quantity(params)
    dispatch = dispatch_to_warehouse(
        actor,
        DispatchDraft(
            from_warehouse_id=_number(params, "from_warehouse"),
            to_warehouse_id=_number(params, "to_warehouse"),
            lines=[DispatchLine(_number(params, "product"), quantity)],
            expected_on=_day(params, "expected_on"),
            origin=item.document_label[:100],
        ),
    )
    return f"Dispatch {dispatch.reference} created for {quantity.normalize():f}."


@action("resend_order", label="Re-send the order", permission="purchasing.change_purchaseorder")
def resend_order(actor: Actor, item: ExceptionItem, params: dict[str, Any]) -> str:
    """Send the unconfirmed order to its supplier again (purchasing's service)."""
    from crossdock.purchasing.services.exceptions import resend_order as resend

    order = resend(actor, _number(params, "purchase_exception"))
    return f"{order.reference} sent again to {order.supplier.email}."


@action(
    "remind_approvers",
    label="Remind the approvers",
    permission="approvals.view_approvalrequest",
)
def remind_approvers(actor: Actor, item: ExceptionItem, params: dict[str, Any]) -> str:
    """Remind whoever must decide the pending request (inbox and e-mail)."""
    from crossdock.approvals.services import remind_approvers as remind

    reminded = remind(actor, _number(params, "request"))
    return f"Reminded {len(reminded)} approver(s)."


@action("release_credit_hold", label="Release the order", permission="sales.view_salesorder")
def release_credit_hold(actor: Actor, item: ExceptionItem, params: dict[str, Any]) -> str:
    """Approve the order's credit release as its credit controller: it goes to the warehouse."""
    from crossdock.approvals.services import decide

    comment = str(params.get("comment") or "Released from the credit-hold queue.")[:500]
    decide(actor, _number(params, "request"), approve=True, comment=comment)
    return f"{item.document_label} released to the warehouse."


@action(
    "keep_credit_hold",
    label="Refuse the release (back to quotation)",
    permission="sales.view_salesorder",
)
def keep_credit_hold(actor: Actor, item: ExceptionItem, params: dict[str, Any]) -> str:
    """Refuse the order's credit release as its credit controller: back to a quotation."""
    from crossdock.approvals.services import decide

    comment = str(params.get("comment") or "").strip()
    if not comment:
        message = "say why the order stays held"
        raise DomainError(f"comment: {message}.", fields={"comment": [message]})
    decide(actor, _number(params, "request"), approve=False, comment=comment[:500])
    return f"{item.document_label} refused: back to a quotation."
