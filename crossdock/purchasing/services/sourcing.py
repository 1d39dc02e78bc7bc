"""Sourcing: requisitions, requests for quotation, supplier quotes and the award.

Design overview
---------------
A requisition (:func:`create_requisition`) is checked whole before anything is
written and keeps an *estimated amount* in company currency: each line at the
price break of its preferred valid catalogue offer (converted at today's
rate), or at the product's standard cost when no offer or rate is known.
:func:`submit_requisition` hands it to the approvals engine (document type
``purchase-requisition``; facts: amount, category of the largest line,
warehouse). An approved requisition is either converted straight into
purchase orders (:func:`convert_requisition` — each line goes to the
supplier of its preferred valid offer, one order per supplier and currency,
lines of the same product merged, prices from the catalogue) or sent out for
quotation (:func:`requisition_to_rfq`).

An RFQ (:func:`create_rfq`) names its suppliers and lines; :func:`send_rfq`
marks it sent and the worker e-mails each supplier. :func:`record_quotes`
stores the suppliers' answers (a new quote of a supplier for a line replaces
its old one) after checking every field: a negative price, a supplier not on
the RFQ or a currency without a rate today is refused naming the field
(``quotes[0].unit_price``) and nothing is written. :func:`award_rfq` takes
one winning quote per line and writes one purchase order per supplier and
currency at the quoted prices (through
:func:`~crossdock.purchasing.services.orders.create_purchase_order`, so the
order is checked like any other), then closes the RFQ.

Every service runs in one transaction, locks the document first, checks the
actor's permission on it (rows outside the actor's scope are not found),
records an audit entry and publishes a ``purchasing.requisition.*`` or
``purchasing.rfq.*`` event.
"""

from __future__ import annotations

import contextlib
import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError, refuse_if
from crossdock.core.fields import PERCENT_SCALE, PRICE_SCALE, QUANTITY_SCALE
from crossdock.core.inputs import exact
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company, Currency, Partner, Product, Warehouse
from crossdock.purchasing.events import RequisitionChanged, RfqChanged
from crossdock.purchasing.models import (
    PurchaseOrder,
    PurchaseRequisition,
    PurchaseRequisitionLine,
    RequestForQuotation,
    RequisitionState,
    RfqLine,
    RfqState,
    SupplierProduct,
    SupplierQuote,
)
from crossdock.purchasing.services.catalogue import catalogue_price
from crossdock.purchasing.services.orders import (
    OrderDraft,
    OrderLineDraft,
    create_purchase_order,
)

PURCHASE_REQUISITION = "purchase-requisition"
MAX_LINES = 500
MAX_SUPPLIERS = 50
ZERO = Decimal(0)


@dataclass(frozen=True)
class RequisitionLineDraft:
    product_id: int
    quantity: Decimal
    note: str = ""


@dataclass(frozen=True)
class RequisitionDraft:
    """A requisition as the requester gives it."""

    warehouse_id: int
    needed_by: datetime.date
    lines: Sequence[RequisitionLineDraft]
    note: str = ""


@dataclass(frozen=True)
class RfqLineDraft:
    product_id: int
    quantity: Decimal
    needed_by: datetime.date | None = None


@dataclass(frozen=True)
class RfqDraft:
    """An RFQ as the buyer gives it: which suppliers, which products, by when."""

    warehouse_id: int
    supplier_ids: Sequence[int]
    lines: Sequence[RfqLineDraft]
    needed_by: datetime.date | None = None
    note: str = ""


@dataclass(frozen=True)
class QuoteDraft:
    """One supplier's answer for one RFQ line; ``currency_id`` ``None`` is the supplier's."""

    line_id: int
    supplier_id: int
    unit_price: Decimal
    lead_time_days: int
    currency_id: int | None = None
    minimum_quantity: Decimal = ZERO
    valid_until: datetime.date | None = None
    estimated_landed_cost_percent: Decimal = ZERO
    note: str = ""


# -- locking, visibility, history -------------------------------------------------------------


def _visible[M: Model](actor: Actor, model: type[M], pk: Any, action: str, label: str) -> M:
    """Lock the row and check the actor may ``action`` it (rows out of scope are not found)."""
    manager: Any = model._default_manager
    if actor.user is not None and not manager.restrict(actor.user).filter(pk=pk).exists():
        raise NotFoundError(f"No {label} with id {pk}.")
    found = manager.select_for_update(of=("self",)).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No {label} with id {pk}.")
    require(actor, found, action)
    return found


