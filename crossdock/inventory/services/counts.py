"""Cycle counts: create, start, record, submit and cancel count sheets.

Design overview
---------------
:func:`create_count` plans a count of one warehouse: some locations (each
with everything below it) or the products of one ABC class
(:func:`crossdock.inventory.selectors.abc_classes`). :func:`start_count`
locks the quants in scope (through the quant helper, in primary-key order)
and snapshots their on-hand quantity as each line's *expected* quantity.
:func:`record_counts` records what counters found, in batches: every entry is
checked first (location in scope, lot known, no more decimals than the
product's unit allows) and one bad entry writes nothing; a product, location
or lot that is not on the sheet adds a line whose expected quantity is what
was there at the start (today's quant minus what moved since).

:func:`submit_count` computes each line's difference as *counted − (expected
+ net stock moved into that location since the start)*: stock received,
picked or moved during the count is not a difference. The differences go,
as one adjustment per sheet, through
:func:`~crossdock.inventory.services.adjustments.request_adjustment` — the
approvals engine decides (above the policy's threshold a warehouse manager
approves; small ones are processed at once) and the segregation-of-duties
rule of adjustments applies (whoever submits the count cannot approve it).
A sheet without differences is done at once; one with differences is done
when its adjustment is processed (:func:`_close_counted_sheet` listens for
it).

Known limits: a loss is taken from the counted location by the reservation's
removal strategy, which may pick a location below it when the same product
and lot lie there too; and on PostgreSQL a transfer validated at the very
moment a count starts can be missed by both the snapshot and the moves
since (SQLite serialises the two).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.bulk import update_rows
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError, refuse_if
from crossdock.core.events import DomainEvent
from crossdock.core.permissions import require
from crossdock.inventory.events import CountSheetChanged, TransferChanged
from crossdock.inventory.models import (
    AbcClass,
    CountLine,
    CountScope,
    CountSheet,
    CountState,
    Lot,
    MoveState,
    Quant,
)
from crossdock.inventory.selectors import CountKey, abc_classes, net_moves_since
from crossdock.inventory.services.adjustments import (
    AdjustmentDraft,
    AdjustmentLine,
    request_adjustment,
)
from crossdock.inventory.services.quants import lock_by_pk
from crossdock.masterdata.models import Location, Product, Tracking, Warehouse
from crossdock.masterdata.models.organisation import INTERNAL_KINDS

ZERO = Decimal(0)
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class CountDraft:
    """What to count: locations (with their children) or an ABC class of one warehouse."""

    warehouse_id: int
    scope: str
    location_ids: Sequence[int] = ()
    abc_class: str = ""
    blind: bool = False
    note: str = ""


@dataclass(frozen=True)
class CountEntry:
    """A counted quantity (base unit) of a product in a location, with its lot or serial name.

    ``add=True`` adds to what was counted so far (a scan); otherwise it replaces it.
    """

    product_id: int
    location_id: int
    quantity: Decimal
    lot_name: str = ""
    add: bool = False


def _reference(warehouse: Warehouse) -> str:
    count = CountSheet.objects.filter(warehouse=warehouse).count() + 1
    reference = f"{warehouse.code}/CNT/{count:06d}"
    while CountSheet.objects.filter(reference=reference).exists():
        count += 1
        reference = f"{warehouse.code}/CNT/{count:06d}"
    return reference


def lock_sheet(sheet_id: Any) -> CountSheet:
    sheet = (
        CountSheet.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .filter(pk=sheet_id)
        .first()
    )
    if sheet is None:
        raise NotFoundError(f"No count sheet with id {sheet_id}.")
    return sheet


def _changed(actor: Actor, sheet: CountSheet, change: str, after: dict[str, Any]) -> None:
    audit.record(actor, audit.Change(f"inventory.count.{change}", sheet, None, after))
    events.publish(CountSheetChanged(sheet.pk, change, company_id=sheet.company_id))


def _in_state(sheet: CountSheet, *states: str) -> None:
    if sheet.state not in states:
        raise ConflictError(f"{sheet.reference} is {sheet.get_state_display().lower()}.")


# -- create --------------------------------------------------------------------------------


def _create_problems(draft: CountDraft, warehouse: Warehouse) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if draft.scope == CountScope.LOCATIONS:
        if not draft.location_ids:
            problems["locations"] = ["Choose at least one location to count."]
        found = Location.objects.in_bulk(list(draft.location_ids))
        for index, location_id in enumerate(draft.location_ids):
            location = found.get(location_id)
            if location is None or location.warehouse_id != warehouse.pk:
                problems[f"locations[{index}]"] = [f"Choose a location of {warehouse.code}."]
        if draft.abc_class:
            problems["abc_class"] = ["Only a count by ABC class has a class."]
    elif draft.scope == CountScope.ABC_CLASS:
        if draft.abc_class not in AbcClass.values:
            problems["abc_class"] = ["Choose the class to count: A, B or C."]
        if draft.location_ids:
            problems["locations"] = ["A count by ABC class covers the whole warehouse."]
    else:
        problems["scope"] = ["Count by locations or by ABC class."]
    if len(draft.note) > 200:
        problems["note"] = ["At most 200 characters."]
    return problems


def create_count(actor: Actor, draft: CountDraft) -> CountSheet:
    """Plan a count sheet (draft); nothing is snapshotted until it starts."""
    warehouse = Warehouse.objects.select_related("company").filter(pk=draft.warehouse_id).first()
    if warehouse is None:
        raise DomainError("warehouse: unknown warehouse.", fields={"warehouse": ["Unknown."]})
    refuse_if(_create_problems(draft, warehouse))
    with transaction.atomic():
        sheet = CountSheet(
            company=warehouse.company,
            warehouse=warehouse,
            reference=_reference(warehouse),
            scope=draft.scope,
            abc_class=draft.abc_class,
            blind=draft.blind,
            note=draft.note.strip(),
            created_by=actor.user,
        )
        require(actor, sheet, "add")
        sheet.save()
        if draft.location_ids:
            sheet.locations.set(sorted(set(draft.location_ids)))
        _changed(
            actor,
            sheet,
            "create",
            {**audit.snapshot(sheet), "locations": sorted(set(draft.location_ids))},
        )
        return sheet


# -- start ---------------------------------------------------------------------------------


def _scope_filter(sheet: CountSheet) -> Q:
    """The locations a sheet covers: its locations and everything below them (internal only)."""
    condition = Q(location__warehouse_id=sheet.warehouse_id) & Q(
        location__kind__in=list(INTERNAL_KINDS)
    )
    if sheet.scope == CountScope.ABC_CLASS:
        return condition
    roots = Q(pk__in=[])
    for path in sheet.locations.values_list("path", flat=True):
        roots |= Q(location__path=path) | Q(location__path__startswith=f"{path}/")
    return condition & roots


def _quants_in_scope(sheet: CountSheet) -> list[int]:
    quants = Quant.objects.filter(_scope_filter(sheet)).exclude(quantity=0).order_by()
    if sheet.scope == CountScope.LOCATIONS:
        return list(quants.values_list("pk", flat=True))
    classes = abc_classes(sheet.warehouse_id)
    products = sorted(p for p, found in classes.items() if found == sheet.abc_class)
    pks: list[int] = []
    for start in range(0, len(products), 500):
        chunk = products[start : start + 500]
        pks.extend(quants.filter(product_id__in=chunk).values_list("pk", flat=True))
    return pks


def start_count(actor: Actor, sheet_id: Any) -> CountSheet:
    """Snapshot the expected quantities (on hand now) of everything in scope; counting opens."""
    with transaction.atomic():
        sheet = lock_sheet(sheet_id)
        require(actor, sheet, "change")
        _in_state(sheet, CountState.DRAFT)
        quants = lock_by_pk(sorted(_quants_in_scope(sheet)))
        started = timezone.now()  # after the locks: moves done from now on are "since"
        CountLine.objects.bulk_create(
            CountLine(
                sheet=sheet,
                product_id=q.product_id,
                location_id=q.location_id,
                lot_id=q.lot_id,
                expected=q.quantity,
            )
            for q in quants
        )
        sheet.state = CountState.COUNTING
        sheet.started_at = started
        sheet.version = F("version") + 1
        sheet.save(update_fields=["state", "started_at", "version", "updated_at"])
        sheet.refresh_from_db()
        _changed(actor, sheet, "start", {"state": sheet.state, "lines": len(quants)})
        return sheet


# -- record --------------------------------------------------------------------------------


def _in_scope(sheet: CountSheet, location: Location, roots: list[str]) -> bool:
    if location.warehouse_id != sheet.warehouse_id or location.kind not in INTERNAL_KINDS:
        return False
    if sheet.scope == CountScope.ABC_CLASS:
        return True
    return any(location.path == root or location.path.startswith(f"{root}/") for root in roots)


def _entry_problems(
    sheet: CountSheet, entries: Sequence[CountEntry]
) -> tuple[dict[str, list[str]], dict[tuple[int, str], Lot]]:
    """Every bad entry, named ``entries[i].<field>``; and the lots the entries name."""
    problems: dict[str, list[str]] = {}
    if not entries:
        problems["entries"] = ["Record at least one count."]
    if len(entries) > MAX_ENTRIES:
        problems["entries"] = [f"At most {MAX_ENTRIES} counts at once."]
    products = Product.objects.select_related("base_unit").in_bulk({e.product_id for e in entries})
    locations = Location.objects.in_bulk({e.location_id for e in entries})
    names = {e.lot_name.strip() for e in entries if e.lot_name.strip()}
    lots = {
        (lot.product_id, lot.name): lot
        for lot in Lot.objects.filter(product_id__in=list(products), name__in=names)
    }
    roots = list(sheet.locations.values_list("path", flat=True))
    for index, entry in enumerate(entries):
        where = f"entries[{index}]"
        product = products.get(entry.product_id)
        location = locations.get(entry.location_id)
        if location is None or not _in_scope(sheet, location, roots):
            problems[f"{where}.location"] = [f"Not a stock location counted on {sheet}."]
        if product is None:
            problems[f"{where}.product"] = ["Unknown product."]
            continue
        if not isinstance(entry.quantity, Decimal) or not entry.quantity.is_finite():
            problems[f"{where}.quantity"] = ["Give the counted quantity as a decimal."]
            continue
        if entry.quantity < 0:
            problems[f"{where}.quantity"] = ["A counted quantity cannot be negative."]
        else:
            try:
                product.base_unit.check_quantity(entry.quantity)
            except ValidationError as error:
                problems[f"{where}.quantity"] = [
                    m for ms in error.message_dict.values() for m in ms
                ]
        name = entry.lot_name.strip()
        if product.tracking == Tracking.NONE:
            if name:
                problems[f"{where}.lot"] = [f"{product.sku} is not tracked by lot or serial."]
        elif not name:
            problems[f"{where}.lot"] = [
                f"{product.sku} is tracked by {product.tracking}; give the {product.tracking}."
            ]
        elif (product.pk, name) not in lots:
            problems[f"{where}.lot"] = [f"Unknown {product.tracking} {name!r} of {product.sku}."]
        elif product.tracking == Tracking.SERIAL and entry.quantity > 1:
            problems[f"{where}.quantity"] = ["A serial number is one unit: count 0 or 1."]
    return problems, lots


def _lines_for(sheet: CountSheet, keys: set[CountKey]) -> dict[CountKey, CountLine]:
    """The sheet's lines for ``keys``; missing ones added with what was there at the start."""
    found = {
        (ln.product_id, ln.location_id, ln.lot_id): ln
        for ln in sheet.lines.filter(
            product_id__in={k[0] for k in keys}, location_id__in={k[1] for k in keys}
        )
    }
    missing = keys - set(found)
    if not missing:
        return found
    on_hand: dict[CountKey, Decimal] = {}
    for product_id, location_id, lot_id, quantity in Quant.objects.filter(
        product_id__in={k[0] for k in missing}, location_id__in={k[1] for k in missing}
    ).values_list("product_id", "location_id", "lot_id", "quantity"):
        on_hand[(product_id, location_id, lot_id)] = quantity
    assert sheet.started_at is not None
    moved = net_moves_since(missing, sheet.started_at)
    new = [
        CountLine(
            sheet=sheet,
            product_id=key[0],
            location_id=key[1],
            lot_id=key[2],
            expected=on_hand.get(key, ZERO) - moved.get(key, ZERO),
            added=True,
        )
        for key in sorted(missing, key=lambda k: (k[0], k[1], k[2] or 0))
    ]
    CountLine.objects.bulk_create(new)
    return {**found, **{(ln.product_id, ln.location_id, ln.lot_id): ln for ln in new}}


