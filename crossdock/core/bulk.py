"""Fast bulk updates of rows already locked by the calling service.

Django's ``bulk_update`` builds one large ``CASE WHEN`` statement per batch,
which both databases evaluate slowly for thousands of rows. When a service
has loaded and locked the rows it is changing, one prepared ``UPDATE … WHERE
id = ?`` run with ``executemany`` is an order of magnitude faster on SQLite
and PostgreSQL alike. Values go through each field's own database
preparation, so fixed-point amounts are scaled exactly as ``save()`` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[models.Model]
) -> int:
    """Write ``fields`` of every row in ``rows`` by primary key; return how many were written."""
    meta = model._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    key = quote(str(meta.pk.column)) if meta.pk is not None else "id"
    # Identifiers come from model metadata and are quoted; values are parameters.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {key} = %s"  # noqa: S608
    parameters = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in columns]
        + [row.pk]
        for row in rows
    ]
    if not parameters:
        return 0
    with connection.cursor() as cursor:
        cursor.executemany(sql, parameters)
    return len(parameters)


def update_values(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Like :func:`update_rows` for plain tuples ``(value, …, pk)`` in ``fields`` order."""
    meta = model._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    key = quote(str(meta.pk.column)) if meta.pk is not None else "id"
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {key} = %s"  # noqa: S608
    parameters = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(columns, row[:-1], strict=True)
        ]
        + [row[-1]]
        for row in rows
    ]
    if not parameters:
        return 0
    with connection.cursor() as cursor:
        cursor.executemany(sql, parameters)
    return len(parameters)


def insert_values(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert plain tuples in ``fields`` order with one prepared statement (no ids returned)."""
    meta = model._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    parameters = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(columns, row, strict=True)
        ]
        for row in rows
    ]
    if not parameters:
        return 0
    with connection.cursor() as cursor:
        cursor.executemany(sql, parameters)
    return len(parameters)