def _requisition(actor: Actor, pk: Any, action: str = "change") -> PurchaseRequisition:
    return _visible(actor, PurchaseRequisition, pk, action, "requisition")


def _rfq(actor: Actor, pk: Any, action: str = "change") -> RequestForQuotation:
    return _visible(actor, RequestForQuotation, pk, action, "request for quotation")


def _in_state(document: PurchaseRequisition | RequestForQuotation, *states: str) -> None:
    if document.state not in states:
        choices = dict(type(document)._meta.get_field("state").flatchoices)
        wanted = " or ".join(str(choices[s]).lower() for s in states)
        raise ConflictError(
            f"{document.reference} is {document.get_state_display().lower()}; it must be {wanted}.",
            fields={"state": [f"Must be {wanted}."]},
        )


def requisition_picture(requisition: PurchaseRequisition) -> dict[str, Any]:
    return {
        **audit.snapshot(requisition),
        "lines": [
            {
                "product": line.product_id,
                "quantity": str(line.quantity),
                "note": line.note,
                "purchase_order": line.purchase_order_id,
            }
            for line in requisition.lines.order_by("sequence", "pk")
        ],
    }


def rfq_picture(rfq: RequestForQuotation) -> dict[str, Any]:
    return {
        **audit.snapshot(rfq),
        "lines": [
            {
                "id": line.pk,
                "product": line.product_id,
                "quantity": str(line.quantity),
                "needed_by": line.needed_by.isoformat(),
                "awarded_quote": line.awarded_quote_id,
                "purchase_order": line.purchase_order_id,
            }
            for line in rfq.lines.order_by("sequence", "pk")
        ],
    }


def _requisition_changed(
    actor: Actor, requisition: PurchaseRequisition, change: str, before: Any
) -> None:
    after = requisition_picture(requisition)
    action = f"purchasing.requisition.{change}"
    audit.record(actor, audit.Change(action, requisition, before, after))
    events.publish(RequisitionChanged(requisition.pk, change, company_id=requisition.company_id))


def _rfq_changed(actor: Actor, rfq: RequestForQuotation, change: str, before: Any) -> None:
    audit.record(actor, audit.Change(f"purchasing.rfq.{change}", rfq, before, rfq_picture(rfq)))
    events.publish(RfqChanged(rfq.pk, change, company_id=rfq.company_id))


def _reference(model: type[PurchaseRequisition | RequestForQuotation], company: Company) -> str:
    prefix = f"{'REQ' if model is PurchaseRequisition else 'RFQ'}/{company.code}/"
    manager: Any = model._default_manager
    count = manager.filter(company=company).count() + 1
    while manager.filter(reference=f"{prefix}{count:06d}").exists():
        count += 1
    return f"{prefix}{count:06d}"


# -- the catalogue: preferred offers and estimates --------------------------------------------


def preferred_offers(
    company_id: int, product_ids: Sequence[int], on: datetime.date
) -> dict[int, SupplierProduct]:
    """Per product: the valid, active offer of an active supplier with the best preference."""
    from django.db.models import Q

    found = (
        SupplierProduct.objects.filter(
            company_id=company_id,
            product_id__in=set(product_ids),
            active=True,
            supplier__active=True,
            supplier__is_supplier=True,
        )
        .exclude(supplier__approval_status="rejected")
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("supplier", "currency")
        .prefetch_related("breaks")
        .order_by("product_id", "preference", "id")
    )
    best: dict[int, SupplierProduct] = {}
    for offer in found:
        best.setdefault(offer.product_id, offer)
    return best


def line_estimates(
    company: Company, lines: Sequence[PurchaseRequisitionLine], on: datetime.date
) -> list[Decimal]:
    """Each line's value in company currency: preferred catalogue price, else standard cost."""
    from crossdock.accounting.services.rates import MissingRateError, company_rate

    offers = preferred_offers(company.pk, [line.product_id for line in lines], on)
    values = []
    for line in lines:
        unit = line.product.standard_cost
        offer = offers.get(line.product_id)
        price = catalogue_price(offer.breaks.all(), line.quantity) if offer else None
        if offer is not None and price is not None:
            with contextlib.suppress(MissingRateError):
                unit = price * company_rate(company, offer.currency, on)
        values.append(line.quantity * unit)
    return values


