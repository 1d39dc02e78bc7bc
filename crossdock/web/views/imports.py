"""Importing a CSV or Excel file of records: a dry run shows every bad row, then the import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.text import capfirst
from django.views.decorators.http import require_http_methods

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.masterdata import imports as record_imports
from crossdock.masterdata.registry import RecordType
from crossdock.web import uploads
from crossdock.web.forms import ImportForm
from crossdock.web.views.common import render_page, require_permission


def _run(
    request: HttpRequest, record_type: RecordType, filename: str, content: bytes, *, dry_run: bool
) -> record_imports.ImportResult:
    actor = Actor.of(request.user)
    return record_imports.run_import(actor, record_type, filename, content, dry_run=dry_run)


@login_required
@require_http_methods(["GET", "POST"])
def record_import(request: HttpRequest, record_type: RecordType) -> HttpResponse:
    if not record_type.importable:
        raise Http404(f"{capfirst(record_type.label_plural)} cannot be imported.")
    require_permission(request.user, record_type, "add")
    require_permission(request.user, record_type, "change")
    if request.method != "POST":
        return _render(request, record_type, ImportForm(), status=200)
    if request.POST.get("action") == "confirm":
        taken = uploads.take(request, record_type.slug, request.POST.get("token", ""))
        if taken is None:
            messages.error(request, "The checked file is no longer available; upload it again.")
            return redirect(reverse("web:record_import", args=[record_type.slug]))
        form, (filename, content), dry_run = ImportForm(), taken, False
    else:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return _render(request, record_type, form, status=422)
        upload = form.cleaned_data["file"]
        filename, content = upload.name, upload.read()
        dry_run = request.POST.get("action") != "import"
    try:
        result = _run(request, record_type, filename, content, dry_run=dry_run)
    except DomainError as error:
        form.add_error(None, error.message)
        return _render(request, record_type, form, status=error.status)
    return _after_run(request, record_type, form, result, filename, content)


def _after_run(
    request: HttpRequest,
    record_type: RecordType,
    form: ImportForm,
    result: record_imports.ImportResult,
    filename: str,
    content: bytes,
) -> HttpResponse:
    """A real import that worked goes back to the list; a dry run keeps the file for the import."""
    if result.ok and not result.dry_run:
        messages.success(
            request, f"Imported {filename}: {result.created} created, {result.updated} updated."
        )
        return redirect(reverse("web:record_list", args=[record_type.slug]))
    staged = None
    if result.ok and (result.created or result.updated):
        staged = uploads.stage(request, record_type.slug, filename, content)
    return _render(
        request,
        record_type,
        form,
        result=result,
        filename=filename,
        staged=staged,
        status=200 if result.ok else 422,
    )


def _render(
    request: HttpRequest,
    record_type: RecordType,
    form: ImportForm,
    *,
    status: int,
    result: record_imports.ImportResult | None = None,
    filename: str = "",
    staged: uploads.StagedUpload | None = None,
) -> HttpResponse:
    context = {
        "record_type": record_type,
        "title": f"Import {record_type.label_plural}",
        "list_url": reverse("web:record_list", args=[record_type.slug]),
        "form": form,
        "result": result,
        "filename": filename,
        "staged": staged,
        "natural_key": ", ".join(record_type.natural_key),
    }
    return render_page(request, "web/records/import.html", context, status=status)
