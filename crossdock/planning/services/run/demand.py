"""The demand window of a company read in one pass, as integer arrays.

Design overview
---------------
A run reads the window's demand once: every row for a full run (the forecasts need the
days), one summary row per series for a run reusing forecasts. Both are plain SQL over
integers (the day as its ordinal, the quantity as stored):

- the rows come back as **one text value** (``group_concat`` on SQLite, ``string_agg`` on
  PostgreSQL) that NumPy parses in C — 3.6 million rows as 18 million Python integers
  and tuples would cost more than the query;
- on SQLite the table is read **in storage order** (``NOT INDEXED``): the window is
  typically most of the company's history, and walking the ``(company, day)`` index
  then fetching each row from the table is about three times slower than the scan.
"""

from __future__ import annotations

import datetime

import numpy as np
from django.db import connection

from crossdock.planning.models import DemandDay

FLAGGED = "CASE WHEN is_outlier OR is_promotion THEN 1 ELSE 0 END"
ROW_COLUMNS = 5  # product, warehouse, day ordinal, stored quantity, flagged (0/1)
SUMMARY_COLUMNS = 6  # product, warehouse, rows, rows <= 0, last positive day ordinal, flagged


def _source() -> str:
    table = connection.ops.quote_name(DemandDay._meta.db_table)
    return f"{table} NOT INDEXED" if connection.vendor == "sqlite" else table


def _where(company_id: int, start: datetime.date, end: datetime.date) -> tuple[str, list]:
    ops = connection.ops
    return (
        "company_id = %s AND day >= %s AND day < %s",
        [company_id, ops.adapt_datefield_value(start), ops.adapt_datefield_value(end)],
    )


def window_rows(company_id: int, start: datetime.date, end: datetime.date) -> np.ndarray:
    """Every demand row of the company from ``start`` (inclusive) to ``end`` (exclusive) as
    an (n, 5) int64 array of :data:`ROW_COLUMNS`."""
    from crossdock.planning.services.classify import day_ordinal_sql

    columns = ["product_id", "warehouse_id", day_ordinal_sql(), "quantity", FLAGGED]
    if connection.vendor == "sqlite":
        joined = "group_concat(" + " || ',' || ".join(f"({c})" for c in columns) + ", ',')"
    else:
        joined = "string_agg(concat_ws(',', " + ", ".join(columns) + "), ',')"
    where, params = _where(company_id, start, end)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {joined} FROM {_source()} WHERE {where}", params)  # noqa: S608
        (text,) = cursor.fetchone()
    if not text:
        return np.zeros((0, ROW_COLUMNS), dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",").reshape(-1, ROW_COLUMNS)


def window_summary(company_id: int, start: datetime.date, end: datetime.date) -> np.ndarray:
    """One row per (product, warehouse) with demand rows in the window, as an (n, 6) int64
    array of :data:`SUMMARY_COLUMNS` (the last positive day is -1 when there is none)."""
    from crossdock.planning.services.classify import day_ordinal_sql

    where, params = _where(company_id, start, end)
    sql = (
        "SELECT product_id, warehouse_id, COUNT(*), "  # noqa: S608
        "SUM(CASE WHEN quantity <= 0 THEN 1 ELSE 0 END), "
        f"COALESCE(MAX(CASE WHEN quantity > 0 THEN {day_ordinal_sql()} END), -1), "
        f"SUM({FLAGGED}) FROM {_source()} WHERE {where} GROUP BY product_id, warehouse_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return np.array(found, dtype=np.int64).reshape(-1, SUMMARY_COLUMNS)