# -- requisitions -----------------------------------------------------------------------------


@dataclass
class _CheckedRequisition:
    warehouse: Warehouse
    lines: list[PurchaseRequisitionLine]
    estimate: Decimal


def _check_requisition(draft: RequisitionDraft) -> _CheckedRequisition:
    problems: dict[str, list[str]] = {}
    warehouse = (
        Warehouse.objects.select_related("company__base_currency")
        .filter(pk=draft.warehouse_id)
        .first()
    )
    if warehouse is None:
        problems["warehouse"] = ["Unknown warehouse."]
    today = timezone.localdate()
    if not isinstance(draft.needed_by, datetime.date):
        problems["needed_by"] = ["Give a date."]
    elif draft.needed_by < today:
        problems["needed_by"] = ["Cannot be in the past."]
    if len(draft.note) > 200:
        problems["note"] = ["At most 200 characters."]
    if not draft.lines:
        problems["lines"] = ["Request at least one product."]
    elif len(draft.lines) > MAX_LINES:
        problems["lines"] = [f"At most {MAX_LINES} lines on one requisition."]
    products = Product.objects.in_bulk({line.product_id for line in draft.lines})
    lines = []
    for index, given in enumerate(draft.lines):
        where = f"lines[{index}]"
        product = products.get(given.product_id)
        if product is None:
            problems[f"{where}.product"] = ["Unknown product."]
        elif product.status == "obsolete":
            problems[f"{where}.product"] = [f"{product.sku} is obsolete; it cannot be bought."]
        quantity = exact(
            given.quantity, QUANTITY_SCALE, f"{where}.quantity", problems, positive=True
        )
        if len(given.note) > 200:
            problems[f"{where}.note"] = ["At most 200 characters."]
        if product is not None and quantity is not None:
            lines.append(
                PurchaseRequisitionLine(
                    sequence=(index + 1) * 10, product=product, quantity=quantity, note=given.note
                )
            )
    refuse_if(problems)
    assert warehouse is not None
    company = warehouse.company
    estimate = company.base_currency.round(sum(line_estimates(company, lines, today), ZERO))
    return _CheckedRequisition(warehouse, lines, estimate)


def create_requisition(actor: Actor, draft: RequisitionDraft) -> PurchaseRequisition:
    """Write a draft requisition requested by the actor."""
    checked = _check_requisition(draft)
    with transaction.atomic():
        requisition = PurchaseRequisition(
            company=checked.warehouse.company,
            reference=_reference(PurchaseRequisition, checked.warehouse.company),
            warehouse=checked.warehouse,
            requested_by=actor.user,
            needed_by=draft.needed_by,
            estimated_amount=checked.estimate,
            note=draft.note,
        )
        require(actor, requisition, "add")
        requisition.save()
        for line in checked.lines:
            line.requisition = requisition
        PurchaseRequisitionLine.objects.bulk_create(checked.lines)
        _requisition_changed(actor, requisition, "create", None)
        return requisition


def update_requisition(
    actor: Actor,
    requisition_id: Any,
    draft: RequisitionDraft,
    *,
    expected_version: int | None = None,
) -> PurchaseRequisition:
    """Replace a draft requisition's header and lines (its company cannot change)."""
    checked = _check_requisition(draft)
    with transaction.atomic():
        requisition = _requisition(actor, requisition_id)
        _in_state(requisition, RequisitionState.DRAFT)
        if expected_version is not None and requisition.version != expected_version:
            from crossdock.core.errors import StaleVersionError

            raise StaleVersionError(
                "This requisition was changed by someone else; reload and try again."
            )
        if checked.warehouse.company_id != requisition.company_id:
            message = "The warehouse must belong to the requisition's company."
            raise DomainError(f"warehouse: {message}", fields={"warehouse": [message]})
        before = requisition_picture(requisition)
        requisition.warehouse = checked.warehouse
        requisition.needed_by = draft.needed_by
        requisition.note = draft.note
        requisition.estimated_amount = checked.estimate
        requisition.version += 1
        require(actor, requisition, "change")
        requisition.save()
        requisition.lines.all().delete()
        for line in checked.lines:
            line.requisition = requisition
        PurchaseRequisitionLine.objects.bulk_create(checked.lines)
        _requisition_changed(actor, requisition, "update", before)
        return requisition