def record_counts(actor: Actor, sheet_id: Any, entries: Sequence[CountEntry]) -> CountSheet:
    """Record counted quantities; one bad entry and nothing is written."""
    with transaction.atomic():
        sheet = lock_sheet(sheet_id)
        require(actor, sheet, "change")
        _in_state(sheet, CountState.COUNTING)
        problems, lots = _entry_problems(sheet, entries)
        refuse_if(problems)
        keyed = [
            (
                (
                    e.product_id,
                    e.location_id,
                    lots[(e.product_id, e.lot_name.strip())].pk if e.lot_name.strip() else None,
                ),
                e,
            )
            for e in entries
        ]
        lines = _lines_for(sheet, {key for key, _ in keyed})
        now = timezone.now()
        for key, entry in keyed:
            line = lines[key]
            base = line.counted if entry.add and line.counted is not None else ZERO
            line.counted = base + entry.quantity
            line.counted_by = actor.user
            line.counted_at = now
        touched = {key: lines[key] for key, _ in keyed}
        update_rows(CountLine, ["counted", "counted_by", "counted_at"], touched.values())
        CountSheet.objects.filter(pk=sheet.pk).update(version=F("version") + 1, updated_at=now)
        sheet.refresh_from_db()
        _changed(
            actor,
            sheet,
            "record",
            {
                "entries": [
                    [e.product_id, e.location_id, e.lot_name.strip(), str(e.quantity), e.add]
                    for e in entries
                ]
            },
        )
        return sheet


