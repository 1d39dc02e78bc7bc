"""Opening inspections when goods arrive, and recording their results.

Design overview
---------------
**What triggers an inspection.** Inventory publishes ``TransferChanged``
(``inventory.transfer.done``) inside the transaction that validates a
transfer; :func:`receipt_done` subscribes to it (``QualityConfig.ready``).
For a receipt from a supplier location it finds, for every done receipt move,
the most specific active plan (:class:`~crossdock.quality.selectors.PlanMatcher`)
and opens a pending :class:`~crossdock.quality.models.Inspection`; the moves'
quantities go from where the receipt put them into the warehouse's quality
hold, through inventory's own services (an internal transfer, created,
confirmed and validated), so they are never reserved or sold before the
verdict. This keeps the dependencies pointing one way — quality depends on
inventory, purchasing knows nothing of quality — and inspects every receipt
from a supplier, whether purchasing's ``receive_purchase_order``, an import
or a clerk's manual receipt made it. Because in-process handlers run in the
publisher's transaction, the receipt, the hold transfer and the inspections
commit or roll back together. The event names no user, so the hold is moved
by a system actor labelled with the receipt.

Receipts processed in several steps (input → stock) are not inspected here:
their received stock is already reserved by the next step; such warehouses
use their own quality-hold step for now.

**Recording the results** (:func:`record_results`): one result per check of
the plan (pass/fail, or the measured value, judged against the tolerance),
and the accepted and rejected quantities, which must add up to the inspected
quantity. The accepted quantity goes from quality hold back to the receipt's
stock location; anything rejected gets a
:class:`~crossdock.quality.models.Nonconformance` and, by its disposition,
stays in quality hold (*hold*, *return* — see
:mod:`~crossdock.quality.services.nonconformance`), moves to the damaged
location (*damaged*) or is scrapped through inventory's scrap service, which
applies the company's stock-adjustment approval policies (*scrap*). Every
problem in the input is reported under its field name and nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError, StaleVersionError
from crossdock.core.events import DomainEvent
from crossdock.core.fields import QUANTITY_SCALE
from crossdock.core.permissions import require
from crossdock.inventory.events import TransferChanged
from crossdock.inventory.models import MoveLine, MoveState, Transfer, TransferKind
from crossdock.inventory.services import (
    LineDraft,
    ScrapDraft,
    ScrapLine,
    TransferDraft,
    confirm_transfer,
    create_transfer,
    damage_stock,
    scrap_stock,
    validate_transfer,
)
from crossdock.masterdata.models import Location, LocationKind, Warehouse
from crossdock.masterdata.services import ensure_step_locations, warehouse_location
from crossdock.quality.events import InspectionChanged, NonconformanceChanged
from crossdock.quality.models import (
    CheckKind,
    Disposition,
    Inspection,
    InspectionResult,
    InspectionState,
    Nonconformance,
)
from crossdock.quality.selectors import PlanMatcher

ZERO = Decimal(0)
LIMIT = Decimal(10) ** 12  # what the exact fields hold, with their decimals


# -- opening inspections on receipt ---------------------------------------------------------


def receipt_done(event: DomainEvent) -> None:
    """``inventory.transfer.done`` handler: inspect a supplier receipt's planned moves."""
    if not isinstance(event, TransferChanged) or event.change != "done":
        return
    transfer = (
        Transfer.objects.select_related("source", "warehouse")
        .filter(pk=event.transfer_id, kind=TransferKind.RECEIPT)
        .first()
    )
    if transfer is None or transfer.source.kind != LocationKind.SUPPLIER:
        return
    if transfer.final_destination_id not in (None, transfer.destination_id):
        return  # the first step of a multi-step receipt; see the module doc
    open_inspections(transfer)


def _hold_location(warehouse: Warehouse) -> Location:
    found = warehouse_location(warehouse, LocationKind.QUALITY_HOLD)
    if found is None:
        ensure_step_locations(Actor.system("quality hold"), warehouse)
        found = warehouse_location(warehouse, LocationKind.QUALITY_HOLD)
    return found