def submit_requisition(actor: Actor, requisition_id: Any) -> PurchaseRequisition:
    """Send a draft through the approval policies; approved at once when none applies."""
    from crossdock.approvals.services import submit

    with transaction.atomic():
        requisition = _requisition(actor, requisition_id)
        _in_state(requisition, RequisitionState.DRAFT)
        before = requisition_picture(requisition)
        requisition.state = RequisitionState.SUBMITTED
        requisition.submitted_at = timezone.now()
        requisition.rejection_comment = ""
        requisition.save(update_fields=["state", "submitted_at", "rejection_comment", "updated_at"])
        _requisition_changed(actor, requisition, "submit", before)
        submit(actor, requisition)
        requisition.refresh_from_db()
        return requisition


def _lock_requisition(pk: Any) -> PurchaseRequisition:
    return PurchaseRequisition.objects.select_for_update(of=("self",)).get(pk=pk)


def requisition_approved(actor: Actor, requisition: PurchaseRequisition) -> None:
    """The approvals engine approved the requisition (or no policy applied)."""
    requisition = _lock_requisition(requisition.pk)
    if requisition.state != RequisitionState.SUBMITTED:
        return
    before = requisition_picture(requisition)
    requisition.state = RequisitionState.APPROVED
    requisition.approved_at = timezone.now()
    requisition.save(update_fields=["state", "approved_at", "updated_at"])
    _requisition_changed(actor, requisition, "approve", before)


def requisition_rejected(actor: Actor, requisition: PurchaseRequisition, comment: str) -> None:
    """A rejection returns the requisition to draft with the approver's reason."""
    requisition = _lock_requisition(requisition.pk)
    before = requisition_picture(requisition)
    requisition.state = RequisitionState.DRAFT
    requisition.rejection_comment = comment
    requisition.save(update_fields=["state", "rejection_comment", "updated_at"])
    _requisition_changed(actor, requisition, "reject", before)


def cancel_requisition(actor: Actor, requisition_id: Any, reason: str = "") -> PurchaseRequisition:
    """Cancel a requisition not yet ordered or out for quotation (pending approval withdrawn)."""
    from crossdock.approvals.services import withdraw

    with transaction.atomic():
        requisition = _requisition(actor, requisition_id)
        _in_state(
            requisition,
            RequisitionState.DRAFT,
            RequisitionState.SUBMITTED,
            RequisitionState.APPROVED,
        )
        before = requisition_picture(requisition)
        if requisition.state == RequisitionState.SUBMITTED:
            withdraw(actor, PURCHASE_REQUISITION, str(requisition.pk))
        requisition.state = RequisitionState.CANCELLED
        if reason:
            requisition.note = reason[:200]
        requisition.save(update_fields=["state", "note", "updated_at"])
        _requisition_changed(actor, requisition, "cancel", before)
        return requisition


def _merged(items: Sequence[tuple[int, Decimal, Decimal | None, datetime.date]]) -> list[Any]:
    """Merge (product, quantity, price, date) items of one product and price into one line."""
    merged: dict[tuple[int, Decimal | None], list[Any]] = {}
    for product_id, quantity, price, date in items:
        key = (product_id, price)
        if key in merged:
            merged[key][1] += quantity
            merged[key][3] = max(merged[key][3], date)
        else:
            merged[key] = [product_id, quantity, price, date]
    return [
        OrderLineDraft(product_id, quantity, price, expected_date=date)
        for product_id, quantity, price, date in merged.values()
    ]


