"""Writing generated rows: preassigned primary keys and one prepared ``INSERT`` per table.

The history is written with ``executemany`` in large chunks, never ORM objects one by one.
Columns are given as stored values (fixed-point amounts already scaled to integers, see
:mod:`crossdock.core.fields`); every column not given gets its field's default, prepared
once. Primary keys are preassigned from the table's current maximum, so the rows of one
table can name those of another before either is written; :func:`reset_sequences` then
moves PostgreSQL's sequences past them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

CHUNK = 20_000
Column = Sequence[Any] | np.ndarray | Any


def next_ids(model: type[models.Model], count: int) -> np.ndarray:
    """``count`` fresh primary keys for ``model``, after every row it holds now."""
    start = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
    return np.arange(start, start + count, dtype=np.int64)


def stamp(moment: datetime.datetime) -> str:
    """A UTC instant as the backend stores a ``DateTimeField`` given as text."""
    text = moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return text if connection.vendor == "sqlite" else f"{text}+00:00"


def day_text(days: np.ndarray) -> list[str]:
    """Dates (days since 1970-01-01) as ISO text."""
    text: Any = np.datetime_as_string(days.astype("datetime64[D]"))
    return list(text.tolist())


def at_hour(days: np.ndarray, hour: int) -> list[str]:
    """Dates (days since 1970-01-01) at ``hour`` UTC, as stored ``DateTimeField`` text."""
    seconds: Any = days.astype("datetime64[D]").astype("datetime64[s]") + np.timedelta64(hour, "h")
    text: Any = np.char.replace(np.datetime_as_string(seconds, unit="s"), "T", " ")
    if connection.vendor != "sqlite":
        text = np.char.add(text, "+00:00")
    return list(text.tolist())


def insert(model: type[models.Model], count: int, columns: dict[str, Column]) -> int:
    """Insert ``count`` rows; ``columns`` maps field attnames to one value per row or a scalar.

    Scalars and defaults are stored as given (already in stored form for scalars).
    """
    if not count:
        return 0
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    given = dict(columns)
    if "id" in given:
        fields = [model._meta.pk, *fields]
    values: list[Any] = []
    for field in fields:
        if field.attname in given:
            value = given.pop(field.attname)
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = stamp(timezone.now())
        elif field.null:
            value = None
        else:
            value = field.get_db_prep_save(field.get_default(), connection)
        if isinstance(value, np.ndarray | list | tuple | Nullable):
            assert len(value) == count, f"{field.attname}: one value per row is needed"
            values.append(value)
        else:
            values.append(_Repeat(value))
    assert not given, f"unknown columns for {model.__name__}: {sorted(given)}"
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, count, CHUNK):
            stop = min(start + CHUNK, count)
            chunk = [_slice(column, start, stop) for column in values]
            cursor.executemany(sql, list(zip(*chunk, strict=True)))
    return count


class Nullable:
    """Integer keys where a negative number stands for NULL (an optional foreign key)."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys

    def __len__(self) -> int:
        return len(self.keys)


class _Repeat:
    """One value for every row of a column."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _slice(column: Any, start: int, stop: int) -> list[Any]:
    if isinstance(column, _Repeat):
        return [column.value] * (stop - start)
    if isinstance(column, np.ndarray):
        return list(column[start:stop].tolist())
    if isinstance(column, Nullable):
        return [None if key < 0 else key for key in column.keys[start:stop].tolist()]
    return list(column[start:stop])


def reset_sequences(*model_list: type[models.Model]) -> None:
    """Move the database's id sequences past the preassigned keys (PostgreSQL; no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def add_to_quants(product: np.ndarray, location: np.ndarray, quantity: np.ndarray) -> int:
    """Add stored quantities to the quants (no lot) of partner locations, creating missing ones.

    Partner locations (suppliers, customers) keep quants like any other so that the quants
    stay the sum of the done move lines; they may go negative.
    """
    from crossdock.core.bulk import update_values
    from crossdock.inventory.models import Quant

    keys = np.stack([product, location])
    unique, group = np.unique(keys, axis=1, return_inverse=True)
    delta = np.zeros(unique.shape[1], dtype=np.int64)
    np.add.at(delta, group.ravel(), quantity)
    wanted = {
        (p, loc): d
        for p, loc, d in zip(unique[0].tolist(), unique[1].tolist(), delta.tolist(), strict=True)
    }
    field = Quant._meta.get_field("quantity")
    existing = Quant.objects.filter(
        lot__isnull=True, location_id__in=sorted(set(unique[1].tolist()))
    ).values_list("product_id", "location_id", "pk", "quantity")
    updates = []
    for p, loc, pk, current in existing.iterator(chunk_size=10_000):
        if (p, loc) in wanted:
            stored = int(field.get_prep_value(current) or 0) + wanted.pop((p, loc))
            updates.append((_decimal(stored), pk))
    update_values(Quant, ["quantity"], updates)
    new = list(wanted.items())
    return len(updates) + insert(
        Quant,
        len(new),
        {
            "product_id": [p for (p, _), _ in new],
            "location_id": [loc for (_, loc), _ in new],
            "quantity": [d for _, d in new],
            "reserved": 0,
            "allow_negative": True,
            "in_date": stamp(timezone.now()),
        },
    )


def _decimal(stored: int) -> Any:
    from decimal import Decimal

    return Decimal(stored).scaleb(-6)


@contextmanager
def triggers_suspended(*names: str) -> Iterator[None]:
    """On SQLite, drop the named triggers for the block and create them again after it.

    For rows checked before they are written (balanced entries of new, unposted-before
    lines): SQLite runs a row trigger's subquery for each of millions of rows, the cost of
    most of the write. Call it inside the transaction: a failure restores the triggers with
    the rollback. PostgreSQL keeps its triggers.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        saved = [(name, sql) for name, sql in cursor.fetchall() if name in names]
        for name, _ in saved:
            cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _, sql in saved:
                cursor.execute(sql)
