"""The generic REST resource of a master-data record type.

:func:`build_router` turns one :class:`~crossdock.masterdata.registry.RecordType`
into ``/api/v1/<slug>`` with list, create, detail, partial update, delete,
export and (for importable types) import. Endpoints stay thin: they check the
role permission, find rows through :mod:`crossdock.api.queries`, call the
record type's service function with the acting user, and render the result.
Services own transactions, row locks, version checks, validation and the audit
trail.

Ninja reads parameter types from annotations; the schemas here are built at
run time per record type, so :func:`_annotate` sets them on each endpoint.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Schema

from crossdock.api import imports, queries
from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader, IfMatchHeader
from crossdock.api.http import etag, expected_version, json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.schemas import (
    create_schema,
    default_ordering,
    list_params_schema,
    output_schema,
    page_schema,
    patch_schema,
    serialize,
)
from crossdock.core.context import Actor
from crossdock.masterdata.exports import export_rows
from crossdock.masterdata.registry import RecordType

ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})


def _annotate(view: Callable[..., Any], **types: Any) -> Callable[..., Any]:
    view.__annotations__.update(types)
    return view


def _record_response(record_type: RecordType, user: Any, pk: Any, status: int) -> HttpResponse:
    """Re-read the row as the user sees it and render it with its ETag."""
    obj = queries.get_record(record_type, user, pk)
    return json_response(serialize(obj), status, etag_version=obj.version)


def build_router(record_type: RecordType) -> Router:
    """The router for ``/api/v1/<record_type.slug>``."""
    model = record_type.model
    plural = str(model._meta.verbose_name_plural)
    out = output_schema(record_type)
    create_in = create_schema(record_type)
    patch_in = patch_schema(record_type)
    list_params = list_params_schema(record_type)
    export_params = list_params_schema(record_type, export=True)
    router = Router(tags=[plural.capitalize()])

    def filtered(request: HttpRequest, params: Schema, allowed: set[str]) -> Any:
        queries.refuse_unknown_params(request, allowed)
        values = params.model_dump()
        queryset = queries.records(record_type, request.user)
        return queries.apply_filters(queryset, record_type, values), values

    def list_records(request: HttpRequest, params: Schema) -> HttpResponse:
        queryset, values = filtered(request, params, set(list_params.model_fields))
        ordering = values.get("ordering") or default_ordering(record_type)
        page = paginate(queryset, ordering, values["cursor"], values["limit"])
        items = [serialize(obj) for obj in page.rows]
        return json_response({"items": items, "next_cursor": page.next_cursor})

    def export_records(request: HttpRequest, params: Schema) -> HttpResponse:
        queryset, values = filtered(request, params, set(export_params.model_fields))
        ordering = values.get("ordering") or default_ordering(record_type)
        queryset = queryset.order_by(ordering, "pk")
        content, content_type, filename = export_rows(record_type, queryset, values["format"])
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def create_record(
        request: HttpRequest,
        payload: Schema,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> HttpResponse:
        queries.require_permission(request.user, model, "add")
        data = payload.model_dump(exclude_unset=True)
        queries.resolve_references(request.user, model, data)
        obj = record_type.create_record(Actor.of(request.user), data)
        return _record_response(record_type, request.user, obj.pk, 201)

    def get_record(
        request: HttpRequest,
        id: int,
        if_none_match: str | None = Header(None, alias="If-None-Match"),
    ) -> HttpResponse:
        obj = queries.get_record(record_type, request.user, id)
        if if_none_match is not None and etag(obj.version) in if_none_match:
            response = HttpResponse(status=304)
            response["ETag"] = etag(obj.version)
            return response
        return json_response(serialize(obj), etag_version=obj.version)

    def update_record(
        request: HttpRequest,
        id: int,
        payload: Schema,
        if_match: IfMatchHeader = None,
    ) -> HttpResponse:
        queries.require_permission(request.user, model, "change")
        data = payload.model_dump(exclude_unset=True)
        version = expected_version(if_match, data.pop("version", None))
        obj = queries.get_record(record_type, request.user, id, "change")
        queries.resolve_references(request.user, model, data)
        record_type.update_record(Actor.of(request.user), obj.pk, data, expected_version=version)
        return _record_response(record_type, request.user, obj.pk, 200)

    def delete_record(
        request: HttpRequest,
        id: int,
        if_match: IfMatchHeader = None,
    ) -> HttpResponse:
        queries.require_permission(request.user, model, "delete")
        version = expected_version(if_match)
        obj = queries.get_record(record_type, request.user, id, "delete")
        record_type.delete_record(Actor.of(request.user), obj.pk, expected_version=version)
        return HttpResponse(status=204)

    slug = record_type.slug.replace("-", "_")
    router.get(
        "",
        response={200: page_schema(record_type, out), ERRORS: Problem},
        operation_id=f"list_{slug}",
        url_name=f"{record_type.slug}-list",
        summary=f"List {plural}",
        description="Cursor-paginated; filter by the listed fields, search with q.",
    )(_annotate(list_records, params=Query.__getitem__(list_params)))
    router.post(
        "",
        response={201: out, ERRORS: Problem},
        operation_id=f"create_{slug}",
        url_name=f"{record_type.slug}-create",
        summary=f"Create a {record_type.label}",
    )(idempotent(_annotate(create_record, payload=create_in)))
    router.get(
        "/export",
        response={200: bytes, ERRORS: Problem},
        operation_id=f"export_{slug}",
        url_name=f"{record_type.slug}-export",
        summary=f"Export {plural} (CSV or XLSX)",
        description="Takes the same filters, search and ordering as the list.",
    )(_annotate(export_records, params=Query.__getitem__(export_params)))
    if record_type.importable:
        imports.add_import_route(router, record_type)
    router.get(
        "/{int:id}",
        response={200: out, 304: None, ERRORS: Problem},
        operation_id=f"get_{slug}",
        url_name=f"{record_type.slug}-get",
        summary=f"Get a {record_type.label}",
    )(get_record)
    router.patch(
        "/{int:id}",
        response={200: out, ERRORS: Problem},
        operation_id=f"update_{slug}",
        url_name=f"{record_type.slug}-update",
        summary=f"Change a {record_type.label}",
        description="Only the fields sent change. Send If-Match or version to refuse lost updates.",
    )(_annotate(update_record, payload=patch_in))
    router.delete(
        "/{int:id}",
        response={204: None, ERRORS: Problem},
        operation_id=f"delete_{slug}",
        url_name=f"{record_type.slug}-delete",
        summary=f"Delete a {record_type.label}",
    )(delete_record)
    return router