def convert_requisition(actor: Actor, requisition_id: Any) -> list[PurchaseOrder]:
    """Write one purchase order per preferred supplier (and currency) for an approved
    requisition, lines of one product merged, at catalogue prices; the requisition is ordered."""
    today = timezone.localdate()
    with transaction.atomic():
        requisition = _requisition(actor, requisition_id)
        _in_state(requisition, RequisitionState.APPROVED)
        lines = list(requisition.lines.select_related("product").order_by("sequence", "pk"))
        offers = preferred_offers(requisition.company_id, [x.product_id for x in lines], today)
        problems: dict[str, list[str]] = {}
        groups: dict[tuple[int, int], list[PurchaseRequisitionLine]] = defaultdict(list)
        for index, line in enumerate(lines):
            offer = offers.get(line.product_id)
            if offer is None:
                problems[f"lines[{index}].product"] = [
                    f"No valid catalogue offer for {line.product.sku}; send it for quotation."
                ]
                continue
            groups[(offer.supplier_id, offer.currency_id)].append(line)
        refuse_if(problems)
        before = requisition_picture(requisition)
        created = []
        for (supplier_id, currency_id), group in groups.items():
            expected = max(
                requisition.needed_by, today + datetime.timedelta(offers_lead(offers, group))
            )
            draft = OrderDraft(
                supplier_id=supplier_id,
                warehouse_id=requisition.warehouse_id,
                currency_id=currency_id,
                expected_date=expected,
                lines=_merged([(x.product_id, x.quantity, None, expected) for x in group]),
                note=f"From requisition {requisition.reference}",
            )
            order = create_purchase_order(actor, draft)
            PurchaseRequisitionLine.objects.filter(pk__in=[x.pk for x in group]).update(
                purchase_order=order
            )
            created.append(order)
        requisition.state = RequisitionState.ORDERED
        requisition.save(update_fields=["state", "updated_at"])
        _requisition_changed(actor, requisition, "order", before)
        return created


def offers_lead(offers: Mapping[int, SupplierProduct], lines: Sequence[Any]) -> int:
    """The longest catalogue lead time, in days, of the lines' offers."""
    return max((offers[x.product_id].lead_time_days for x in lines), default=0)


def requisition_to_rfq(
    actor: Actor, requisition_id: Any, supplier_ids: Sequence[int], note: str = ""
) -> RequestForQuotation:
    """Send an approved requisition out for quotation: a draft RFQ with its lines."""
    with transaction.atomic():
        requisition = _requisition(actor, requisition_id)
        _in_state(requisition, RequisitionState.APPROVED)
        lines = requisition.lines.order_by("sequence", "pk")
        draft = RfqDraft(
            warehouse_id=requisition.warehouse_id,
            supplier_ids=supplier_ids,
            needed_by=requisition.needed_by,
            lines=[RfqLineDraft(x.product_id, x.quantity, requisition.needed_by) for x in lines],
            note=note or f"From requisition {requisition.reference}",
        )
        rfq = _create_rfq(actor, draft, requisition)
        before = requisition_picture(requisition)
        requisition.state = RequisitionState.RFQ
        requisition.save(update_fields=["state", "updated_at"])
        _requisition_changed(actor, requisition, "rfq", before)
        return rfq


# -- requests for quotation -------------------------------------------------------------------


def _check_suppliers(
    company: Company | None, supplier_ids: Sequence[int], problems: dict[str, list[str]]
) -> list[Partner]:
    wanted = list(dict.fromkeys(supplier_ids))
    if not wanted:
        problems["suppliers"] = ["Ask at least one supplier."]
        return []
    if len(wanted) > MAX_SUPPLIERS:
        problems["suppliers"] = [f"At most {MAX_SUPPLIERS} suppliers on one RFQ."]
        return []
    found = Partner.objects.in_bulk(wanted)
    suppliers = []
    for index, pk in enumerate(wanted):
        supplier = found.get(pk)
        where = f"suppliers[{index}]"
        if supplier is None:
            problems[where] = ["Unknown supplier."]
        elif not supplier.is_supplier:
            problems[where] = [f"{supplier.code} is not a supplier."]
        elif not supplier.active or supplier.approval_status == "rejected":
            problems[where] = [f"{supplier.code} cannot be asked (inactive or rejected)."]
        elif company is not None and supplier.company_id not in (None, company.pk):
            problems[where] = [f"{supplier.code} belongs to another company."]
        else:
            suppliers.append(supplier)
    return suppliers


