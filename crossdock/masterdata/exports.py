"""Exporting a list of master-data records to CSV or XLSX.

Design overview
---------------
The columns are the record type's ``list_fields`` under their verbose names.
Rows are read set-based: one ``values_list`` query (joins instead of
``select_related`` instances, no per-row queries) streamed with
``.iterator(chunk_size=2000)``. A foreign key is written as the natural key of
the row it points to (a category's path, a unit's or currency's code), choices
as their stored value and booleans as ``true``/``false`` — so an export can be
edited and imported again unchanged.

Exactness: a ``Decimal`` never passes through ``float``.

* CSV: the exact decimal text at the field's scale (``12.9900``).
* XLSX: a *number* cell whose stored text is the exact decimal (openpyxl is
  told the cell is numeric but given the decimal string, so no binary
  conversion happens on our side), as long as the value has at most 15
  significant digits — what Excel shows and recalculates without loss. A value
  with more digits is written as a text cell, so nothing is ever rounded.

Text a spreadsheet would run as a formula is guarded: CSV cells get an
apostrophe prefix (imports remove it), XLSX cells are forced to text.

The caller passes a queryset already ``restrict()``-ed to the user; this module
never widens it.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.text import capfirst

from crossdock.core.errors import DomainError
from crossdock.core.fields import MoneyField
from crossdock.masterdata.registry import BY_MODEL, RecordType
from crossdock.masterdata.tabular import guard_formula

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
CHUNK_SIZE = 2000
EXCEL_DIGITS = 15
_ACRONYMS = {"sku": "SKU", "gtin": "GTIN", "id": "ID", "m3": "m³"}


def export_rows(
    record_type: RecordType, queryset: models.QuerySet[Any], fmt: str
) -> tuple[bytes, str, str]:
    """Render ``queryset`` as ``fmt`` ("csv" or "xlsx"): (content, content type, file name)."""
    if fmt not in FORMATS:
        raise DomainError(
            f"format: unknown export format {fmt!r}; use csv or xlsx.",
            fields={"format": [f"Choose one of: {', '.join(FORMATS)}."]},
        )
    columns = export_columns(record_type)
    rows = _rows(queryset, columns)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"{record_type.slug}-{stamp}.{fmt}"
    if fmt == "csv":
        return _csv(columns, rows), CSV_CONTENT_TYPE, filename
    return _xlsx(record_type, columns, rows), XLSX_CONTENT_TYPE, filename


class Column:
    """One exported column: the model field, its header and the lookup that reads it."""

    def __init__(self, field: models.Field[Any, Any]) -> None:
        self.field = field
        self.name = field.name
        self.header = column_header(field)
        self.lookup = _lookup_of(field)


def export_columns(record_type: RecordType) -> list[Column]:
    return [Column(record_type.model._meta.get_field(name)) for name in record_type.list_fields]


def column_header(field: models.Field[Any, Any]) -> str:
    words = str(field.verbose_name).split(" ")
    return capfirst(" ".join(_ACRONYMS.get(word, word) for word in words)) or field.name


def natural_key_field(model: type[models.Model]) -> str:
    """The field naming a row of ``model`` in files (its code, path or name)."""
    record_type = BY_MODEL.get(model)
    if record_type is not None:
        names = [name for name in record_type.natural_key if name != "company"]
        if len(names) == 1:
            return names[0]
    return "pk"


def _lookup_of(field: models.Field[Any, Any]) -> str:
    if field.is_relation and field.many_to_one and field.related_model is not None:
        related = field.related_model
        assert isinstance(related, type)
        return f"{field.name}__{natural_key_field(related)}"
    return field.name


def _rows(queryset: models.QuerySet[Any], columns: list[Column]) -> Iterator[tuple[Any, ...]]:
    if not queryset.ordered:
        queryset = queryset.order_by("pk")
    lookups = [column.lookup for column in columns]
    return queryset.values_list(*lookups).iterator(chunk_size=CHUNK_SIZE)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return guard_formula(value)
    return str(value)


def _csv(columns: list[Column], rows: Iterator[tuple[Any, ...]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.header for column in columns])
    for row in rows:
        writer.writerow([_text(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _xlsx(record_type: RecordType, columns: list[Column], rows: Iterator[tuple[Any, ...]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=record_type.label_plural[:31])
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = "A2"
    formats = [_number_format(column.field) for column in columns]
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value, formats[i]) for i, value in enumerate(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _number_format(field: models.Field[Any, Any]) -> str:
    if isinstance(field, MoneyField):
        return "#,##0.00##"
    return "General"


def _xlsx_cell(sheet: Any, value: Any, number_format: str) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Decimal):
        normalized = value.normalize()
        cell = WriteOnlyCell(sheet, value=format(normalized, "f"))
        if len(normalized.as_tuple().digits) <= EXCEL_DIGITS:
            cell.data_type = "n"  # the exact decimal text goes into the file as the number
            cell.number_format = number_format
        return cell
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return value
    cell = WriteOnlyCell(sheet, value=str(value))
    cell.data_type = "s"  # never a formula or an error code, whatever the text
    return cell
