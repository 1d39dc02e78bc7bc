"""The generic record views: list, detail, create, edit, delete and export, for any record type."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.text import capfirst
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import push_url

from crossdock.core.audit import history_of
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import can_act_on, has_model_permission
from crossdock.masterdata import exports
from crossdock.masterdata.registry import BY_MODEL, RecordType
from crossdock.web.diffs import changed_fields
from crossdock.web.display import Shown, detail_url, field_label, show_field
from crossdock.web.forms import ConfirmDeleteForm, RecordForm, add_domain_error, record_form_class
from crossdock.web.listing import DEFAULT_PER_PAGE, RecordListing
from crossdock.web.navigation import AUDIT_PERMISSION
from crossdock.web.views.audit import visible_entries
from crossdock.web.views.common import (
    is_partial,
    render_page,
    require_permission,
    require_row_action,
    scoped_object,
)
from crossdock.web.workspace import workspace_of

EXPORT_FORMATS = ("csv", "xlsx")
HISTORY_LIMIT = 50


def _page_context(record_type: RecordType, user: Any) -> dict[str, Any]:
    return {
        "record_type": record_type,
        "title": capfirst(record_type.label_plural),
        "list_url": reverse("web:record_list", args=[record_type.slug]),
        "can_add": has_model_permission(user, record_type.model, "add"),
        "can_import": record_type.importable
        and has_model_permission(user, record_type.model, "add")
        and has_model_permission(user, record_type.model, "change"),
    }


@login_required
@require_safe
def record_list(request: HttpRequest, record_type: RecordType) -> HttpResponse:
    require_permission(request.user, record_type, "view")
    listing = RecordListing(record_type, request.user, request.GET, workspace_of(request))
    page = listing.page()
    context = {
        **_page_context(record_type, request.user),
        "listing": listing,
        "page": page,
        "rows": listing.rows(page.object_list),
        "columns": listing.columns(),
        "default_per_page": DEFAULT_PER_PAGE,
        "export_links": [(fmt.upper(), listing.export_url(fmt)) for fmt in EXPORT_FORMATS],
    }
    if is_partial(request):
        response = render_page(request, "web/records/list.html#table", context)
        return push_url(response, listing.page_url())
    context["filters"] = listing.filter_controls()
    return render_page(request, "web/records/list.html", context)


@login_required
@require_safe
def record_export(request: HttpRequest, record_type: RecordType, fmt: str) -> HttpResponse:
    """The list as filtered on screen (all pages), through the master-data exporter."""
    require_permission(request.user, record_type, "view")
    listing = RecordListing(record_type, request.user, request.GET, workspace_of(request))
    try:
        content, content_type, filename = exports.export_rows(record_type, listing.queryset(), fmt)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("web:record_list", args=[record_type.slug]))
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _child_tables(instance: models.Model) -> list[dict[str, Any]]:
    """Rows owned by this record that have no page of their own (addresses, barcodes).

    Owned means: same app, deleted with the record, not a record type of its own.
    """
    tables = []
    for relation in instance._meta.related_objects:
        child: Any = relation.related_model
        owned = (
            relation.one_to_many
            and relation.on_delete is models.CASCADE
            and child._meta.app_label == instance._meta.app_label
            and child not in BY_MODEL
        )
        if not owned:
            continue
        names = [
            f.name
            for f in child._meta.concrete_fields
            if not f.primary_key and f.name != relation.field.name
        ]
        related = [
            f.name
            for f in child._meta.concrete_fields
            if f.is_relation and f.name != relation.field.name
        ]
        rows = getattr(instance, relation.get_accessor_name() or "").all()
        if related:
            rows = rows.select_related(*related)
        tables.append(
            {
                "title": capfirst(str(child._meta.verbose_name_plural)),
                "headers": [field_label(child, n) for n in names],
                "rows": [[show_field(row, n, lambda _m: False) for n in names] for row in rows],
            }
        )
    return tables


def _related_lists(instance: models.Model, user: Any) -> list[tuple[str, str]]:
    """Links to lists of other record types that point at this record, already filtered."""
    links = []
    for relation in instance._meta.related_objects:
        record_type = BY_MODEL.get(relation.related_model)
        if record_type is None or not relation.one_to_many:
            continue
        name = relation.field.name
        company_path = getattr(record_type.model, "company_path", None)
        if name == company_path:
            param = "company"
        elif name in record_type.filter_fields:
            param = name
        else:
            continue
        if not has_model_permission(user, record_type.model, "view"):
            continue
        label = capfirst(record_type.label_plural)
        if relation.field.name == "parent":
            label = f"{label} inside"
        url = reverse("web:record_list", args=[record_type.slug]) + f"?{param}={instance.pk}"
        links.append((label, url))
    return links


def _history(instance: models.Model, user: Any) -> list[dict[str, Any]] | None:
    if not user.has_perm(AUDIT_PERMISSION):
        return None
    entries = visible_entries(user, history_of(instance))
    return [
        {
            "entry": entry,
            "changes": changed_fields(entry.object_type, entry.before, entry.after)
            if entry.action != "create"
            else [],
        }
        for entry in entries[:HISTORY_LIMIT]
    ]


@login_required
@require_safe
def record_detail(request: HttpRequest, record_type: RecordType, pk: int) -> HttpResponse:
    instance = scoped_object(record_type, request.user, pk)
    may_view: dict[type[models.Model], bool] = {}

    def may_link(model: type[models.Model]) -> bool:
        if model not in may_view:
            may_view[model] = has_model_permission(request.user, model, "view")
        return may_view[model]

    fields: list[tuple[str, Shown]] = [
        (field_label(record_type.model, f.name), show_field(instance, f.name, may_link))
        for f in record_type.model._meta.concrete_fields
    ]
    context = {
        **_page_context(record_type, request.user),
        "object": instance,
        "title": str(instance),
        "fields": fields,
        "child_tables": _child_tables(instance),
        "related_lists": _related_lists(instance, request.user),
        "history": _history(instance, request.user),
        "can_change": can_act_on(request.user, instance, "change"),
        "can_delete": can_act_on(request.user, instance, "delete"),
    }
    return render_page(request, "web/records/detail.html", context)


def _render_form(
    request: HttpRequest,
    record_type: RecordType,
    form: RecordForm,
    instance: Any | None,
    status: int = 200,
) -> HttpResponse:
    context = {
        **_page_context(record_type, request.user),
        "form": form,
        "object": instance,
        "title": f"Edit {instance}" if instance else f"New {record_type.label}",
        "cancel_url": detail_url(instance)
        if instance
        else reverse("web:record_list", args=[record_type.slug]),
    }
    return render_page(request, "web/records/form.html", context, status=status)


def _initial(record_type: RecordType, company: Any) -> dict[str, Any]:
    """A new record starts in the current company, in its base currency."""
    if company is None or "company" not in record_type.form_fields:
        return {}
    initial = {"company": company.pk}
    if "currency" in record_type.form_fields:
        initial["currency"] = company.base_currency_id
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def record_create(request: HttpRequest, record_type: RecordType) -> HttpResponse:
    require_permission(request.user, record_type, "add")
    form_class = record_form_class(record_type)
    if request.method != "POST":
        initial = _initial(record_type, workspace_of(request).current)
        return _render_form(
            request, record_type, form_class(initial=initial, user=request.user), None
        )
    form = form_class(request.POST, user=request.user)
    if not form.is_valid():
        return _render_form(request, record_type, form, None, status=422)
    try:
        created = record_type.create_record(Actor.of(request.user), form.record_data())
    except DomainError as error:
        add_domain_error(form, error)
        return _render_form(request, record_type, form, None, status=error.status)
    messages.success(request, f"{capfirst(record_type.label)} {created} created.")
    return redirect(detail_url(created))


@login_required
@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, record_type: RecordType, pk: int) -> HttpResponse:
    instance = scoped_object(record_type, request.user, pk)
    require_row_action(request.user, record_type, instance, "change")
    form_class = record_form_class(record_type)
    if request.method != "POST":
        return _render_form(
            request, record_type, form_class(instance=instance, user=request.user), instance
        )
    form = form_class(request.POST, instance=instance, user=request.user)
    if not form.is_valid():
        return _render_form(request, record_type, form, instance, status=422)
    try:
        updated = record_type.update_record(
            Actor.of(request.user),
            instance.pk,
            form.record_data(),
            expected_version=form.expected_version,
        )
    except DomainError as error:
        add_domain_error(form, error)
        return _render_form(request, record_type, form, instance, status=error.status)
    messages.success(request, f"{capfirst(record_type.label)} {updated} saved.")
    return redirect(detail_url(updated))


@login_required
@require_http_methods(["GET", "POST"])
def record_delete(request: HttpRequest, record_type: RecordType, pk: int) -> HttpResponse:
    instance = scoped_object(record_type, request.user, pk)
    require_row_action(request.user, record_type, instance, "delete")
    form = ConfirmDeleteForm(initial={"version": instance.version})
    status = 200
    if request.method == "POST":
        form = ConfirmDeleteForm(request.POST)
        if form.is_valid():
            try:
                record_type.delete_record(
                    Actor.of(request.user), instance.pk, form.cleaned_data["version"]
                )
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                messages.success(request, f"{capfirst(record_type.label)} {instance} deleted.")
                return redirect(reverse("web:record_list", args=[record_type.slug]))
        else:
            status = 422
    context = {
        **_page_context(record_type, request.user),
        "object": instance,
        "title": f"Delete {instance}?",
        "form": form,
    }
    return render_page(request, "web/records/confirm_delete.html", context, status=status)
