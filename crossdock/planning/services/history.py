"""Demand history: what customers asked of each warehouse, day by day, from operations.

Design overview
---------------
**Demand** is what customers asked a warehouse for, whether or not it could be served. For a
product at a warehouse on a day (a :class:`~crossdock.planning.models.DemandDay` row):

* ``shipped`` — done stock moves into a customer location of a transfer of that warehouse,
  dated by the day the move was done (local time). Customer returns are not negative demand:
  they are left out.
* ``lost`` — sales order lines cancelled before they were shipped: the cancelled quantity,
  at the line's warehouse, dated on the day the customer wanted it (the line's promise date,
  else the order's requested date, else its order date), so that lost demand sits in the
  same place in the series as the sale would have.
* ``quantity`` = ``shipped`` + ``lost`` (a database constraint): the series forecasts learn.
* ``backordered`` — at the end of each day, what confirmed orders still owed past their
  promise date (ordered less shipped by then, less what was cancelled once the order was
  cancelled). It is a measure of unmet demand, not more demand: the owed goods count as
  ``shipped`` on the day they leave, or as ``lost`` if cancelled.

All quantities are in the product's base unit (moves and sales lines already are).

Rows come from two places. A delivery that is done updates the rows of its (product,
warehouse, day) keys at once (:func:`record_transfer`, subscribed to inventory's
``TransferChanged``), and an order cancellation its lost demand (:func:`record_order`,
subscribed to ``SalesOrderChanged``); both recompute those keys from the documents rather than
add to them, so a repeated event changes nothing. :func:`rebuild_demand_history` recomputes
every key of a company (from ``since`` on) in a few set-based queries, writes the difference
and adds ``backordered``; it is idempotent, repairs any incremental row, and runs as the
worker task :func:`rebuild_history` (``crossdock worker``) every night.

Imported history (``source = "import"``) stands for days before operations ran in
Crossdock: deliveries never overwrite an imported row, and the rebuild leaves imported rows
alone.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.tasks import task
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.planning.events import DemandHistoryChanged
from crossdock.planning.models import DemandDay, DemandSource

ZERO = Decimal(0)
Key = tuple[int, int, datetime.date]  # product, warehouse, day


@dataclass
class Parts:
    shipped: Decimal = ZERO
    lost: Decimal = ZERO
    backordered: Decimal = ZERO

    def empty(self) -> bool:
        return not (self.shipped or self.lost or self.backordered)


@dataclass(frozen=True)
class RebuildResult:
    company_id: int
    created: int
    updated: int
    deleted: int
    unchanged: int


# -- reading the documents ------------------------------------------------------------------


def _shipped_rows(where: Q) -> Iterable[tuple[int, int, datetime.date, Decimal]]:
    from crossdock.inventory.models import MoveState, StockMove
    from crossdock.masterdata.models import LocationKind

    return (
        StockMove.objects.filter(
            where, state=MoveState.DONE, destination__kind=LocationKind.CUSTOMER
        )
        .annotate(day=TruncDate("done_at"))
        .values_list("product_id", "transfer__warehouse_id", "day")
        .annotate(total=Sum("quantity"))
        .order_by()
    )


def _wanted_on() -> Any:
    return Coalesce("promise_date", "order__requested_date", "order__order_date")


def _lost_rows(where: Q) -> Iterable[tuple[int, int, datetime.date, Decimal]]:
    from crossdock.sales.models import SalesOrderLine

    return (
        SalesOrderLine.objects.filter(where, cancelled_quantity__gt=0, warehouse__isnull=False)
        .annotate(day=_wanted_on())
        .values_list("product_id", "warehouse_id", "day")
        .annotate(total=Sum("cancelled_quantity"))
        .order_by()
    )


def _backordered(company_id: int, since: datetime.date | None) -> dict[Key, Decimal]:
    """What confirmed orders still owed past their promise date at the end of each day."""
    from crossdock.inventory.models import MoveState, StockMove
    from crossdock.masterdata.models import LocationKind
    from crossdock.sales.models import SalesOrderLine

    today = timezone.localdate()
    owed: dict[tuple[str, int, int], dict[str, Any]] = {}
    lines = (
        SalesOrderLine.objects.filter(
            order__company_id=company_id,
            order__confirmed_at__isnull=False,
            warehouse__isnull=False,
        )
        .annotate(day=_wanted_on())
        .values_list(
            "order__reference",
            "product_id",
            "warehouse_id",
            "day",
            "quantity",
            "cancelled_quantity",
            "order__updated_at",
        )
    )
    for reference, product, warehouse, day, quantity, cancelled, updated in lines:
        entry = owed.setdefault(
            (reference, product, warehouse),
            {"promise": day, "ordered": ZERO, "cancelled": ZERO, "cancelled_on": None},
        )
        entry["promise"] = min(entry["promise"], day)
        entry["ordered"] += quantity
        entry["cancelled"] += cancelled
        if cancelled:
            entry["cancelled_on"] = timezone.localdate(updated)
    if not owed:
        return {}
    references = {key[0] for key in owed}
    shipments: dict[tuple[str, int, int], list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    rows = (
        StockMove.objects.filter(
            transfer__origin__in=references,
            state=MoveState.DONE,
            destination__kind=LocationKind.CUSTOMER,
        )
        .annotate(day=TruncDate("done_at"))
        .values_list("transfer__origin", "product_id", "transfer__warehouse_id", "day")
        .annotate(total=Sum("quantity"))
        .order_by("day")
    )
    for reference, product, warehouse, day, total in rows:
        shipments[(reference, product, warehouse)].append((day, total))
    result: dict[Key, Decimal] = defaultdict(Decimal)
    one_day = datetime.timedelta(days=1)
    for key, entry in owed.items():
        day = entry["promise"]
        if since is not None:
            day = max(day, since)
        shipped = ZERO
        done = shipments.get(key, [])
        index = 0
        while day <= today:
            while index < len(done) and done[index][0] <= day:
                shipped += done[index][1]
                index += 1
            rest = entry["ordered"] - shipped
            if entry["cancelled_on"] is not None and entry["cancelled_on"] <= day:
                rest -= entry["cancelled"]
            if rest <= 0 and index >= len(done):
                break
            if rest > 0:
                result[(key[1], key[2], day)] += rest
            day += one_day
    return dict(result)


def derived_parts(company_id: int, since: datetime.date | None = None) -> dict[Key, Parts]:
    """Every (product, warehouse, day) of the company as the documents say (from ``since``)."""
    parts: dict[Key, Parts] = defaultdict(Parts)
    moves = Q(transfer__company_id=company_id)
    lines = Q(order__company_id=company_id)
    if since is not None:
        start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
        moves &= Q(done_at__gte=start)
    for product, warehouse, day, total in _shipped_rows(moves):
        parts[(product, warehouse, day)].shipped += total
    for product, warehouse, day, total in _lost_rows(lines):
        if since is None or day >= since:
            parts[(product, warehouse, day)].lost += total
    for key, rest in _backordered(company_id, since).items():
        parts[key].backordered += rest
    return dict(parts)


# -- writing rows ---------------------------------------------------------------------------


def _existing(company_id: int, where: Q) -> dict[Key, tuple[int, str, Decimal, Decimal, Decimal]]:
    rows = DemandDay.objects.filter(where, company_id=company_id).values_list(
        "product_id", "warehouse_id", "day", "pk", "source", "shipped", "lost", "backordered"
    )
    return {(p, w, d): (pk, src, s, lo, b) for p, w, d, pk, src, s, lo, b in rows}


def _write(
    company_id: int,
    wanted: dict[Key, Parts],
    existing: dict[Key, tuple[int, str, Decimal, Decimal, Decimal]],
    *,
    with_backorders: bool,
) -> RebuildResult:
    """Make the deliveries rows of ``existing``'s keys equal ``wanted`` (imports untouched)."""
    create: list[DemandDay] = []
    update: list[DemandDay] = []
    delete: list[int] = []
    unchanged = 0
    for key, (pk, source, shipped, lost, backordered) in existing.items():
        if source != DemandSource.DELIVERIES:
            continue
        new = wanted.get(key, Parts())
        if not with_backorders:
            new = Parts(new.shipped, new.lost, backordered)
        if new.empty():
            delete.append(pk)
        elif (new.shipped, new.lost, new.backordered) != (shipped, lost, backordered):
            update.append(_row(company_id, key, new, pk))
        else:
            unchanged += 1
    for key, new in wanted.items():
        if key not in existing and not new.empty():
            if not with_backorders:
                new = Parts(new.shipped, new.lost, ZERO)
                if new.empty():
                    continue
            create.append(_row(company_id, key, new))
    if delete:
        for start in range(0, len(delete), 500):
            DemandDay.objects.filter(pk__in=delete[start : start + 500]).delete()
    if update:
        DemandDay.objects.bulk_update(
            update, ["shipped", "lost", "backordered", "quantity"], batch_size=500
        )
    if create:
        DemandDay.objects.bulk_create(create, batch_size=1000)
    return RebuildResult(company_id, len(create), len(update), len(delete), unchanged)


