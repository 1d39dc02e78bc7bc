"""The finance reports as tables (header + rows) for JSON, CSV and XLSX alike."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

from crossdock.accounting.statements import (
    AgedRow,
    GrniRow,
    Statement,
    aged_totals,
    bucket_labels,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def statement_table(statement: Statement) -> tuple[list[str], list[list[Any]]]:
    extra = [*statement.companies, "Eliminations"] if statement.companies else []
    header = ["section", "code", "name", *extra, "amount"]
    rows: list[list[Any]] = []
    for _section, label, lines, total in statement.sections:
        for row in lines:
            rows.append([label, row.code, row.name, *row.columns, row.amount])
        rows.append([label, "", f"Total {label.lower()}", *([""] * len(extra)), total])
    return header, rows


def aged_table(
    rows: Sequence[AgedRow], buckets: Sequence[int]
) -> tuple[list[str], list[list[Any]]]:
    labels = bucket_labels(buckets)
    header = ["partner_id", "partner", *labels, "Unapplied", "Total"]
    body: list[list[Any]] = [
        [r.partner_id, r.partner, *r.buckets, r.unapplied, r.total] for r in rows
    ]
    columns, unapplied = aged_totals(rows, len(labels))
    body.append(["", "Total", *columns, unapplied, sum(columns, Decimal(0)) - unapplied])
    return header, body


def grni_table(rows: Sequence[GrniRow]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "move", "reference", "partner", "product", "received_quantity", "received_value",
        "billed_quantity", "billed_value", "open_quantity", "open_value",
    ]  # fmt: skip
    body: list[list[Any]] = [
        [
            r.move_id, r.reference, r.partner, r.product, r.received_quantity, r.received_value,
            r.billed_quantity, r.billed_value, r.open_quantity, r.open_value,
        ]
        for r in rows
    ]  # fmt: skip
    return header, body


def json_rows(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    return [
        {name: (str(value) if isinstance(value, Decimal) else value) for name, value in zip(
            header, row, strict=True
        )}
        for row in rows
    ]  # fmt: skip


def file_response(
    filename: str, header: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str
) -> HttpResponse:
    """The table as a CSV or XLSX download (numbers stay numbers in the spreadsheet)."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
        name = f"{filename}.xlsx"
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(rows)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
        name = f"{filename}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
