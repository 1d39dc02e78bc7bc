"""``POST /api/v1/<slug>/import``: bulk create or update from a CSV or XLSX upload.

The upload goes to :func:`crossdock.masterdata.imports.run_import`, which
validates every row first and writes all of them or none. ``?dry_run=true``
only validates. A clean run answers 200 with the counts; any row error answers
422 with every row's errors, each under ``rows[<row>].<field>`` in ``errors``
and as a list in ``row_errors``. Importing needs the add and change
permissions of the record type.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile

from crossdock.api import queries
from crossdock.api.errors import Problem, problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.masterdata.imports import run_import
from crossdock.masterdata.registry import RecordType

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class RowError(Schema):
    row: int
    field: str
    message: str


class ImportResult(Schema):
    ok: bool
    dry_run: bool
    created: int
    updated: int
    errors: list[RowError]


def _row_error(error: Any) -> dict[str, Any]:
    if isinstance(error, tuple | list):
        row, field, message = error
    else:
        row, field, message = error.row, error.field, error.message
    return {"row": int(row), "field": str(field or ""), "message": str(message)}


def add_import_route(router: Router, record_type: RecordType) -> None:
    model = record_type.model
    slug = record_type.slug.replace("-", "_")

    def import_records(
        request: HttpRequest,
        file: File[UploadedFile],
        dry_run: Query[bool] = False,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> HttpResponse:
        queries.require_permission(request.user, model, "add")
        queries.require_permission(request.user, model, "change")
        if file.size is not None and file.size > MAX_UPLOAD_BYTES:
            return problem(413, f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
        filename = file.name or "upload"
        if not filename.lower().endswith((".csv", ".xlsx")):
            raise DomainError(
                "file: upload a .csv or .xlsx file.", fields={"file": ["Not a CSV or XLSX file."]}
            )
        result = run_import(Actor.of(request.user), record_type, filename, file.read(), dry_run)
        errors = [_row_error(e) for e in result.errors]
        body = {
            "ok": bool(result.ok),
            "dry_run": dry_run,
            "created": result.created,
            "updated": result.updated,
            "errors": errors,
        }
        if result.ok:
            return json_response(body)
        fields: dict[str, list[str]] = {}
        for error in errors:
            key = f"rows[{error['row']}]" + (f".{error['field']}" if error["field"] else "")
            fields.setdefault(key, []).append(error["message"])
        first = errors[0] if errors else {"row": 0, "message": "The file was refused."}
        return problem(
            422,
            f"Nothing was imported: row {first['row']}: {first['message']}",
            errors=fields,
            extra={"row_errors": errors, "created": 0, "updated": 0},
        )

    router.post(
        "/import",
        response={200: ImportResult, frozenset({400, 401, 403, 413, 422}): Problem},
        operation_id=f"import_{slug}",
        url_name=f"{record_type.slug}-import",
        summary=f"Import {record_type.label_plural} from CSV or XLSX",
        description="All rows or none. ?dry_run=true only validates.",
    )(idempotent(import_records))
