"""Request and response schemas, built from the master-data record types.

Design overview
---------------
Each :class:`~crossdock.masterdata.registry.RecordType` gets four pydantic
schemas, derived from its model's fields so the API, the OpenAPI document and
the model can never drift apart:

* ``<Model>Out`` — every concrete field, plus ``display`` (the row's label);
* ``<Model>Create`` — the record type's ``form_fields``; required where the
  model requires them;
* ``<Model>Patch`` — the same fields, all optional (only fields sent change),
  plus ``version`` for optimistic concurrency;
* ``<Model>ListParams`` — cursor, limit, ``q``, ``ordering`` and one optional
  query parameter per ``filter_fields`` entry.

Conventions: a foreign key is sent and returned under the field's own name as
the related row's id (``"company": 3``, also ``?company=3``). Money, quantities
and rates are decimal strings (``"12.50"``); input also accepts JSON integers
but never JSON floats, which cannot hold exact decimals; output always uses the
field's full scale (``"12.5000"``). Unknown body fields are refused. Strings
may not contain NUL characters.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db import models
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    create_model,
)

from crossdock.core.fields import INT64_MAX, FixedDecimalField
from crossdock.masterdata.registry import RecordType

INT32_MAX = 2**31 - 1
MAX_DIGITS = 18
MAX_QUERY_TEXT = 200


def _no_float(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("Expected a decimal number.")
    if isinstance(value, float):
        raise ValueError('Send decimals as strings, e.g. "12.50": floats are not exact.')
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("Not a decimal number.")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Id = Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)]
QueryId = Annotated[int, Field(ge=1, le=INT64_MAX)]


def decimal_type(scale: int) -> Any:
    """A decimal of at most ``scale`` places: strings or integers in, strings out."""
    fraction = rf"(\.\d{{1,{scale}}})?" if scale else ""
    return Annotated[
        Decimal,
        BeforeValidator(_no_float),
        Field(max_digits=MAX_DIGITS, decimal_places=scale, allow_inf_nan=False),
        WithJsonSchema(
            {
                "type": "string",
                "format": "decimal",
                "pattern": rf"^-?\d+{fraction}$",
                "examples": ["12.50"],
            },
            mode="validation",
        ),
        WithJsonSchema({"type": "string", "format": "decimal"}, mode="serialization"),
    ]


def _int_bounds(field: models.Field) -> tuple[int, int]:
    if isinstance(field, models.PositiveSmallIntegerField):
        return 0, 32767
    if isinstance(field, models.PositiveIntegerField | models.PositiveBigIntegerField):
        return 0, INT64_MAX if isinstance(field, models.PositiveBigIntegerField) else INT32_MAX
    if isinstance(field, models.SmallIntegerField):
        return -32768, 32767
    if isinstance(field, models.BigIntegerField | models.BigAutoField):
        return -INT64_MAX, INT64_MAX
    return -INT32_MAX - 1, INT32_MAX


def value_type(field: models.Field, *, strict: bool = True) -> Any:
    """The pydantic type of one model field's value (``strict`` for JSON bodies)."""
    if isinstance(field, models.ForeignKey):
        return Id if strict else QueryId
    if isinstance(field, FixedDecimalField):
        return decimal_type(field.scale)
    if isinstance(field, models.BooleanField):
        return Annotated[bool, Field(strict=strict)]
    if isinstance(field, models.IntegerField | models.AutoField):
        low, high = _int_bounds(field)
        return Annotated[int, Field(strict=strict, ge=low, le=high)]
    if isinstance(field, models.DateTimeField):
        return datetime.datetime
    if isinstance(field, models.DateField):
        return datetime.date
    if isinstance(field, models.JSONField):
        return Any
    if field.choices:
        values = tuple(str(value) for value, _ in field.flatchoices)
        if field.blank:
            values = ("", *values) if "" not in values else values
        return Literal[values]
    if isinstance(field, models.CharField | models.TextField):
        return Annotated[Text, Field(max_length=field.max_length)]
    return Text


@dataclass(frozen=True)
class FieldSpec:
    """One model field as the API shows it."""

    name: str
    attname: str
    field: models.Field

    @property
    def is_reference(self) -> bool:
        return isinstance(self.field, models.ForeignKey)

    @property
    def nullable(self) -> bool:
        return bool(self.field.null)

    @property
    def required(self) -> bool:
        field = self.field
        return not (field.has_default() or field.null or field.blank)


def field_specs(model: type[models.Model], names: tuple[str, ...] | None = None) -> list[FieldSpec]:
    fields: list[models.Field] = (
        [model._meta.get_field(n) for n in names]  # type: ignore[misc]
        if names is not None
        else list(model._meta.concrete_fields)
    )
    return [FieldSpec(f.name, f.attname, f) for f in fields]