def open_inspections(receipt: Transfer) -> list[Inspection]:
    """Open a pending inspection for each planned move of a done receipt; hold its goods."""
    matcher = PlanMatcher(receipt.company_id)
    if not matcher:
        return []
    moves = list(
        receipt.moves.filter(state=MoveState.DONE, inspection__isnull=True)
        .select_related("product__base_unit")
        .order_by("pk")
    )
    planned = [
        (move, plan)
        for move in moves
        if (plan := matcher.plan_for(move.product, receipt.partner_id)) is not None
    ]
    if not planned:
        return []
    lines = defaultdict(list)
    for line in MoveLine.objects.filter(move__in=[move for move, _ in planned], done=True).order_by(
        "pk"
    ):
        lines[line.move_id].append(line)
    hold = _hold_location(receipt.warehouse)
    system = Actor.system(f"quality inspection of {receipt.reference}")
    by_source: dict[int, list[LineDraft]] = defaultdict(list)
    inspections = []
    for move, plan in planned:
        move_lines = lines[move.pk]
        lots = {line.lot_id for line in move_lines}
        for line in move_lines:
            by_source[line.destination_id].append(
                LineDraft(move.product_id, line.quantity, lot_id=line.lot_id)
            )
        quantity = sum((line.quantity for line in move_lines), ZERO)
        if quantity <= 0:
            continue
        inspections.append(
            Inspection(
                company_id=receipt.company_id,
                warehouse_id=receipt.warehouse_id,
                plan=plan,
                receipt=receipt,
                receipt_move=move,
                product_id=move.product_id,
                lot_id=next(iter(lots)) if len(lots) == 1 else None,
                supplier_id=receipt.partner_id,
                hold_location=hold,
                stock_location_id=move.destination_id,
                quantity=quantity,
                sample_size=plan.sample_size_for(quantity, move.product.base_unit.quantum),
            )
        )
    for source_id, drafts in sorted(by_source.items()):
        _move_stock(system, receipt.warehouse, source_id, hold.pk, drafts, receipt.reference)
    Inspection.objects.bulk_create(inspections)
    created = list(
        Inspection.objects.filter(receipt=receipt, state=InspectionState.PENDING).order_by("pk")
    )
    for inspection in created:
        audit.record(system, audit.Change("create", inspection, None, audit.snapshot(inspection)))
        events.publish(InspectionChanged(inspection.pk, "opened", company_id=inspection.company_id))
    return created


def _move_stock(
    actor: Actor,
    warehouse: Warehouse,
    source_id: int,
    destination_id: int,
    lines: Sequence[LineDraft],
    origin: str,
) -> Transfer:
    """Move stock within the warehouse at once through inventory's services."""
    transfer = create_transfer(
        actor,
        TransferDraft(
            warehouse_id=warehouse.pk,
            kind=TransferKind.INTERNAL,
            source_id=source_id,
            destination_id=destination_id,
            lines=lines,
            origin=origin,
        ),
    )
    confirm_transfer(actor, transfer.pk)
    return validate_transfer(actor, transfer.pk)