def _check_rfq(draft: RfqDraft) -> tuple[Warehouse, list[Partner], list[RfqLine], datetime.date]:
    problems: dict[str, list[str]] = {}
    warehouse = Warehouse.objects.select_related("company").filter(pk=draft.warehouse_id).first()
    if warehouse is None:
        problems["warehouse"] = ["Unknown warehouse."]
    suppliers = _check_suppliers(
        warehouse.company if warehouse else None, draft.supplier_ids, problems
    )
    today = timezone.localdate()
    needed_by = draft.needed_by or today
    if needed_by < today:
        problems["needed_by"] = ["Cannot be in the past."]
    if len(draft.note) > 200:
        problems["note"] = ["At most 200 characters."]
    if not draft.lines:
        problems["lines"] = ["Ask for at least one product."]
    elif len(draft.lines) > MAX_LINES:
        problems["lines"] = [f"At most {MAX_LINES} lines on one RFQ."]
    products = Product.objects.in_bulk({line.product_id for line in draft.lines})
    lines = []
    for index, given in enumerate(draft.lines):
        where = f"lines[{index}]"
        product = products.get(given.product_id)
        if product is None:
            problems[f"{where}.product"] = ["Unknown product."]
        quantity = exact(
            given.quantity, QUANTITY_SCALE, f"{where}.quantity", problems, positive=True
        )
        line_date = given.needed_by or needed_by
        if line_date < today:
            problems[f"{where}.needed_by"] = ["Cannot be in the past."]
        if product is not None and quantity is not None:
            lines.append(
                RfqLine(
                    sequence=(index + 1) * 10,
                    product=product,
                    quantity=quantity,
                    needed_by=line_date,
                )
            )
    refuse_if(problems)
    assert warehouse is not None
    return warehouse, suppliers, lines, needed_by


def _create_rfq(
    actor: Actor, draft: RfqDraft, requisition: PurchaseRequisition | None
) -> RequestForQuotation:
    warehouse, suppliers, lines, needed_by = _check_rfq(draft)
    rfq = RequestForQuotation(
        company=warehouse.company,
        reference=_reference(RequestForQuotation, warehouse.company),
        warehouse=warehouse,
        requisition=requisition,
        needed_by=needed_by,
        buyer=actor.user,
        note=draft.note,
    )
    require(actor, rfq, "add")
    rfq.save()
    rfq.suppliers.set(suppliers)
    for line in lines:
        line.rfq = rfq
    RfqLine.objects.bulk_create(lines)
    _rfq_changed(actor, rfq, "create", None)
    return rfq


def create_rfq(actor: Actor, draft: RfqDraft) -> RequestForQuotation:
    """Write a draft RFQ to the given suppliers."""
    with transaction.atomic():
        return _create_rfq(actor, draft, None)


def send_rfq(actor: Actor, rfq_id: Any) -> RequestForQuotation:
    """Mark the RFQ sent; the worker e-mails it to each supplier with an address."""
    from crossdock.purchasing.tasks import email_request_for_quotation

    with transaction.atomic():
        rfq = _rfq(actor, rfq_id)
        _in_state(rfq, RfqState.DRAFT, RfqState.SENT)
        before = rfq_picture(rfq)
        rfq.state = RfqState.SENT
        rfq.sent_at = timezone.now()
        rfq.save(update_fields=["state", "sent_at", "updated_at"])
        _rfq_changed(actor, rfq, "send", before)
        pk = rfq.pk
        transaction.on_commit(lambda: email_request_for_quotation.enqueue(pk))
        return rfq


def cancel_rfq(actor: Actor, rfq_id: Any, reason: str = "") -> RequestForQuotation:
    """Cancel an RFQ not yet awarded; a requisition it came from is approved again."""
    with transaction.atomic():
        rfq = _rfq(actor, rfq_id)
        _in_state(rfq, RfqState.DRAFT, RfqState.SENT)
        before = rfq_picture(rfq)
        rfq.state = RfqState.CANCELLED
        if reason:
            rfq.note = reason[:200]
        rfq.save(update_fields=["state", "note", "updated_at"])
        _rfq_changed(actor, rfq, "cancel", before)
        if rfq.requisition_id is not None:
            requisition = _lock_requisition(rfq.requisition_id)
            if requisition.state == RequisitionState.RFQ:
                was = requisition_picture(requisition)
                requisition.state = RequisitionState.APPROVED
                requisition.save(update_fields=["state", "updated_at"])
                _requisition_changed(actor, requisition, "reopen", was)
        return rfq


