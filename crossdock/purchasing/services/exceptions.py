"""Chasing suppliers: unconfirmed orders, late receipts and short deliveries.

Design overview
---------------
:func:`refresh_exceptions` (the worker runs it; ``crossdock purchasing-exceptions``
enqueues it) compares what is open in the exception queue with what the
orders say today, set-based:

* *unconfirmed* — an order sent (or approved) more than the company's
  ``confirmation_reminder_days`` ago that the supplier has not confirmed;
* *late* — an order line due (confirmed date, else expected date) before today
  with nothing received;
* *short* — a line due before today that was received in part.

New items are opened with the order's buyer as owner, a severity from the
days overdue and a suggested action — where another warehouse of the company
has the missing quantity available, a transfer from it; otherwise a reminder
to the supplier. Items whose cause is gone (confirmed, received, cancelled,
closed) are closed. Each opening and closing publishes
``purchasing.exception.opened`` / ``.closed``; buyers get one e-mail listing
their new items.

:func:`resend_order` sends the order of an open *unconfirmed* item to its
supplier again (the worker e-mails it with its PDF).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from crossdock.core import events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError
from crossdock.inventory.models import Quant
from crossdock.masterdata.models.organisation import SELLABLE_KINDS
from crossdock.purchasing.events import PurchaseExceptionChanged
from crossdock.purchasing.models import (
    ExceptionKind,
    OrderState,
    PurchaseException,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasingSettings,
)

logger = logging.getLogger(__name__)
ZERO = Decimal(0)
Key = tuple[str, int, int | None]


@dataclass
class _Wanted:
    kind: str
    order: PurchaseOrder
    line: PurchaseOrderLine | None
    days: int
    missing: Decimal | None = None


@dataclass(frozen=True)
class RefreshResult:
    opened: int
    closed: int
    still_open: int


def _severity(days: int) -> int:
    return 3 if days >= 7 else 2 if days >= 3 else 1


def _unconfirmed(today: datetime.date) -> list[_Wanted]:
    reminder_days = dict(
        PurchasingSettings.objects.values_list("company_id", "confirmation_reminder_days")
    )
    wanted = []
    for order in PurchaseOrder.objects.filter(
        state__in=[OrderState.APPROVED, OrderState.SENT]
    ).select_related("supplier", "warehouse", "buyer"):
        since = order.sent_at or order.approved_at
        if since is None:
            continue
        days = (today - timezone.localtime(since).date()).days
        if days > reminder_days.get(order.company_id, 3):
            wanted.append(_Wanted(ExceptionKind.UNCONFIRMED, order, None, days))
    return wanted


def _overdue(today: datetime.date) -> list[_Wanted]:
    wanted = []
    lines = PurchaseOrderLine.objects.filter(
        order__state__in=[
            OrderState.APPROVED,
            OrderState.SENT,
            OrderState.CONFIRMED,
            OrderState.PARTIALLY_RECEIVED,
        ],
        received_quantity__lt=F("quantity"),
    ).select_related("order__supplier", "order__warehouse", "order__buyer", "product")
    for line in lines:
        due = line.confirmed_date or line.expected_date
        if due >= today:
            continue
        promised = line.confirmed_quantity if line.confirmed_quantity is not None else line.quantity
        missing = promised - line.received_quantity
        if missing <= 0:
            continue
        kind = ExceptionKind.SHORT if line.received_quantity > 0 else ExceptionKind.LATE
        wanted.append(_Wanted(kind, line.order, line, (today - due).days, missing))
    return wanted


def _available_elsewhere(wanted: list[_Wanted]) -> dict[tuple[int, int], list[tuple[str, Decimal]]]:
    """(company, product) → [(warehouse name, available)] over the company's warehouses."""
    products = {w.line.product_id for w in wanted if w.line is not None}
    companies = {w.order.company_id for w in wanted}
    if not products:
        return {}
    rows = (
        Quant.objects.filter(
            product_id__in=products,
            location__company_id__in=companies,
            location__kind__in=list(SELLABLE_KINDS),
            location__warehouse__isnull=False,
        )
        .order_by()
        .values(
            "product_id",
            "location__company_id",
            "location__warehouse_id",
            "location__warehouse__name",
        )
        .annotate(on_hand=Sum("quantity"), reserved=Sum("reserved"))
    )
    found: dict[tuple[int, int], list[tuple[str, Decimal]]] = defaultdict(list)
    for row in rows:
        free = row["on_hand"] - row["reserved"]
        if free > 0:
            found[(row["location__company_id"], row["product_id"])].append(
                (f"{row['location__warehouse_id']}:{row['location__warehouse__name']}", free)
            )
    return found


