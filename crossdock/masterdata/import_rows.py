"""Turning the rows of an import file into validated plans, set-based.

Design overview
---------------
An :class:`Importer` maps the header to columns, types every cell by its model
field, resolves references through :class:`References` (each referenced table
loaded once into a dictionary), loads the rows already stored under the
file's natural keys in chunked ``__in`` queries, and produces one
:class:`ImportPlan` per good row: a new unsaved instance or a stored one with
the file's changes applied, both passed through the model's ``full_clean``
(skipped for stored rows the file leaves unchanged). The importer itself runs
no query per row; foreign keys are left out of ``full_clean`` because they
were resolved from loaded rows, and uniqueness is checked set-based. A model's
own ``clean`` may still read the database — ``Location.clean`` reads the
parent and warehouse fresh — which costs a few queries per new or changed
location. :mod:`crossdock.masterdata.import_types` holds the importers of each
record type; :mod:`crossdock.masterdata.imports` runs one and writes the plans.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from crossdock.core.context import Actor
from crossdock.core.fields import FixedDecimalField
from crossdock.core.permissions import access_of, can_act_on
from crossdock.masterdata.exports import natural_key_field
from crossdock.masterdata.models import (
    Company,
    PaymentTerm,
    ProductCategory,
    Unit,
    Warehouse,
)
from crossdock.masterdata.registry import RecordType
from crossdock.masterdata.tabular import Table, unguard_formula

CHUNK = 900  # stays under SQLite's limit on query parameters
TRUE = frozenset({"true", "yes", "y", "1", "x", "ja", "oui", "wahr"})
FALSE = frozenset({"false", "no", "n", "0", "nee", "non", "nein", "falsch"})
UNIT_SYMBOLS = {
    "pc": "H87",
    "pcs": "H87",
    "ea": "H87",
    "each": "H87",
    "stk": "H87",
    "kg": "KGM",
    "g": "GRM",
    "t": "TNE",
    "lb": "LBR",
    "lbs": "LBR",
    "l": "LTR",
    "lt": "LTR",
    "ml": "MLT",
    "m3": "MTQ",
    "m³": "MTQ",
    "m": "MTR",
    "cm": "CMT",
    "mm": "MMT",
    "ft": "FOT",
    "m2": "MTK",
    "m²": "MTK",
    "h": "HUR",
}
_NORMALISE = re.compile(r"[^a-z0-9]+")


def normalise_header(text: str) -> str:
    return _NORMALISE.sub("_", text.strip().lower()).strip("_")


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` as a spreadsheet numbers it (header = 1, the whole file = 0)."""

    row: int
    field: str
    message: str


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)


@dataclass
class ImportPlan:
    """What one good row will do: create ``instance`` or apply ``changes`` to it."""

    row: int
    key: tuple[Any, ...]
    label: str
    instance: Any
    is_new: bool
    version: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    gtins: list[str] | None = None
    gtins_change: bool = False
    gtins_to_add: list[str] = field(default_factory=list)
    barcode_ids_to_delete: list[int] = field(default_factory=list)

    def create_data(self) -> dict[str, Any]:
        return dict(self.data)


