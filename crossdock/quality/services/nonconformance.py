"""Returning rejected goods to the supplier, with a vendor credit note for them.

:func:`return_to_vendor` takes a nonconformance whose goods wait in quality
hold (disposition *hold* or *return*) and, in one transaction:

1. returns its quantity to the supplier through inventory's
   :func:`~crossdock.inventory.services.return_transfer` — a return of the
   original receipt move, taken from the quality-hold location, reserved at
   once and shipped by the warehouse like any outgoing transfer (valued out
   at the receipt's cost);
2. drafts a vendor credit note (a debit note) through accounting's
   :func:`~crossdock.accounting.services.invoicing.create_invoice`: one line
   for the returned quantity at the receipt move's unit cost (converted into
   the supplier's currency when it differs from the company's), referring to
   the receipt move, with the company's purchase tax when it has exactly one;
3. links both to the nonconformance and marks it *return*.

The credit note is drafted for accounts payable to review and post, so it
is written by a system actor labelled with the user: returning goods is the
warehouse's decision (``change_nonconformance`` and ``add_transfer``), while
the ledger effect waits for an AP clerk's posting, with their permissions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, NotFoundError
from crossdock.core.fields import PRICE_SCALE
from crossdock.core.permissions import require
from crossdock.inventory.services import ReturnLine, return_transfer
from crossdock.masterdata.models import Company
from crossdock.quality.events import NonconformanceChanged
from crossdock.quality.models import Disposition, Nonconformance

PRICE = Decimal(1).scaleb(-PRICE_SCALE)


def lock_nonconformance(nonconformance_id: Any) -> Nonconformance:
    found = (
        Nonconformance.objects.select_for_update(of=("self",))
        .select_related("inspection__receipt_move__product", "inspection__supplier")
        .filter(pk=nonconformance_id)
        .first()
    )
    if found is None:
        raise NotFoundError(f"No nonconformance with id {nonconformance_id}.")
    return found


def return_to_vendor(actor: Actor, nonconformance_id: Any, *, note: str = "") -> Nonconformance:
    """Send a nonconformance's goods back to the supplier and draft the credit note."""
    from crossdock.accounting.models.invoices import InvoiceKind, TaxUse
    from crossdock.accounting.services.invoice_sources import default_tax
    from crossdock.accounting.services.invoicing import (
        InvoiceInput,
        InvoiceLineInput,
        create_invoice,
    )
    from crossdock.accounting.services.rates import company_rate

    with transaction.atomic():
        nonconformance = lock_nonconformance(nonconformance_id)
        require(actor, nonconformance, "change")
        if not nonconformance.can_return:
            raise ConflictError(
                f"{nonconformance} is not waiting in quality hold "
                f"({nonconformance.get_disposition_display().lower()}"
                f"{', already returned' if nonconformance.return_transfer_id else ''}).",
                fields={"disposition": ["The goods are no longer in quality hold."]},
            )
        inspection = nonconformance.inspection
        move = inspection.receipt_move
        supplier = inspection.supplier
        if supplier is None:
            raise ConflictError(
                f"{inspection.receipt} names no supplier to return to.",
                fields={"supplier": ["The receipt names no supplier."]},
            )
        before = audit.snapshot(nonconformance)
        reason = f"{nonconformance}: {nonconformance.description}"[:100]
        returned = return_transfer(
            actor,
            inspection.receipt_id,
            [ReturnLine(move.pk, nonconformance.quantity, inspection.lot_id)],
            location_id=inspection.hold_location_id,
            reason=reason,
        )
        today = timezone.localdate()
        company = Company.objects.select_related("base_currency").get(pk=inspection.company_id)
        rate = Decimal(1)
        if supplier.currency_id != company.base_currency_id:
            rate = company_rate(company, supplier.currency, today)
        unit_cost = move.unit_cost or Decimal(0)
        tax = default_tax(company.pk, TaxUse.PURCHASE)
        system = Actor.system(f"{nonconformance} returned by {actor.label}")
        credit = create_invoice(
            system,
            InvoiceInput(
                company_id=company.pk,
                kind=InvoiceKind.VENDOR_CREDIT,
                partner_id=supplier.pk,
                date=today,
                lines=[
                    InvoiceLineInput(
                        description=f"Returned {move.product.sku} {move.product.name}"[:200],
                        quantity=nonconformance.quantity,
                        unit_price=(unit_cost / rate).quantize(PRICE),
                        product_id=move.product_id,
                        tax_id=tax.pk if tax else None,
                        stock_move_id=move.pk,
                    )
                ],
                memo=f"{nonconformance} — return {returned.reference} of {inspection.receipt}"[
                    :200
                ],
                source_transfer_id=inspection.receipt_id,
            ),
        )
        nonconformance.disposition = Disposition.RETURN
        nonconformance.return_transfer = returned
        nonconformance.credit_note = credit
        nonconformance.returned_at = timezone.now()
        nonconformance.version = F("version") + 1
        nonconformance.save()
        nonconformance.refresh_from_db()
        audit.record(
            actor,
            audit.Change(
                "quality.nonconformance.return",
                nonconformance,
                before,
                {**audit.snapshot(nonconformance), "note": note.strip()},
            ),
        )
        events.publish(
            NonconformanceChanged(
                nonconformance.pk, "returned", company_id=nonconformance.company_id
            )
        )
        return nonconformance