def _description(spec: FieldSpec) -> str | None:
    field = spec.field
    if isinstance(field, models.ForeignKey):
        return f"Id of the {field.related_model._meta.verbose_name}."
    help_text = str(field.help_text or "")
    return help_text or None


def _input_field(spec: FieldSpec, *, optional: bool) -> tuple[Any, Any]:
    annotation = value_type(spec.field)
    if spec.nullable:
        annotation = annotation | None
    description = _description(spec)
    if optional:
        # Omitted means "unchanged"; explicit null is only valid for nullable fields.
        return annotation, Field(default=None, description=description)
    if spec.required:
        return annotation, Field(description=description)
    default = spec.field.get_default()
    if isinstance(default, models.Model) or callable(default):
        default = None
    elif isinstance(spec.field, FixedDecimalField) and default is not None:
        default = str(Decimal(default))  # documented as sent: a decimal string
    return annotation, Field(default=default, description=description)


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


def input_schema(
    model: type[models.Model], names: tuple[str, ...], schema_name: str
) -> type[Schema]:
    """A request body with the given model fields; required where the model requires them."""
    fields: dict[str, Any] = {
        spec.name: _input_field(spec, optional=False) for spec in field_specs(model, names)
    }
    return create_model(schema_name, __base__=InputSchema, **fields)


def create_schema(record_type: RecordType) -> type[Schema]:
    model = record_type.model
    return input_schema(model, record_type.form_fields, f"{model.__name__}Create")


def patch_schema(record_type: RecordType) -> type[Schema]:
    name = record_type.model.__name__
    fields: dict[str, Any] = {
        spec.name: _input_field(spec, optional=True)
        for spec in field_specs(record_type.model, record_type.form_fields)
    }
    fields["version"] = (
        Id | None,
        Field(default=None, description="The version you edited; refused (412) if stale."),
    )
    return create_model(f"{name}Patch", __base__=InputSchema, **fields)


def output_schema(record_type: RecordType) -> type[Schema]:
    name = record_type.model.__name__
    fields: dict[str, Any] = {}
    for spec in field_specs(record_type.model):
        annotation = int if spec.is_reference else value_type(spec.field, strict=False)
        if spec.nullable:
            annotation = annotation | None
        fields[spec.name] = (annotation, Field(description=_description(spec)))
    fields["display"] = (str, Field(description="How the record is labelled in the UI."))
    return create_model(f"{name}Out", __base__=Schema, **fields)


def page_schema(record_type: RecordType, item: type[Schema]) -> type[Schema]:
    name = record_type.model.__name__
    return create_model(
        f"{name}Page",
        __base__=Schema,
        items=(list[item], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, Field(description="Pass as ?cursor= for the next page.")),
    )


def ordering_values(record_type: RecordType) -> tuple[str, ...]:
    return tuple(v for f in record_type.ordering_fields for v in (f, f"-{f}"))


def default_ordering(record_type: RecordType) -> str:
    return record_type.ordering_fields[0] if record_type.ordering_fields else "id"


def list_params_schema(record_type: RecordType, *, export: bool = False) -> type[Schema]:
    """Query parameters of a list (or export): paging, search, ordering and filters."""
    name = record_type.model.__name__
    fields: dict[str, Any] = {}
    if export:
        fields["format"] = (
            Literal["csv", "xlsx"],
            Field(default="csv", description="File format."),
        )
    else:
        fields["cursor"] = (
            Text | None,
            Field(default=None, max_length=1000, description="From the previous page."),
        )
        fields["limit"] = (int, Field(default=50, ge=1, le=500, description="Rows per page."))
    if record_type.search_fields:
        fields["q"] = (
            Text | None,
            Field(
                default=None,
                max_length=MAX_QUERY_TEXT,
                description="Search " + ", ".join(record_type.search_fields) + " (contains).",
            ),
        )
    orderings = ordering_values(record_type)
    if orderings:
        fields["ordering"] = (
            Literal[orderings] | None,
            Field(
                default=None,
                description=f"Sort order; default {default_ordering(record_type)}.",
            ),
        )
    for spec in field_specs(record_type.model, record_type.filter_fields):
        fields[spec.name] = (
            value_type(spec.field, strict=False) | None,
            Field(default=None, description=f"Only rows with this {spec.name}."),
        )
    suffix = "ExportParams" if export else "ListParams"
    return create_model(f"{name}{suffix}", __base__=Schema, **fields)


def serialize(obj: models.Model) -> dict[str, Any]:
    """A row as the API returns it: foreign keys by id, decimals as strings."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, datetime.date):  # also datetime
            value = value.isoformat()
        data[field.name] = value
    data["display"] = str(obj)
    return data