def chunked(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class References:
    """Every row a file may refer to, loaded once per table into dictionaries.

    Companies and warehouses are limited to those the actor may see, so a code
    from another company reads as unknown and its existence does not leak.
    """

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self._tables: dict[type[models.Model], dict[str, models.Model]] = {}

    def resolve(self, model: type[models.Model], raw: str) -> models.Model:
        table = self._table(model)
        text = raw.strip()
        if model is ProductCategory:
            text = "/".join(part.strip() for part in text.split("/"))
        found = table.get(text.casefold())
        if found is None and model is Unit and text.casefold() in UNIT_SYMBOLS:
            found = table.get(UNIT_SYMBOLS[text.casefold()].casefold())
        if found is None:
            raise ValidationError(self._unknown(model, text))
        return found

    def _unknown(self, model: type[models.Model], text: str) -> str:
        label = model._meta.verbose_name
        if model is ProductCategory:
            return f"No product category with path “{text}”; imports do not create categories."
        if model in (Company, Warehouse):
            return f"No {label} with code “{text}” that you can access."
        return f"No {label} “{text}”."

    def _table(self, model: type[models.Model]) -> dict[str, models.Model]:
        if model not in self._tables:
            self._tables[model] = self._load(model)
        return self._tables[model]

    def _load(self, model: type[models.Model]) -> dict[str, models.Model]:
        queryset: models.QuerySet[Any] = model._default_manager.all()
        access = access_of(self.actor.user) if self.actor.user is not None else None
        if model is Company:
            queryset = queryset.select_related("base_currency")
            if access is not None and access.company_ids is not None:
                queryset = queryset.filter(pk__in=access.company_ids)
        if model is Warehouse:
            queryset = queryset.select_related("company")
            if access is not None and access.company_ids is not None:
                queryset = queryset.filter(company_id__in=access.company_ids)
            if access is not None and access.warehouse_ids is not None:
                queryset = queryset.filter(pk__in=access.warehouse_ids)
        key_field = natural_key_field(model)
        table: dict[str, models.Model] = {}
        names_first = model in (Unit, PaymentTerm)
        rows = list(queryset)
        if names_first:
            for obj in rows:
                table.setdefault(str(obj.name).casefold(), obj)
        for obj in rows:
            table[str(getattr(obj, key_field)).casefold()] = obj
        return table


def parse_value(model_field: models.Field[Any, Any], raw: str, delimiter: str) -> Any:
    """Type one non-empty cell for ``model_field``; raise ``ValidationError`` when it cannot."""
    if isinstance(model_field, FixedDecimalField):
        text = raw.replace(" ", "").replace("\u00a0", "")
        if delimiter == ";" and text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # decimal comma from a European spreadsheet
        return model_field.to_python(text)
    if isinstance(model_field, models.BooleanField):
        folded = raw.strip().casefold()
        if folded in TRUE:
            return True
        if folded in FALSE:
            return False
        raise ValidationError("Use yes or no (true/false, 1/0).")
    if model_field.choices:
        folded = raw.strip().casefold()
        for value, label in model_field.flatchoices:
            if folded in (str(value).casefold(), str(label).casefold()):
                return value
        choices = ", ".join(str(value) for value, _ in model_field.flatchoices)
        raise ValidationError(f"Choose one of: {choices}.")
    if isinstance(model_field, models.IntegerField):
        try:
            number = Decimal(raw.strip())
        except InvalidOperation as exc:
            raise ValidationError("Enter a whole number.") from exc
        if not number.is_finite() or number != number.to_integral_value():
            raise ValidationError("Enter a whole number.")
        return int(number)
    if isinstance(model_field, models.DateField):
        try:
            return datetime.date.fromisoformat(raw.strip()[:10])
        except ValueError as exc:
            raise ValidationError("Enter a date as YYYY-MM-DD.") from exc
    return raw.strip()


def _messages(exc: ValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


class Importer:
    """Validation of one file for one record type; subclasses add the type's rules."""

    model: ClassVar[type[models.Model]]
    key_fields: ClassVar[tuple[str, ...]]
    pseudo_columns: ClassVar[tuple[str, ...]] = ()
    aliases: ClassVar[Mapping[str, str]] = {}
    reference_columns: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, actor: Actor, record_type: RecordType, table: Table) -> None:
        self.actor = actor
        self.record_type = record_type
        self.table = table
        self.errors: list[RowError] = []
        self.refs = References(actor)
        self.row_count = 0
        self.existing: dict[tuple[Any, ...], Any] = {}

    # -- the header

    def column_names(self) -> list[str]:
        fields = [name for name in self.record_type.form_fields if name not in self.pseudo_columns]
        return [*fields, *self.pseudo_columns]

    def header_aliases(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for name in self.column_names():
            mapping[normalise_header(name)] = name
            if name not in self.pseudo_columns:
                model_field = self.model._meta.get_field(name)
                verbose = getattr(model_field, "verbose_name", name)
                mapping.setdefault(normalise_header(str(verbose)), name)
        for alias, name in self.aliases.items():
            mapping.setdefault(alias, name)
        return mapping

    def map_header(self) -> list[str | None] | None:
        aliases = self.header_aliases()
        columns: list[str | None] = []
        seen: dict[str, str] = {}
        ok = True
        for text in self.table.header:
            if not text.strip():
                columns.append(None)
                continue
            name = aliases.get(normalise_header(text))
            if name is None:
                known = ", ".join(self.column_names())
                self.error(1, text.strip(), f"Unknown column; the columns are: {known}.")
                ok = False
            elif name in seen:
                self.error(1, text.strip(), f"Same column as “{seen[name]}”.")
                ok = False
            else:
                seen[name] = text.strip()
            columns.append(name)
        for required in self.required_columns():
            if not any(name in seen for name in required):
                self.error(1, required[0], "Missing column.")
                ok = False
        return columns if ok else None

    def required_columns(self) -> list[tuple[str, ...]]:
        return [(name,) for name in self.key_fields]

    # -- rows

    def error(self, row: int, field_name: str, message: str) -> None:
        self.errors.append(RowError(row, field_name, message))

    def validate(self) -> list[ImportPlan]:
        columns = self.map_header()
        if columns is None:
            return []
        parsed = [self.parse(number, cells, columns) for number, cells in self.table.rows]
        rows = [row for row in parsed if row is not None]
        self.row_count = len(rows)
        self.load_existing(rows)
        plans: list[ImportPlan] = []
        seen: dict[tuple[Any, ...], int] = {}
        for row in rows:
            plan = self.plan(row, seen)
            if plan is not None:
                plans.append(plan)
        self.check_plans(plans)
        return plans

    def parse(self, number: int, cells: list[str], columns: list[str | None]) -> ParsedRow | None:
        if not any(cell.strip() for cell in cells):
            return None
        row = ParsedRow(number)
        extra = [cell for cell in cells[len(columns) :] if cell.strip()]
        if extra:
            self.error(
                number,
                "",
                f"The row has {len(cells)} cells but the header only names {len(columns)} columns.",
            )
            row.bad.add("")
        for name, cell in zip(columns, cells, strict=False):
            text = unguard_formula(cell.strip())
            if name is None or not text:
                continue
            row.raw[name] = text
            if name in self.pseudo_columns:
                continue
            try:
                row.values[name] = self.parse_cell(name, text)
            except ValidationError as exc:
                for message in _messages(exc):
                    self.error(number, name, message)
                row.bad.add(name)
        return row

    def parse_cell(self, name: str, text: str) -> Any:
        model_field = self.model._meta.get_field(name)
        if model_field.many_to_one and model_field.related_model is not None:
            related = model_field.related_model
            assert isinstance(related, type)
            return self.refs.resolve(related, text)
        assert isinstance(model_field, models.Field)
        return parse_value(model_field, text, self.table.delimiter)

    def key_of(self, row: ParsedRow) -> tuple[Any, ...] | None:
        key = []
        for name in self.key_fields:
            if name not in row.values:
                if name not in row.bad:
                    self.error(row.row, name, "Required.")
                return None
            value = row.values[name]
            key.append(value.pk if isinstance(value, models.Model) else value)
        return tuple(key)

    def label_of(self, row: ParsedRow, key: tuple[Any, ...]) -> str:
        return "/".join(str(part) for part in key)

    def load_existing(self, rows: list[ParsedRow]) -> None:
        """Fill ``self.existing`` (natural key → stored row) in chunked queries."""
        raise NotImplementedError

    def create_values(self, row: ParsedRow) -> dict[str, Any]:
        return dict(row.values)

    def plan(self, row: ParsedRow, seen: dict[tuple[Any, ...], int]) -> ImportPlan | None:
        key = self.key_of(row)
        if key is None:
            return None
        if key in seen:
            self.error(row.row, self.key_fields[-1], f"Duplicate of row {seen[key]}.")
            return None
        seen[key] = row.row
        stored = self.existing.get(key)
        if stored is None:
            data = self.create_values(row)
            plan = ImportPlan(row.row, key, self.label_of(row, key), self.model(**data), True)
            plan.data = data
        else:
            plan = ImportPlan(row.row, key, self.label_of(row, key), stored, False, stored.version)
            if not self.allowed(row, stored, "change"):
                return None
            self.apply_changes(row, plan)
        if not self.allowed(row, plan.instance, "add" if plan.is_new else "change"):
            return None
        if plan.is_new or plan.changes:  # a stored row the file leaves as it is was valid
            self.clean(row, plan)
        return plan

    def apply_changes(self, row: ParsedRow, plan: ImportPlan) -> None:
        instance = plan.instance
        for name, value in row.values.items():
            model_field = self.model._meta.get_field(name)
            current = getattr(instance, model_field.attname)  # type: ignore[union-attr]
            compared = value.pk if isinstance(value, models.Model) else value
            if current != compared:
                old = getattr(instance, name)
                plan.changes[name] = (old, value)
                setattr(instance, name, value)

    def allowed(self, row: ParsedRow, instance: Any, action: str) -> bool:
        if self.actor.user is None or can_act_on(self.actor.user, instance, action):
            return True
        where = "company" if getattr(self.model, "company_path", None) == "company" else ""
        label = self.model._meta.verbose_name
        self.error(row.row, where, f"You may not {action} this {label}.")
        return False

    def clean(self, row: ParsedRow, plan: ImportPlan) -> None:
        # Foreign keys were resolved from loaded rows, so they exist: leave them out of
        # full_clean, whose per-field existence check would cost a query per key and row.
        foreign_keys = [
            f for f in self.model._meta.concrete_fields if isinstance(f, models.ForeignKey)
        ]
        exclude = set(row.bad) | {f.name for f in foreign_keys}
        for model_field in foreign_keys:
            missing = getattr(plan.instance, model_field.attname) is None
            # a parent created earlier in the file has no id yet
            pending = model_field.get_cached_value(plan.instance, default=None) is not None
            if missing and not pending and not model_field.null and model_field.name not in row.bad:
                self.error(row.row, model_field.name, "Required.")
                row.bad.add(model_field.name)
        try:
            plan.instance.full_clean(
                exclude=exclude, validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                if name in row.bad:
                    continue  # follows from a problem already reported for this row
                column = "" if name == NON_FIELD_ERRORS else name
                for message in messages:
                    self.error(row.row, column, message)

    def check_plans(self, plans: list[ImportPlan]) -> None:
        """Checks across rows and against the database (beyond the natural key)."""

    # -- writing hooks

    def batch_key(self, plan: ImportPlan) -> Any:
        return getattr(plan.instance, "company_id", None)

    def depth_of(self, plan: ImportPlan) -> int:
        return 0

    def write_extras(self, actor: Actor, instance: Any, plan: ImportPlan) -> None:
        """Per-row writes beyond the record itself (through services)."""

    def write_extras_in_bulk(self, plans: list[ImportPlan]) -> None:
        """Bulk writes beyond the records themselves."""