def _row(company_id: int, key: Key, parts: Parts, pk: int | None = None) -> DemandDay:
    return DemandDay(
        pk=pk,
        company_id=company_id,
        product_id=key[0],
        warehouse_id=key[1],
        day=key[2],
        shipped=parts.shipped,
        lost=parts.lost,
        backordered=parts.backordered,
        quantity=parts.shipped + parts.lost,
        source=DemandSource.DELIVERIES,
    )


def _refresh_keys(company_id: int, keys: set[Key]) -> RebuildResult:
    """Recompute shipped and lost of the given keys from the documents (backorders kept)."""
    if not keys:
        return RebuildResult(company_id, 0, 0, 0, 0)
    products = {k[0] for k in keys}
    warehouses = {k[1] for k in keys}
    days = {k[2] for k in keys}
    first, last = min(days), max(days)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min)
    )
    wanted: dict[Key, Parts] = {key: Parts() for key in keys}
    moves = Q(
        product_id__in=products,
        transfer__warehouse_id__in=warehouses,
        done_at__gte=start,
        done_at__lt=end,
    )
    for product, warehouse, day, total in _shipped_rows(moves):
        if (product, warehouse, day) in wanted:
            wanted[(product, warehouse, day)].shipped += total
    lines = Q(product_id__in=products, warehouse_id__in=warehouses, order__company_id=company_id)
    for product, warehouse, day, total in _lost_rows(lines):
        if (product, warehouse, day) in wanted:
            wanted[(product, warehouse, day)].lost += total
    existing = _existing(
        company_id,
        Q(product_id__in=products, warehouse_id__in=warehouses, day__gte=first, day__lte=last),
    )
    existing = {k: v for k, v in existing.items() if k in keys}
    # a key held by an imported row stays as imported (_write only touches deliveries rows)
    return _write(company_id, wanted, existing, with_backorders=False)


