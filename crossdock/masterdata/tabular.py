"""Reading spreadsheets (CSV and XLSX) into rows of text, for imports.

Design overview
---------------
Imports see every file the same way: a header and data rows of plain strings,
each row carrying the number a person sees in a spreadsheet (the header is
row 1). Typing a cell is the importer's job, done per model field, so a CSV
and an XLSX with the same content import identically.

Numbers in XLSX files are stored as binary doubles; openpyxl hands them back
as ``float``. They are turned into text through ``repr`` — the shortest
decimal that reads back as the same double — so a cell showing ``12.99``
becomes the exact string ``"12.99"`` and never ``12.9900000000000002131``.
A cell holding a computed value with binary noise (``0.30000000000000004``)
stays noisy and is then refused for having too many decimal places, rather
than being rounded silently.

Spreadsheet programs run text starting with ``=``, ``+``, ``-`` or ``@`` as a
formula; exports therefore prefix such text with an apostrophe in CSV
(:func:`guard_formula`) and imports take it off again (:func:`unguard_formula`).
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crossdock.core.errors import DomainError

MAX_ROWS = 100_000
FORMULA_STARTS = ("=", "@", "\t", "\r")
SIGNS = ("+", "-")


@dataclass(frozen=True)
class Table:
    """The header cells and the data rows (row number, cells) of one sheet."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    delimiter: str = ","


def guard_formula(text: str) -> str:
    """Prefix text a spreadsheet would run as a formula with an apostrophe."""
    if text.startswith(FORMULA_STARTS) or (
        text.startswith(SIGNS) and any(c.isalpha() or c in "(|!" for c in text)
    ):
        return "'" + text
    return text


def unguard_formula(text: str) -> str:
    """Undo :func:`guard_formula` (an apostrophe followed by a formula start)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS + SIGNS):
        return text[1:]
    return text


def file_is_xlsx(filename: str, content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))


def read_table(filename: str, content: bytes) -> Table:
    """Read the first sheet of an XLSX or a UTF-8 CSV (``,`` or ``;`` separated)."""
    table = _read_xlsx(content) if file_is_xlsx(filename, content) else _read_csv(content)
    if not any(cell.strip() for cell in table.header):
        raise DomainError("file: the file is empty (no header row).", fields={"file": ["Empty."]})
    if len(table.rows) > MAX_ROWS:
        raise DomainError(
            f"file: at most {MAX_ROWS:,} rows can be imported at once; split the file.",
            fields={"file": ["Too many rows."]},
        )
    return table


def _read_csv(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError(
            "file: the file is not UTF-8 text; save it as “CSV UTF-8” or as an Excel workbook.",
            fields={"file": ["Not UTF-8."]},
        ) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    if "," not in first_line and ";" not in first_line and "\t" in first_line:
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise DomainError(
            f"file: line {reader.line_num} is not valid CSV ({exc}).",
            fields={"file": [str(exc)]},
        ) from exc
    if not records:
        return Table([], [], delimiter)
    rows = [(number, record) for number, record in enumerate(records[1:], start=2)]
    return Table(records[0], rows, delimiter)


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise DomainError(
            "file: the file is not a readable Excel workbook (.xlsx).",
            fields={"file": ["Unreadable workbook."]},
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        records = [
            [cell_text(value) for value in values] for values in sheet.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    if not records:
        return Table([], [])
    rows = [(number, record) for number, record in enumerate(records[1:], start=2)]
    return Table(records[0], rows)


def cell_text(value: Any) -> str:
    """The text of one spreadsheet cell (exact for numbers; see the module docs)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)