# -- submit, cancel ------------------------------------------------------------------------


def submit_count(actor: Actor, sheet_id: Any) -> CountSheet:
    """Compute the differences (moves since the start accounted for) and book them.

    The differences become one stock adjustment referencing the sheet; the
    approvals engine processes it at once or routes it to an approver. No
    difference: the sheet is done without an adjustment.
    """
    with transaction.atomic():
        sheet = lock_sheet(sheet_id)
        require(actor, sheet, "change")
        _in_state(sheet, CountState.COUNTING)
        lines = list(sheet.lines.select_related("product").order_by("pk"))
        uncounted = [ln for ln in lines if ln.counted is None]
        if uncounted:
            message = f"{len(uncounted)} of {len(lines)} lines are not counted yet."
            raise DomainError(f"lines: {message}", fields={"lines": [message]})
        assert sheet.started_at is not None
        moved = net_moves_since(
            ((ln.product_id, ln.location_id, ln.lot_id) for ln in lines), sheet.started_at
        )
        for line in lines:
            assert line.counted is not None
            line.moved = moved.get((line.product_id, line.location_id, line.lot_id), ZERO)
            line.difference = line.counted - (line.expected + line.moved)
        update_rows(CountLine, ["moved", "difference"], lines)
        differences = [ln for ln in lines if ln.difference]
        now = timezone.now()
        sheet.state = CountState.SUBMITTED
        sheet.submitted_at = now
        if differences:
            adjustment = request_adjustment(
                actor,
                AdjustmentDraft(
                    warehouse_id=sheet.warehouse_id,
                    lines=[
                        AdjustmentLine(ln.product_id, ln.location_id, ln.difference, ln.lot_id)
                        for ln in differences
                        if ln.difference is not None
                    ],
                    reason=f"Cycle count {sheet.reference}",
                ),
            )
            sheet.adjustment = adjustment
            if adjustment.state == MoveState.DONE:
                sheet.state, sheet.closed_at = CountState.DONE, now
        else:
            sheet.state, sheet.closed_at = CountState.DONE, now
        sheet.version = F("version") + 1
        sheet.save(
            update_fields=[
                "state", "submitted_at", "closed_at", "adjustment", "version", "updated_at",
            ]
        )  # fmt: skip
        sheet.refresh_from_db()
        _changed(
            actor,
            sheet,
            "submit",
            {
                "state": sheet.state,
                "adjustment": sheet.adjustment.reference if sheet.adjustment else None,
                "differences": [
                    [ln.product_id, ln.location_id, ln.lot_id, str(ln.difference)]
                    for ln in differences
                ],
            },
        )
        return sheet


