"""Bulk writes of the replenishment run: prepared statements over precomputed rows.

Design overview
---------------
Django's ``bulk_create`` and ``bulk_update`` prepare every value of every row through the
field (for the fixed-point fields: parse, check and scale a Decimal), and ``bulk_update``
builds one ``CASE WHEN`` per column and batch — at 150,000 items × 25 columns that is most
of a run. Here the run hands over values already in their stored form (scaled integers,
adapted dates, JSON text), computed column by column with NumPy, and each table gets one
prepared statement run with ``executemany``:

- :func:`upsert_items` — ``INSERT … ON CONFLICT (product, warehouse) DO UPDATE`` of the
  run's columns (classification columns of existing items are left alone);
- :func:`insert_rows` — plain ``INSERT`` of new suggestions and exceptions;
- :func:`update_rows` — ``UPDATE … WHERE id = %s`` for the exceptions whose text changed.

The statements run inside the caller's transaction; nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, models

from crossdock.core.fields import QUANTITY_SCALE
from crossdock.planning.models import PlanningItem
from crossdock.planning.services.positions import StockPosition

BATCH = 5000
POSITION_FIELDS = ("on_hand", "open_supply", "backordered", "projected")


def _identity(text: str) -> str:
    return text


def json_value(text: str) -> Any:
    """JSON text as the parameter the database's JSON column takes."""
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        return Jsonb(text, dumps=_identity)
    return text


def forecast_texts(mean: np.ndarray) -> list[Any]:
    """Each row's buckets as the JSON list of 3-decimal strings the item stores."""
    texts = []
    for row in np.asarray(mean, dtype=np.float64).tolist():
        texts.append(json_value('["' + '", "'.join(map("{:.3f}".format, row)) + '"]'))
    if mean.shape[1] == 0:
        return [json_value(json.dumps([]))] * mean.shape[0]
    return texts


def stored(value: Decimal, scale: int = QUANTITY_SCALE) -> int:
    """The integer a fixed-point field of ``scale`` stores for ``value`` (exact or refused)."""
    shifted = value.scaleb(scale)
    whole = int(shifted)
    if whole != shifted:
        raise ValueError(f"{value} has more than {scale} decimal places")
    return whole


def position_columns(
    keys: Sequence[tuple[int, int]], positions: dict[tuple[int, int], StockPosition]
) -> list[list[int]]:
    """On hand, open supply, backordered and projected of every key, stored."""
    columns: list[list[int]] = [[0] * len(keys) for _ in POSITION_FIELDS]
    for index, key in enumerate(keys):
        position = positions.get(key)
        if position is None:
            continue
        for column, name in zip(columns, POSITION_FIELDS, strict=True):
            column[index] = stored(getattr(position, name))
    return columns


def _quoted(model: type[models.Model], names: Sequence[str]) -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    meta = model._meta
    fields: list[Any] = [meta.get_field(name) for name in names]
    return quote(meta.db_table), [quote(field.column) for field in fields]


def _execute(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def _defaults(model: type[models.Model], fields: Sequence[str]) -> tuple[list[str], tuple]:
    """The columns not in ``fields`` and the stored defaults they take on insert."""
    extra: list[Any] = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in fields and f.attname not in fields
    ]
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in extra]
    return columns, tuple(f.get_db_prep_save(f.get_default(), connection) for f in extra)


def _insert_sql(model: type[models.Model], fields: Sequence[str]) -> tuple[str, tuple]:
    table, columns = _quoted(model, fields)
    extra, defaults = _defaults(model, fields)
    names = ", ".join(columns + extra)
    marks = ", ".join(["%s"] * (len(columns) + len(extra)))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})", defaults  # noqa: S608


def upsert_items(fields: Sequence[str], updated: Sequence[str], rows: Sequence[Any]) -> None:
    """Insert or update items; ``rows`` hold stored values of ``fields`` in order (other
    columns take their defaults on insert); on conflict only ``updated`` change."""
    sql, defaults = _insert_sql(PlanningItem, fields)
    _, columns = _quoted(PlanningItem, updated)
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns)
    sql += f" ON CONFLICT (product_id, warehouse_id) DO UPDATE SET {updates}"
    _execute(sql, [tuple(row) + defaults for row in rows] if defaults else rows)


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Any]) -> None:
    """Insert rows of stored values of ``fields`` (other columns take their defaults; no
    ids come back)."""
    sql, defaults = _insert_sql(model, fields)
    _execute(sql, [tuple(row) + defaults for row in rows] if defaults else rows)


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Any]) -> None:
    """Update ``fields`` by primary key; ``rows`` hold stored values then the key."""
    table, columns = _quoted(model, fields)
    assignments = ", ".join(f"{column} = %s" for column in columns)
    _execute(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)  # noqa: S608
