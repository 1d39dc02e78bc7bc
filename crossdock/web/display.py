"""How a field value reads on a page: choices by label, exact amounts, links to related rows."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from crossdock.core.fields import FixedDecimalField, MoneyField
from crossdock.masterdata.registry import BY_MODEL

EMPTY = "—"


@dataclass(frozen=True)
class Shown:
    """One value as displayed: its text, an optional link and a kind for styling."""

    text: str
    url: str = ""
    kind: str = "text"  # text, number, bool, empty


def format_decimal(value: Decimal, min_places: int = 0) -> str:
    """Exact, without trailing zeros beyond ``min_places``, thousands grouped."""
    normalized = value.normalize()
    places = max(min_places, -normalized.as_tuple().exponent)  # type: ignore[operator]
    return f"{value:,.{places}f}"


def detail_url(instance: models.Model) -> str:
    record_type = BY_MODEL.get(type(instance))
    if record_type is None or instance.pk is None:
        return ""
    return reverse("web:record_detail", args=[record_type.slug, instance.pk])


def field_label(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    return capfirst(str(getattr(field, "verbose_name", name)))


def show_value(value: Any, field: models.Field | None = None) -> Shown:
    """Format a plain value (no relations)."""
    if value is None or value == "":
        return Shown(EMPTY, kind="empty")
    if isinstance(value, bool):
        return Shown("Yes" if value else "No", kind="bool")
    if isinstance(value, Decimal):
        min_places = 2 if isinstance(field, MoneyField) else 0
        return Shown(format_decimal(value, min_places), kind="number")
    if isinstance(value, int) and not isinstance(field, FixedDecimalField):
        return Shown(str(value), kind="number")
    if isinstance(value, datetime.datetime):
        return Shown(timezone.localtime(value).strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, datetime.date):
        return Shown(value.isoformat())
    return Shown(str(value))


def show_field(
    instance: models.Model, name: str, may_link: Callable[[type[models.Model]], bool]
) -> Shown:
    """Format ``instance.<name>``; related rows link to their page when ``may_link`` allows."""
    field = instance._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        related = getattr(instance, name)
        if related is None:
            return Shown(EMPTY, kind="empty")
        url = detail_url(related) if may_link(type(related)) else ""
        return Shown(str(related), url)
    if getattr(field, "choices", None):
        value = getattr(instance, name)
        if value in (None, ""):
            return Shown(EMPTY, kind="empty")
        return Shown(str(getattr(instance, f"get_{name}_display")()))
    return show_value(getattr(instance, name), field)  # type: ignore[arg-type]