def cancel_count(actor: Actor, sheet_id: Any) -> CountSheet:
    """Cancel a sheet not submitted yet, or one whose adjustment was rejected."""
    with transaction.atomic():
        sheet = lock_sheet(sheet_id)
        require(actor, sheet, "change")
        rejected = (
            sheet.state == CountState.SUBMITTED
            and sheet.adjustment is not None
            and sheet.adjustment.state == MoveState.CANCELLED
        )
        if not rejected:
            _in_state(sheet, CountState.DRAFT, CountState.COUNTING)
        sheet.state = CountState.CANCELLED
        sheet.closed_at = timezone.now()
        sheet.version = F("version") + 1
        sheet.save(update_fields=["state", "closed_at", "version", "updated_at"])
        sheet.refresh_from_db()
        _changed(actor, sheet, "cancel", {"state": sheet.state})
        return sheet


@events.subscribe(TransferChanged)
def _close_counted_sheet(event: DomainEvent) -> None:
    """An approved count adjustment was processed: its sheet is done (same transaction)."""
    if not isinstance(event, TransferChanged) or event.change != "done":
        return
    for sheet in CountSheet.objects.filter(
        adjustment_id=event.transfer_id, state=CountState.SUBMITTED
    ):
        sheet.state = CountState.DONE
        sheet.closed_at = timezone.now()
        sheet.version = F("version") + 1
        sheet.save(update_fields=["state", "closed_at", "version", "updated_at"])
        sheet.refresh_from_db()
        _changed(Actor.system("count adjustment processed"), sheet, "close", {"state": "done"})
