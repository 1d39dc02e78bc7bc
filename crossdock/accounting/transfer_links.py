"""What the accounting side adds to a transfer's page (through
:mod:`crossdock.inventory.extensions`): a done delivery's invoice or a done receipt's bill,
or a button that drafts it."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from crossdock.accounting.models import CREDIT_KINDS, Invoice, InvoiceState
from crossdock.core.permissions import has_model_permission
from crossdock.inventory.extensions import TransferAction
from crossdock.inventory.models import MoveState, TransferKind

SOURCES = {TransferKind.DELIVERY: "delivery", TransferKind.RECEIPT: "receipt"}


def transfer_invoice_actions(user: Any, transfer: Any) -> list[TransferAction]:
    """On a done delivery or receipt: its invoice or bill, or a button to draft one."""
    source = SOURCES.get(transfer.kind)
    if source is None or transfer.state != MoveState.DONE:
        return []
    if not has_model_permission(user, Invoice, "view"):
        return []
    done = (
        Invoice.objects.restrict(user)
        .filter(source_transfer=transfer)
        .exclude(state=InvoiceState.CANCELLED)
        .exclude(kind__in=CREDIT_KINDS)
        .order_by("pk")
    )
    actions = [
        TransferAction(f"Open {invoice}", reverse("accounting:invoice_detail", args=[invoice.pk]))
        for invoice in done
    ]
    if not actions and has_model_permission(user, Invoice, "add"):
        label = "Invoice this delivery" if source == "delivery" else "Bill this receipt"
        url = reverse(
            "accounting:invoice_from_transfer",
            kwargs={"source": source, "transfer_id": transfer.pk},
        )
        actions.append(TransferAction(label, url, method="post"))
    return actions