def _describe(
    item: _Wanted, stock: dict[tuple[int, int], list[tuple[str, Decimal]]]
) -> tuple[str, str]:
    order, supplier = item.order, item.order.supplier
    if item.kind == ExceptionKind.UNCONFIRMED:
        return (
            f"{order.reference} to {supplier.code} is not confirmed {item.days} days after "
            "it was sent.",
            f"Remind {supplier.name} ({supplier.email or 'no e-mail on file'}) to confirm "
            f"{order.reference}, or re-send it.",
        )
    assert item.line is not None
    assert item.missing is not None
    sku = item.line.product.sku
    missing = f"{item.missing.normalize():f}"
    what = "nothing received" if item.kind == ExceptionKind.LATE else "received in part"
    message = f"{order.reference}: {missing} of {sku} {item.days} days overdue ({what})."
    for place, free in sorted(
        stock.get((order.company_id, item.line.product_id), []), key=lambda p: -p[1]
    ):
        warehouse_id, name = place.split(":", 1)
        if int(warehouse_id) != order.warehouse_id and free >= item.missing:
            return message, (
                f"Transfer {missing} of {sku} from {name} ({free.normalize():f} available) "
                f"to {order.warehouse.name}, and ask {supplier.name} for a new date."
            )
    return message, f"Ask {supplier.name} for a new delivery date for {missing} of {sku}."


def refresh_exceptions(today: datetime.date | None = None) -> RefreshResult:
    """Open, update and close purchasing exceptions to match the orders (one transaction)."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        wanted_items = _unconfirmed(today) + _overdue(today)
        wanted: dict[Key, _Wanted] = {
            (w.kind, w.order.pk, w.line.pk if w.line else None): w for w in wanted_items
        }
        open_items = {
            (item.kind, item.order_id, item.line_id): item
            for item in PurchaseException.objects.select_for_update(of=("self",)).filter(
                closed_at__isnull=True
            )
        }
        stock = _available_elsewhere([w for k, w in wanted.items() if k not in open_items])
        created = []
        for key, item in wanted.items():
            if key in open_items:
                continue
            message, action = _describe(item, stock)
            created.append(
                PurchaseException(
                    company_id=item.order.company_id,
                    kind=item.kind,
                    order=item.order,
                    line=item.line,
                    owner=item.order.buyer,
                    severity=_severity(item.days),
                    days=item.days,
                    missing_quantity=item.missing,
                    message=message[:300],
                    suggested_action=action[:300],
                    opened_at=now,
                )
            )
        PurchaseException.objects.bulk_create(created)
        closing = [row for key, row in open_items.items() if key not in wanted]
        for row in closing:
            row.closed_at = now
        PurchaseException.objects.bulk_update(closing, ["closed_at", "updated_at"])
        kept = [row for key, row in open_items.items() if key in wanted]
        for row in kept:
            row.days = wanted[(row.kind, row.order_id, row.line_id)].days
            row.severity = _severity(row.days)
        PurchaseException.objects.bulk_update(kept, ["days", "severity"])
        changes = [(row, "opened") for row in created] + [(row, "closed") for row in closing]
        for row, change in changes:
            events.publish(
                PurchaseExceptionChanged(row.pk, row.kind, change, company_id=row.company_id)
            )
        _notify_owners(created)
        return RefreshResult(len(created), len(closing), len(kept) + len(created))


def _notify_owners(created: list[PurchaseException]) -> None:
    by_owner: dict[Any, list[PurchaseException]] = defaultdict(list)
    for item in created:
        if item.owner is not None and item.owner.email:
            by_owner[item.owner.email].append(item)
    for address, items in by_owner.items():
        subject = f"{len(items)} purchase order(s) to chase"
        body = "\n".join(f"- {i.message}\n  → {i.suggested_action}" for i in items)

        def send(address: str = address, subject: str = subject, body: str = body) -> None:
            try:
                send_mail(subject, body, None, [address])
            except OSError:
                logger.warning("could not e-mail %s about purchase exceptions", address)

        transaction.on_commit(send)


def resend_order(actor: Actor, exception_id: int) -> PurchaseOrder:
    """Send the order of an open *unconfirmed* item again; refused for any other item.

    The order is marked sent again (audited, ``sent_at`` now) and e-mailed by the worker,
    so its wait for a confirmation starts over and the next refresh closes the item.
    """
    from crossdock.purchasing.services.orders import send_purchase_order

    item = (
        PurchaseException.objects.select_related("order__supplier").filter(pk=exception_id).first()
    )
    if item is None:
        raise NotFoundError(f"No purchase exception with id {exception_id}.")
    if not item.is_open:
        raise ConflictError("The item is closed; the order needs no re-sending.")
    if item.kind != ExceptionKind.UNCONFIRMED:
        raise ConflictError(
            f"Only an unconfirmed order is re-sent; this item is {item.get_kind_display()}."
        )
    supplier = item.order.supplier
    if not supplier.email:
        message = f"{supplier.code} has no e-mail address; add one or send the order another way."
        raise DomainError(f"supplier: {message}", fields={"supplier": [message]})
    return send_purchase_order(actor, item.order_id)
