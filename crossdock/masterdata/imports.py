"""Importing master data (products, partners, locations) from CSV and XLSX files.

Design overview
---------------
An import is all or nothing, and it tells the user about every bad row at
once. :func:`run_import` works in two phases:

1. **Validate, set-based.** The file is read into text rows
   (:mod:`~crossdock.masterdata.tabular`), the header is mapped to fields
   (field names, verbose names and a few aliases such as ``price``), and the
   rows that files refer to — units, currencies, categories, companies,
   warehouses, payment terms and the rows already in the database under the
   file's natural keys — are loaded in a handful of queries into
   dictionaries. Each row is then typed (decimals keep their exact digits and
   are refused when finer than the field's scale), resolved, checked against
   the actor's permissions and company/warehouse scope, validated with the
   model's ``full_clean`` (database uniqueness is checked set-based instead of
   per row) and checked for duplicates inside the file. Every problem becomes
   a :class:`RowError`; if there is any, or if it is a dry run, nothing is
   written.
2. **Write, in one transaction.** Up to ``bulk_threshold`` changed rows go one
   by one through the services (``create_record``/``update_record``, the
   record type's own service where it has one), each audited and published as
   usual, with the version seen in phase 1 as the expected version so a
   concurrent edit is refused instead of overwritten. Bigger files are written
   set-based (``bulk_create``, one prepared ``UPDATE`` run with executemany)
   after locking the rows to update, with one audit entry per batch listing the
   keys created and the before/after values of every changed field. Each row
   still publishes the same ``RecordChanged`` event the services would, so
   webhooks and in-process subscribers (vendor onboarding approval for a new
   supplier) see every row whatever the file's size.

Rules a user sees: a column left out keeps the stored value (or the model's
default for a new row); an empty cell means "no value given", never "clear
it". Foreign keys are written as natural keys (a category by its path, a unit
by its UNECE code, a currency by ISO code, a company or warehouse by code, a
parent location by path). Missing categories are reported, never created.
Row numbers are those a spreadsheet shows, the header being row 1; row 0 is
an error about the file as a whole.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, PermissionDeniedError
from crossdock.core.permissions import has_model_permission
from crossdock.core.records import integrity_as_domain_errors
from crossdock.masterdata.import_rows import Importer, ImportPlan, RowError
from crossdock.masterdata.import_types import importer_for
from crossdock.masterdata.registry import RecordType
from crossdock.masterdata.tabular import read_table

BULK_THRESHOLD = 500
BATCH_SIZE = 1000


@dataclass
class ImportResult:
    """What an import did — or, for a dry run, would do.

    ``created``/``updated``/``unchanged`` count rows; they are all 0 when
    ``ok`` is false, since a failed import writes nothing.
    """

    ok: bool
    dry_run: bool
    created: int
    updated: int
    errors: list[RowError]
    rows: int
    unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class _Abort(Exception):
    """Rolls the import's transaction back after a write-time refusal."""


def run_import(
    actor: Actor,
    record_type: RecordType,
    filename: str,
    content: bytes,
    dry_run: bool,
    *,
    bulk_threshold: int = BULK_THRESHOLD,
) -> ImportResult:
    """Validate every row of the file, then (unless ``dry_run``) apply all of it or nothing.

    Raises :class:`DomainError` when the record type cannot be imported or the
    file cannot be read, and :class:`PermissionDeniedError` when the actor may
    neither add nor change this record type; everything about the content is
    reported in the result.
    """
    if not record_type.importable:
        raise DomainError(
            f"record_type: {record_type.label_plural} cannot be imported.",
            fields={"record_type": ["Not importable."]},
        )
    if actor.user is not None and not any(
        has_model_permission(actor.user, record_type.model, action) for action in ("add", "change")
    ):
        raise PermissionDeniedError(f"You may not import {record_type.label_plural}.")
    table = read_table(filename, content)
    importer = importer_for(actor, record_type, table)
    plans = importer.validate()
    errors = list(importer.errors)
    rows = importer.row_count
    if errors:
        return ImportResult(False, dry_run, 0, 0, _sorted(errors), rows)
    changed = [p for p in plans if p.is_new or p.changes or p.gtins_change]
    created = sum(1 for p in changed if p.is_new)
    result = ImportResult(True, dry_run, created, len(changed) - created, [], rows)
    result.unchanged = len(plans) - len(changed)
    if dry_run or not changed:
        return result
    try:
        if len(changed) <= bulk_threshold:
            _write_through_services(actor, record_type, importer, changed, errors)
        else:
            _write_in_bulk(actor, record_type, importer, changed, filename, errors)
    except _Abort:
        return ImportResult(False, dry_run, 0, 0, _sorted(errors), rows)
    return result


