"""Before/after of an audit entry as a field-by-field diff."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst

from crossdock.masterdata.registry import RECORD_TYPES

_MODELS: dict[str, type[models.Model]] = {rt.model_label: rt.model for rt in RECORD_TYPES}


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    before: str
    after: str
    changed: bool


def object_type_label(object_type: str) -> str:
    model = _MODELS.get(object_type)
    return capfirst(str(model._meta.verbose_name)) if model is not None else object_type


def _label(model: type[models.Model] | None, key: str) -> str:
    if model is None:
        return key
    for name in (key, key.removesuffix("_id")):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        return capfirst(str(getattr(field, "verbose_name", name)))
    return key


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return value or "—"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1)


def diff(object_type: str, before: Any, after: Any) -> list[FieldChange]:
    """Every field present on either side, in the model's field order where known."""
    before_map = before if isinstance(before, dict) else {}
    after_map = after if isinstance(after, dict) else {}
    model = _MODELS.get(object_type)
    keys = list(dict.fromkeys([*before_map, *after_map]))
    if model is not None:
        order = {f.attname: i for i, f in enumerate(model._meta.concrete_fields)}
        keys.sort(key=lambda k: order.get(k, len(order)))
    return [
        FieldChange(
            key,
            _label(model, key),
            _text(before_map.get(key)),
            _text(after_map.get(key)),
            before_map.get(key) != after_map.get(key) or (key in before_map) != (key in after_map),
        )
        for key in keys
    ]


def changed_fields(object_type: str, before: Any, after: Any) -> list[FieldChange]:
    """Only what changed, leaving out the bookkeeping the service bumps on every save."""
    noise = {"version", "updated_at"}
    return [c for c in diff(object_type, before, after) if c.changed and c.name not in noise]