def _check_quote(
    rfq: RequestForQuotation,
    given: QuoteDraft,
    where: str,
    context: dict[str, Any],
    problems: dict[str, list[str]],
) -> SupplierQuote | None:
    from crossdock.accounting.services.rates import MissingRateError, company_rate

    line = context["lines"].get(given.line_id)
    if line is None:
        problems[f"{where}.line"] = ["Not a line of this RFQ."]
    supplier = context["suppliers"].get(given.supplier_id)
    if supplier is None:
        problems[f"{where}.supplier"] = ["This supplier was not asked on this RFQ."]
    price = exact(given.unit_price, PRICE_SCALE, f"{where}.unit_price", problems)
    moq = exact(given.minimum_quantity, QUANTITY_SCALE, f"{where}.minimum_quantity", problems)
    landed = exact(
        given.estimated_landed_cost_percent,
        PERCENT_SCALE,
        f"{where}.estimated_landed_cost_percent",
        problems,
    )
    lead = given.lead_time_days
    if isinstance(lead, bool) or not isinstance(lead, int) or not 0 <= lead <= 3650:
        problems[f"{where}.lead_time_days"] = ["A whole number of days from 0 to 3650."]
    if given.valid_until is not None and given.valid_until < context["today"]:
        problems[f"{where}.valid_until"] = ["This quote has already expired."]
    if len(given.note) > 200:
        problems[f"{where}.note"] = ["At most 200 characters."]
    currency: Currency | None = None
    if given.currency_id is not None:
        currency = context["currencies"].get(given.currency_id)
        if currency is None:
            problems[f"{where}.currency"] = ["Unknown currency."]
    elif supplier is not None:
        currency = supplier.currency
    if currency is not None:
        try:
            company_rate(rfq.company, currency, context["today"], field=f"{where}.currency")
        except MissingRateError as error:
            problems.update(error.fields or {})
    if line is None or supplier is None or currency is None or price is None:
        return None
    if moq is None or landed is None or f"{where}.lead_time_days" in problems:
        return None
    return SupplierQuote(
        line=line,
        supplier=supplier,
        unit_price=price,
        currency=currency,
        lead_time_days=lead,
        minimum_quantity=moq,
        valid_until=given.valid_until,
        estimated_landed_cost_percent=landed,
        note=given.note,
    )


def record_quotes(actor: Actor, rfq_id: Any, quotes: Sequence[QuoteDraft]) -> list[SupplierQuote]:
    """Store the suppliers' quotes for a sent RFQ, all or nothing; a supplier's new quote for
    a line replaces its old one."""
    with transaction.atomic():
        rfq = _rfq(actor, rfq_id)
        _in_state(rfq, RfqState.SENT)
        if not quotes:
            raise DomainError("quotes: Give at least one quote.", fields={"quotes": ["Empty."]})
        context = {
            "today": timezone.localdate(),
            "lines": {line.pk: line for line in rfq.lines.all()},
            "suppliers": {s.pk: s for s in rfq.suppliers.select_related("currency")},
            "currencies": Currency.objects.in_bulk(
                {q.currency_id for q in quotes if q.currency_id is not None}
            ),
        }
        problems: dict[str, list[str]] = {}
        checked: list[SupplierQuote] = []
        seen: set[tuple[int, int]] = set()
        for index, given in enumerate(quotes):
            quote = _check_quote(rfq, given, f"quotes[{index}]", context, problems)
            if quote is None:
                continue
            key = (given.line_id, given.supplier_id)
            if key in seen:
                problems[f"quotes[{index}].supplier"] = ["Two quotes of this supplier for a line."]
            seen.add(key)
            checked.append(quote)
        refuse_if(problems)
        before = rfq_picture(rfq)
        for quote in checked:
            quote.entered_by = actor.user
            SupplierQuote.objects.filter(line=quote.line, supplier=quote.supplier).delete()
        SupplierQuote.objects.bulk_create(checked)
        rfq.version += 1
        rfq.save(update_fields=["version", "updated_at"])
        after_quotes = [
            {
                "line": q.line_id, "supplier": q.supplier_id, "unit_price": str(q.unit_price),
                "currency": q.currency_id, "lead_time_days": q.lead_time_days,
                "minimum_quantity": str(q.minimum_quantity),
                "valid_until": q.valid_until.isoformat() if q.valid_until else None,
                "estimated_landed_cost_percent": str(q.estimated_landed_cost_percent),
            }
            for q in checked
        ]  # fmt: skip
        audit.record(
            actor,
            audit.Change(
                "purchasing.rfq.quote", rfq, before, {**rfq_picture(rfq), "quotes": after_quotes}
            ),
        )
        events.publish(RfqChanged(rfq.pk, "quote", company_id=rfq.company_id))
        return checked