def _sorted(errors: list[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda e: (e.row, e.field))


def _row_errors(row: int, exc: DomainError) -> list[RowError]:
    if not exc.fields:
        return [RowError(row, "", exc.message)]
    return [
        RowError(row, "" if name == "__all__" else name, message)
        for name, messages in exc.fields.items()
        for message in messages
    ]


# --- writing through the services (up to ``bulk_threshold`` changed rows)


def _write_through_services(
    actor: Actor,
    record_type: RecordType,
    importer: Importer,
    plans: list[ImportPlan],
    errors: list[RowError],
) -> None:
    with transaction.atomic():
        for plan in plans:
            try:
                _write_one(actor, record_type, importer, plan)
            except DomainError as exc:
                errors.extend(_row_errors(plan.row, exc))
                raise _Abort from exc


def _write_one(actor: Actor, record_type: RecordType, importer: Importer, plan: ImportPlan) -> None:
    if plan.is_new:
        instance = record_type.create_record(actor, plan.create_data())
        # Later rows of the file may point at this one (a child location).
        plan.instance.pk = instance.pk
        plan.instance._state.adding = False
    elif plan.changes:
        instance = record_type.update_record(
            actor,
            plan.instance.pk,
            {name: new for name, (_, new) in plan.changes.items()},
            expected_version=plan.version,
        )
    else:
        instance = plan.instance
    importer.write_extras(actor, instance, plan)


# --- writing in bulk (big files)


def _write_in_bulk(
    actor: Actor,
    record_type: RecordType,
    importer: Importer,
    plans: list[ImportPlan],
    filename: str,
    errors: list[RowError],
) -> None:
    try:
        with integrity_as_domain_errors(), transaction.atomic():
            _lock_and_check_versions(record_type.model, [p for p in plans if not p.is_new])
            new = [p for p in plans if p.is_new]
            for level in _by_depth(new, importer):
                for batch in _batches(level, key=importer.batch_key):
                    record_type.model.objects.bulk_create(
                        [p.instance for p in batch], batch_size=BATCH_SIZE
                    )
            _bulk_update(record_type.model, [p for p in plans if not p.is_new and p.changes])
            importer.write_extras_in_bulk(plans)
            for batch in _batches(plans, key=importer.batch_key):
                _audit_batch(actor, record_type, batch, filename)
    except _ConflictingRow as exc:
        errors.append(RowError(exc.row, "version", exc.message))
        raise _Abort from exc
    except DomainError as exc:
        errors.extend(_row_errors(0, exc))
        raise _Abort from exc


class _ConflictingRow(Exception):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


def _lock_and_check_versions(model: type[models.Model], plans: list[ImportPlan]) -> None:
    """Lock the rows to update (in id order) and refuse any changed since validation."""
    by_pk = {p.instance.pk: p for p in plans}
    pks = sorted(by_pk)
    for start in range(0, len(pks), 900):
        chunk = pks[start : start + 900]
        current = (
            model._default_manager.filter(pk__in=chunk)
            .order_by("pk")
            .select_for_update()
            .values_list("pk", "version")
        )
        for pk, version in current:
            plan = by_pk[pk]
            if version != plan.version:
                raise _ConflictingRow(
                    plan.row,
                    "This row was changed by someone else while the file was being "
                    "checked; import the file again.",
                )


def _by_depth(plans: list[ImportPlan], importer: Importer) -> list[list[ImportPlan]]:
    """New rows grouped so parents are inserted before the children pointing at them."""
    levels: dict[int, list[ImportPlan]] = {}
    for plan in plans:
        levels.setdefault(importer.depth_of(plan), []).append(plan)
    return [levels[depth] for depth in sorted(levels)]


def _batches(plans: list[ImportPlan], *, key: Any) -> Iterable[list[ImportPlan]]:
    groups: dict[Any, list[ImportPlan]] = {}
    for plan in plans:
        groups.setdefault(key(plan), []).append(plan)
    for group in groups.values():
        for start in range(0, len(group), BATCH_SIZE):
            yield group[start : start + BATCH_SIZE]


def _bulk_update(model: type[models.Model], plans: list[ImportPlan]) -> None:
    """One prepared ``UPDATE … WHERE id = %s`` per set of changed fields, run with executemany.

    Django's ``bulk_update`` builds one ``CASE WHEN id = … THEN …`` per field and
    batch, which SQLite evaluates row by row against every branch; for 25,000 rows
    that is quadratic. Values still go through each field's ``get_db_prep_save``,
    so decimals are stored exactly as the ORM stores them.
    """
    now = timezone.now()
    groups: dict[tuple[str, ...], list[ImportPlan]] = {}
    for plan in plans:
        plan.instance.version = plan.version + 1
        plan.instance.updated_at = now
        groups.setdefault(tuple(sorted(plan.changes)), []).append(plan)
    meta = model._meta
    quote = connection.ops.quote_name
    assert meta.pk is not None
    assert meta.pk.column is not None
    where = f"WHERE {quote(meta.pk.column)} = %s"
    for names, group in groups.items():
        fields: list[models.Field[Any, Any]] = []
        for name in (*names, "version", "updated_at"):
            model_field = meta.get_field(name)
            assert isinstance(model_field, models.Field)
            assert model_field.column is not None
            fields.append(model_field)
        assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
        sql = f"UPDATE {quote(meta.db_table)} SET {assignments} {where}"  # noqa: S608 - _meta names
        rows = [
            [f.get_db_prep_save(getattr(p.instance, f.attname), connection) for f in fields]
            + [p.instance.pk]
            for p in group
        ]
        with connection.cursor() as cursor:
            for start in range(0, len(rows), BATCH_SIZE):
                cursor.executemany(sql, rows[start : start + BATCH_SIZE])


def _audit_batch(
    actor: Actor, record_type: RecordType, batch: list[ImportPlan], filename: str
) -> None:
    created = {p.label: str(p.instance.pk) for p in batch if p.is_new}
    updated = [p for p in batch if not p.is_new]
    before = {
        "updated": {p.label: {k: _plain(old) for k, (old, _) in p.changes.items()} for p in updated}
    }
    after = {
        "file": filename[:200],
        "record_type": record_type.slug,
        "created": created,
        "updated": {
            p.label: {k: _plain(new) for k, (_, new) in p.changes.items()} for p in updated
        },
        "barcodes": {p.label: p.gtins for p in batch if p.gtins_change and p.gtins is not None},
    }
    audit.record(actor, audit.Change("import", batch[0].instance, before, after))
    for plan in batch:
        events.publish(
            events.RecordChanged(
                record_type.model_label,
                str(plan.instance.pk),
                "created" if plan.is_new else "updated",
                company_id=audit.company_of(plan.instance),
                actor_id=actor.user_id,
            )
        )


def _plain(value: Any) -> Any:
    """A JSON-ready value for the audit entry (a foreign key by id, a decimal as text)."""
    if isinstance(value, models.Model):
        return value.pk
    return json.loads(audit.canonical_json(value))


# --- helpers shared with the command line


def describe(result: ImportResult) -> str:
    """A one-line summary for people (the CLI and messages in the web UI)."""
    verb = "would create" if result.dry_run else "created"
    if not result.ok:
        return f"{len(result.errors)} problem(s) in {result.rows} row(s); nothing was imported."
    return (
        f"{result.rows} row(s): {verb} {result.created}, "
        f"{'would update' if result.dry_run else 'updated'} {result.updated}, "
        f"unchanged {result.unchanged}."
    )


def error_lines(errors: Iterable[RowError], limit: int | None = None) -> list[str]:
    lines = []
    for number, error in enumerate(errors):
        if limit is not None and number >= limit:
            lines.append("…")
            break
        where = f"row {error.row}" if error.row else "file"
        lines.append(f"{where}{', ' + error.field if error.field else ''}: {error.message}")
    return lines


__all__ = [
    "BULK_THRESHOLD",
    "ImportResult",
    "RowError",
    "describe",
    "error_lines",
    "run_import",
]