def record_transfer(transfer_id: int) -> RebuildResult | None:
    """A delivery was done: refresh the demand rows of its products, warehouse and day."""
    from crossdock.inventory.models import MoveState, StockMove, Transfer
    from crossdock.masterdata.models import LocationKind

    found = (
        Transfer.objects.filter(pk=transfer_id).values_list("company_id", "warehouse_id").first()
    )
    if found is None:
        return None
    company_id, warehouse_id = found
    keys = {
        (product, warehouse_id, day)
        for product, day in StockMove.objects.filter(
            transfer_id=transfer_id, state=MoveState.DONE, destination__kind=LocationKind.CUSTOMER
        )
        .annotate(day=TruncDate("done_at"))
        .values_list("product_id", "day")
        .distinct()
    }
    if not keys:
        return None
    return _refresh_keys(company_id, keys)


def record_order(order_id: int) -> RebuildResult | None:
    """An order was cancelled: refresh the lost demand of its lines' keys."""
    from crossdock.sales.models import SalesOrderLine

    rows = list(
        SalesOrderLine.objects.filter(order_id=order_id, warehouse__isnull=False)
        .annotate(day=_wanted_on())
        .values_list("order__company_id", "product_id", "warehouse_id", "day")
    )
    if not rows:
        return None
    keys = {(product, warehouse, day) for _, product, warehouse, day in rows}
    return _refresh_keys(rows[0][0], keys)


def transfer_changed(event: events.DomainEvent) -> None:
    """Inventory's ``TransferChanged``: a done delivery records its demand."""
    if getattr(event, "change", "") != "done":
        return
    transfer_id = getattr(event, "transfer_id", None)
    if transfer_id is not None:
        record_transfer(transfer_id)