def supplier_awards(rfq: RequestForQuotation, supplier_id: int) -> dict[int, int]:
    """Line → quote for every line the supplier quoted (award a supplier all its lines)."""
    return dict(
        SupplierQuote.objects.filter(line__rfq=rfq, supplier_id=supplier_id).values_list(
            "line_id", "pk"
        )
    )


def award_rfq(actor: Actor, rfq_id: Any, awards: Mapping[int, int]) -> list[PurchaseOrder]:
    """Award the chosen quote of each line: one purchase order per supplier and currency at
    the quoted prices, lines of one product and price merged; the RFQ is closed.

    ``awards`` maps RFQ line ids to quote ids; lines left out are not ordered.
    """
    today = timezone.localdate()
    with transaction.atomic():
        rfq = _rfq(actor, rfq_id)
        _in_state(rfq, RfqState.SENT)
        lines = {line.pk: line for line in rfq.lines.all()}
        quotes = SupplierQuote.objects.filter(line__rfq=rfq).in_bulk()
        problems: dict[str, list[str]] = {}
        if not awards:
            problems["awards"] = ["Choose the winning quote of at least one line."]
        groups: dict[tuple[int, int], list[tuple[RfqLine, SupplierQuote]]] = defaultdict(list)
        for line_id, quote_id in awards.items():
            where = f"awards[{line_id}]"
            line = lines.get(line_id)
            quote = quotes.get(quote_id)
            if line is None:
                problems[where] = ["Not a line of this RFQ."]
            elif quote is None or quote.line_id != line.pk:
                problems[where] = ["Not a quote for this line."]
            elif quote.valid_until is not None and quote.valid_until < today:
                problems[where] = [f"The quote expired on {quote.valid_until.isoformat()}."]
            elif line.quantity < quote.minimum_quantity:
                problems[where] = [
                    f"{line.quantity.normalize():f} is below the quoted minimum of "
                    f"{quote.minimum_quantity.normalize():f}."
                ]
            else:
                groups[(quote.supplier_id, quote.currency_id)].append((line, quote))
        refuse_if(problems)
        before = rfq_picture(rfq)
        created = []
        for (supplier_id, currency_id), pairs in sorted(groups.items()):
            items = [
                (
                    line.product_id,
                    line.quantity,
                    quote.unit_price,
                    max(line.needed_by, today + datetime.timedelta(quote.lead_time_days)),
                )
                for line, quote in pairs
            ]
            draft = OrderDraft(
                supplier_id=supplier_id,
                warehouse_id=rfq.warehouse_id,
                currency_id=currency_id,
                expected_date=max(item[3] for item in items),
                lines=_merged(items),
                note=f"Awarded on {rfq.reference}",
            )
            order = create_purchase_order(actor, draft)
            for line, quote in pairs:
                line.awarded_quote = quote
                line.purchase_order = order
                line.save(update_fields=["awarded_quote", "purchase_order"])
            created.append(order)
        rfq.state = RfqState.CLOSED
        rfq.closed_at = timezone.now()
        rfq.save(update_fields=["state", "closed_at", "updated_at"])
        _rfq_changed(actor, rfq, "award", before)
        if rfq.requisition_id is not None:
            _requisition_ordered(actor, rfq)
        return created


def _requisition_ordered(actor: Actor, rfq: RequestForQuotation) -> None:
    requisition = _lock_requisition(rfq.requisition_id)
    if requisition.state != RequisitionState.RFQ:
        return
    before = requisition_picture(requisition)
    ordered = dict(
        rfq.lines.filter(purchase_order__isnull=False).values_list("product_id", "purchase_order")
    )
    for line in requisition.lines.all():
        if line.product_id in ordered:
            line.purchase_order_id = ordered[line.product_id]
            line.save(update_fields=["purchase_order"])
    requisition.state = RequisitionState.ORDERED
    requisition.save(update_fields=["state", "updated_at"])
    _requisition_changed(actor, requisition, "order", before)
