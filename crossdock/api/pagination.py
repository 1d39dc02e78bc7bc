"""Keyset (cursor) pagination.

Design overview
---------------
A page is the first ``limit`` rows after the cursor in the order
``(ordering field, id)``, both ascending or both descending, so paging is
stable while rows are added or removed and costs the same on page 1 and page
1000 (no OFFSET). The cursor is opaque to clients: URL-safe base64 of a small
JSON document holding the ordering it was made for, the last row's ordering
value (as text, parsed back by the model field) and its id. A cursor made for
another ordering, or not made by us at all, is refused with a 422 naming
``cursor``.

NULL ordering values sort first ascending and last descending, on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from crossdock.core.errors import DomainError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None


def _bad_cursor() -> DomainError:
    return DomainError(
        "cursor: not a cursor of this list; start again without one.",
        fields={"cursor": ["Invalid cursor."]},
    )


def encode_cursor(ordering: str, value: Any, pk: int) -> str:
    text = None if value is None else str(value)
    raw = json.dumps({"o": ordering, "v": text, "i": pk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, ordering: str, field: models.Field) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("o") != ordering:
            raise _bad_cursor()
        pk = data["i"]
        text = data["v"]
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63:
            raise _bad_cursor()
        if text is not None and (not isinstance(text, str) or "\x00" in text):
            raise _bad_cursor()
        value = None if text is None else field.to_python(text)
    except (ValueError, TypeError, KeyError, ValidationError, binascii.Error) as exc:
        raise _bad_cursor() from exc
    return value, pk


def paginate(queryset: models.QuerySet[Any], ordering: str, cursor: str | None, limit: int) -> Page:
    """One page of ``queryset`` ordered by ``ordering`` (``name`` or ``-name``) then id."""
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")
    field = queryset.model._meta.get_field(name)
    assert isinstance(field, models.Field)
    attname = field.attname
    if descending:
        order = [F(attname).desc(nulls_last=True), F("pk").desc()]
    else:
        order = [F(attname).asc(nulls_first=True), F("pk").asc()]
    queryset = queryset.order_by(*order)
    if cursor:
        value, pk = decode_cursor(cursor, ordering, field)
        queryset = queryset.filter(_after(attname, value, pk, descending=descending))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    return Page(rows, encode_cursor(ordering, getattr(last, attname), last.pk))


def _after(attname: str, value: Any, pk: int, *, descending: bool) -> Q:
    """Rows strictly after ``(value, pk)`` in the page order."""
    if descending:
        if value is None:
            return Q(**{f"{attname}__isnull": True, "pk__lt": pk})
        return (
            Q(**{f"{attname}__lt": value})
            | Q(**{attname: value, "pk__lt": pk})
            | Q(**{f"{attname}__isnull": True})
        )
    if value is None:
        return Q(**{f"{attname}__isnull": True, "pk__gt": pk}) | Q(**{f"{attname}__isnull": False})
    return Q(**{f"{attname}__gt": value}) | Q(**{attname: value, "pk__gt": pk})