def order_changed(event: events.DomainEvent) -> None:
    """Sales' ``SalesOrderChanged``: a cancellation records the lost demand."""
    if getattr(event, "change", "") != "cancel":
        return
    order_id = getattr(event, "order_id", None)
    if order_id is not None:
        record_order(order_id)


def rebuild_demand_history(company_id: int, since: datetime.date | None = None) -> RebuildResult:
    """Recompute the company's delivery-derived demand rows (from ``since``) from the documents.

    Set-based: a handful of aggregate queries, one read of the existing rows, and bulk writes
    of the difference. Running it twice changes nothing the second time.
    """
    with transaction.atomic():
        wanted = derived_parts(company_id, since)
        where = Q() if since is None else Q(day__gte=since)
        existing = _existing(company_id, where)
        imported = {k for k, v in existing.items() if v[1] != DemandSource.DELIVERIES}
        wanted = {k: v for k, v in wanted.items() if k not in imported}
        result = _write(company_id, wanted, existing, with_backorders=True)
        if result.created or result.updated or result.deleted:
            events.publish(
                DemandHistoryChanged(
                    "rebuilt",
                    result.created + result.updated + result.deleted,
                    company_id=company_id,
                )
            )
        return result


@task()
def rebuild_history(company_id: int, since: str | None = None) -> dict[str, int]:
    """Worker task: rebuild a company's demand history (``since`` an ISO date), flag and
    classify it."""
    from crossdock.planning.services.classify import plan_demand

    start = datetime.date.fromisoformat(since) if since else None
    result = rebuild_demand_history(company_id, start)
    flags, items = plan_demand(company_id)
    return {
        "created": result.created,
        "updated": result.updated,
        "deleted": result.deleted,
        "outliers": flags.outliers,
        "promotion_days": flags.promotion_days,
        "planning_items": items,
    }


# -- importing history ----------------------------------------------------------------------

IMPORT_COLUMNS = ("product", "warehouse", "day", "quantity", "lost")
REQUIRED_COLUMNS = ("product", "warehouse", "day", "quantity")
MAX_IMPORT_ROWS = 200_000


@dataclass
class HistoryImportResult:
    ok: bool
    dry_run: bool
    rows: int
    created: int = 0
    updated: int = 0
    errors: list[Any] = field(default_factory=list)


def _import_quantity(text: str, row: int, column: str, errors: list[Any]) -> Decimal | None:
    from crossdock.core.fields import QUANTITY_SCALE
    from crossdock.masterdata.import_rows import RowError

    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        errors.append(RowError(row, column, f"{text!r} is not a number."))
        return None
    if not number.is_finite():
        errors.append(RowError(row, column, "Not a number."))
    elif number < 0:
        errors.append(RowError(row, column, "Cannot be negative."))
    elif -number.as_tuple().exponent > QUANTITY_SCALE:  # type: ignore[operator]
        errors.append(RowError(row, column, f"At most {QUANTITY_SCALE} decimal places."))
    else:
        return number
    return None