# -- recording results ----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    """The outcome of one check: ``passed`` for pass/fail, ``value`` for a measured check
    (a decimal, or its text as typed: it is read exactly)."""

    check_id: int
    passed: bool | None = None
    value: Decimal | str | None = None


@dataclass(frozen=True)
class InspectionOutcome:
    results: Sequence[CheckOutcome]
    accepted_quantity: Any
    rejected_quantity: Any
    disposition: str = ""
    description: str = ""
    note: str = ""
    version: int | None = None


def lock_inspection(inspection_id: Any) -> Inspection:
    inspection = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("plan", "product__base_unit", "warehouse")
        .filter(pk=inspection_id)
        .first()
    )
    if inspection is None:
        raise NotFoundError(f"No inspection with id {inspection_id}.")
    return inspection


def _exact(value: Any, where: str, problems: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "" or isinstance(value, float | bool):
        problems[where] = ['Give an exact decimal (a string such as "12.5").']
        return None
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        problems[where] = [f"{value!r} is not a number."]
        return None
    if not number.is_finite():
        problems[where] = ["Not a number."]
        return None
    if abs(number) >= LIMIT:
        problems[where] = ["Too large."]
        return None
    return number


def _checked(
    inspection: Inspection, outcome: InspectionOutcome
) -> tuple[list[InspectionResult], Decimal, Decimal]:
    """The results to write and the two quantities, or every problem refused."""
    problems: dict[str, list[str]] = {}
    checks = {check.pk: check for check in inspection.plan.checks.all()}
    results: list[InspectionResult] = []
    seen: set[int] = set()
    for index, item in enumerate(outcome.results):
        where = f"results[{index}]"
        check = checks.get(item.check_id)
        if check is None:
            problems[f"{where}.check"] = ["Not a check of this inspection's plan."]
            continue
        if check.pk in seen:
            problems[f"{where}.check"] = [f"{check.name} is answered twice."]
            continue
        seen.add(check.pk)
        if check.kind == CheckKind.MEASURED:
            value = _exact(item.value, f"{where}.value", problems)
            if value is None:
                continue
            if -value.as_tuple().exponent > 6:  # type: ignore[operator]
                problems[f"{where}.value"] = ["At most 6 decimal places."]
                continue
            results.append(
                InspectionResult(
                    inspection=inspection,
                    plan_check=check,
                    passed=check.passes(value),
                    measured_value=value,
                )
            )
        else:
            if item.passed is None:
                problems[f"{where}.passed"] = [f"Say whether {check.name} passed."]
                continue
            results.append(
                InspectionResult(inspection=inspection, plan_check=check, passed=bool(item.passed))
            )
    missing = [check.name for pk, check in checks.items() if pk not in seen]
    if missing and "results" not in problems:
        problems["results"] = [f"Record every check: {', '.join(missing)} missing."]
    unit = inspection.product.base_unit
    quantities: dict[str, Decimal] = {}
    for name in ("accepted_quantity", "rejected_quantity"):
        number = _exact(getattr(outcome, name), name, problems)
        if number is None:
            continue
        if number < 0:
            problems[name] = ["Cannot be negative."]
        elif number != number.quantize(Decimal(1).scaleb(-QUANTITY_SCALE)) or number != (
            number.quantize(unit.quantum)
        ):
            problems[name] = [f"{unit.code} allows at most {unit.decimal_places} decimal places."]
        else:
            quantities[name] = number
    accepted = quantities.get("accepted_quantity")
    rejected = quantities.get("rejected_quantity")
    if accepted is not None and rejected is not None and accepted + rejected != inspection.quantity:
        problems["rejected_quantity"] = [
            f"Accepted and rejected must add up to the {inspection.quantity.normalize():f} "
            "inspected."
        ]
    if rejected:
        if outcome.disposition not in Disposition.values:
            problems["disposition"] = ["Say what happens to the rejected goods."]
        if not outcome.description.strip():
            problems["description"] = ["Describe what is wrong with the rejected goods."]
    if problems:
        name, messages = next(iter(problems.items()))
        raise DomainError(f"{name}: {messages[0]}", fields=problems)
    assert accepted is not None
    assert rejected is not None
    return results, accepted, rejected


def record_results(actor: Actor, inspection_id: Any, outcome: InspectionOutcome) -> Inspection:
    """Record an inspection's results; release, hold or dispose of the goods. See module doc."""
    with transaction.atomic():
        inspection = lock_inspection(inspection_id)
        require(actor, inspection, "change")
        if not inspection.is_pending:
            raise ConflictError(
                f"{inspection} is already inspected.", fields={"state": ["Already inspected."]}
            )
        if outcome.version is not None and outcome.version != inspection.version:
            raise StaleVersionError(
                f"{inspection} changed since version {outcome.version} (now {inspection.version})."
            )
        results, accepted, rejected = _checked(inspection, outcome)
        before = audit.snapshot(inspection)
        InspectionResult.objects.bulk_create(results)
        inspection.accepted_quantity = accepted
        inspection.rejected_quantity = rejected
        inspection.state = InspectionState.DONE
        inspection.inspected_by = actor.user
        inspection.inspected_at = timezone.now()
        inspection.note = outcome.note.strip()
        inspection.version = F("version") + 1
        inspection.save()
        inspection.refresh_from_db()
        lot_id = inspection.lot_id
        if accepted:
            _move_stock(
                actor,
                inspection.warehouse,
                inspection.hold_location_id,
                inspection.stock_location_id,
                [LineDraft(inspection.product_id, accepted, lot_id=lot_id)],
                f"{inspection}: accepted",
            )
        audit.record(
            actor,
            audit.Change(
                "quality.inspection.record",
                inspection,
                before,
                {
                    **audit.snapshot(inspection),
                    "results": [
                        [
                            r.plan_check_id,
                            r.passed,
                            None if r.measured_value is None else str(r.measured_value),
                        ]
                        for r in results
                    ],
                },
            ),
        )
        events.publish(
            InspectionChanged(inspection.pk, "recorded", company_id=inspection.company_id)
        )
        if rejected:
            _open_nonconformance(actor, inspection, outcome, rejected)
        return inspection


def _open_nonconformance(
    actor: Actor, inspection: Inspection, outcome: InspectionOutcome, rejected: Decimal
) -> Nonconformance:
    nonconformance = Nonconformance(
        company_id=inspection.company_id,
        warehouse_id=inspection.warehouse_id,
        inspection=inspection,
        description=outcome.description.strip(),
        disposition=outcome.disposition,
        quantity=rejected,
    )
    require(actor, nonconformance, "add")
    nonconformance.save()
    reason = f"{nonconformance} ({inspection}): {nonconformance.description}"[:100]
    draft = ScrapDraft(
        warehouse_id=inspection.warehouse_id,
        lines=[
            ScrapLine(
                inspection.product_id, inspection.hold_location_id, rejected, inspection.lot_id
            )
        ],
        reason=reason,
    )
    if outcome.disposition == Disposition.DAMAGED:
        nonconformance.disposition_transfer = damage_stock(actor, draft)
    elif outcome.disposition == Disposition.SCRAP:
        nonconformance.disposition_transfer = scrap_stock(actor, draft)
    if nonconformance.disposition_transfer is not None:
        nonconformance.save(update_fields=["disposition_transfer", "updated_at"])
    audit.record(
        actor, audit.Change("create", nonconformance, None, audit.snapshot(nonconformance))
    )
    events.publish(
        NonconformanceChanged(nonconformance.pk, "opened", company_id=nonconformance.company_id)
    )
    return nonconformance