def import_demand_history(
    actor: Actor, company_id: int, filename: str, content: bytes, *, dry_run: bool = False
) -> HistoryImportResult:
    """Import daily demand (CSV or XLSX) of the company's warehouses as ``source = import``.

    Columns: ``product`` (SKU), ``warehouse`` (code), ``day`` (ISO date), ``quantity`` (what
    was shipped) and optionally ``lost``. Every bad row is reported with its column and
    nothing is written; a row for a day that already has delivery-derived demand is refused
    (operations are the truth from the day they start); an imported day imported again is
    replaced. All or nothing.
    """
    from crossdock.core.errors import PermissionDeniedError
    from crossdock.core.permissions import has_model_permission
    from crossdock.masterdata.import_rows import RowError
    from crossdock.masterdata.models import Product, Warehouse
    from crossdock.masterdata.tabular import read_table, unguard_formula

    if actor.user is not None and not (
        has_model_permission(actor.user, DemandDay, "add")
        and has_model_permission(actor.user, DemandDay, "change")
    ):
        raise PermissionDeniedError("You may not import demand history.")
    table = read_table(filename, content)
    header = [unguard_formula(h).strip().lower() for h in table.header]
    errors: list[Any] = []
    for name in header:
        if name and name not in IMPORT_COLUMNS:
            errors.append(RowError(1, name, f"Unknown column; use {', '.join(IMPORT_COLUMNS)}."))
    for name in REQUIRED_COLUMNS:
        if name not in header:
            errors.append(RowError(1, name, "This column is missing."))
    if len(table.rows) > MAX_IMPORT_ROWS:
        errors.append(RowError(0, "", f"At most {MAX_IMPORT_ROWS:,} rows per file."))
    if errors:
        return HistoryImportResult(False, dry_run, len(table.rows), errors=errors)
    column = {name: header.index(name) for name in IMPORT_COLUMNS if name in header}
    skus = {cells[column["product"]].strip() for _, cells in table.rows if cells}
    products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
    warehouses = dict(Warehouse.objects.filter(company_id=company_id).values_list("code", "pk"))
    parsed: dict[Key, tuple[int, Decimal, Decimal]] = {}
    for row, cells in table.rows:

        def cell(name: str, cells: list[str] = cells) -> str:
            index = column.get(name)
            return unguard_formula(cells[index]).strip() if index is not None else ""

        product = products.get(cell("product"))
        if product is None:
            errors.append(RowError(row, "product", f"No product with SKU {cell('product')!r}."))
        warehouse = warehouses.get(cell("warehouse"))
        if warehouse is None:
            errors.append(
                RowError(row, "warehouse", f"No warehouse {cell('warehouse')!r} in this company.")
            )
        try:
            day: datetime.date | None = datetime.date.fromisoformat(cell("day"))
        except ValueError:
            day = None
            errors.append(RowError(row, "day", "A date such as 2026-05-01."))
        shipped = _import_quantity(cell("quantity"), row, "quantity", errors)
        lost = _import_quantity(cell("lost") or "0", row, "lost", errors)
        if day is not None and day > timezone.localdate():
            errors.append(RowError(row, "day", "History cannot be in the future."))
        if product and warehouse and day and shipped is not None and lost is not None:
            key = (product, warehouse, day)
            if key in parsed:
                errors.append(
                    RowError(
                        row, "day", f"Same product, warehouse and day as row {parsed[key][0]}."
                    )
                )
            parsed[key] = (row, shipped, lost)
    existing = {}
    if parsed and not errors:
        days = [k[2] for k in parsed]
        existing = _existing(
            company_id,
            Q(
                product_id__in={k[0] for k in parsed},
                warehouse_id__in={k[1] for k in parsed},
                day__gte=min(days),
                day__lte=max(days),
            ),
        )
        for key, (row, _, _) in parsed.items():
            if key in existing and existing[key][1] == DemandSource.DELIVERIES:
                errors.append(
                    RowError(row, "day", "This day already has demand recorded from deliveries.")
                )
    if errors:
        errors.sort(key=lambda e: (e.row, e.field))
        return HistoryImportResult(False, dry_run, len(table.rows), errors=errors)
    create = [
        DemandDay(
            company_id=company_id,
            product_id=key[0],
            warehouse_id=key[1],
            day=key[2],
            shipped=shipped,
            lost=lost,
            quantity=shipped + lost,
            source=DemandSource.IMPORT,
        )
        for key, (_, shipped, lost) in parsed.items()
        if key not in existing
    ]
    update = [
        DemandDay(
            pk=existing[key][0],
            shipped=shipped,
            lost=lost,
            quantity=shipped + lost,
        )
        for key, (_, shipped, lost) in parsed.items()
        if key in existing
    ]
    result = HistoryImportResult(True, dry_run, len(table.rows), len(create), len(update))
    if dry_run:
        return result
    with transaction.atomic():
        DemandDay.objects.bulk_create(create, batch_size=1000)
        DemandDay.objects.bulk_update(update, ["shipped", "lost", "quantity"], batch_size=500)
        from crossdock.masterdata.models import Company

        audit.record(
            actor,
            audit.Change(
                "planning.demand-history.import",
                Company.objects.get(pk=company_id),
                None,
                {"file": filename, "created": len(create), "updated": len(update)},
            ),
        )
        events.publish(
            DemandHistoryChanged("imported", len(create) + len(update), company_id=company_id)
        )
    return result
