"""Import screens: the supplier catalogue (CSV or XLSX) and suppliers' e-invoices (UBL XML),
each checked first (dry run), then imported."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from crossdock.accounting.models import Invoice
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Company
from crossdock.purchasing.models import BillMatch, SupplierProduct
from crossdock.purchasing.services.bill_import import import_vendor_bill
from crossdock.purchasing.services.catalogue_import import KNOWN, import_catalogue
from crossdock.web.views.common import render_page
from crossdock.web.workspace import workspace_of

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class CatalogueImportForm(forms.Form):
    company = forms.ModelChoiceField(queryset=Company.objects.none())
    file = forms.FileField(help_text="CSV or XLSX, one row per price break.")
    dry_run = forms.BooleanField(required=False, initial=True, label="Only check (dry run)")

    def __init__(
        self, *args: object, user: object, initial_company: Company | None, **kwargs: object
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["company"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Company.objects.in_scope_of(user).order_by("code")
        if initial_company is not None:
            field.initial = initial_company.pk

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_import(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (
        has_model_permission(user, SupplierProduct, "add")
        and has_model_permission(user, SupplierProduct, "change")
    ):
        raise PermissionDenied
    current = workspace_of(request).current
    form = CatalogueImportForm(
        request.POST or None, request.FILES or None, user=user, initial_company=current
    )
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        company = form.cleaned_data["company"]
        if company is None:
            raise Http404("No such company.")
        try:
            result = import_catalogue(
                Actor.of(user),
                company.pk,
                upload.name,
                upload.read(),
                dry_run=form.cleaned_data["dry_run"],
            )
        except DomainError as error:
            form.add_error("file", error.message)
        if result is not None and result.ok and not result.dry_run:
            messages.success(
                request,
                f"Imported: {result.created} new and {result.updated} replaced catalogue entries.",
            )
            return redirect("purchasing:catalogue")
    context = {"title": "Import the supplier catalogue", "form": form, "result": result,
               "columns": KNOWN}  # fmt: skip
    return render_page(request, "purchasing/catalogue_import.html", context)


class BillImportForm(forms.Form):
    company = forms.ModelChoiceField(queryset=Company.objects.none())
    file = forms.FileField(
        help_text="A supplier's UBL 2.1 invoice or credit note (Peppol BIS 3, EN 16931), XML."
    )
    dry_run = forms.BooleanField(required=False, initial=True, label="Only check (dry run)")

    def __init__(
        self, *args: object, user: object, initial_company: Company | None, **kwargs: object
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["company"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Company.objects.in_scope_of(user).order_by("code")
        if initial_company is not None:
            field.initial = initial_company.pk

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def bill_import(request: HttpRequest) -> HttpResponse:
    """Import an e-invoice into the AP match queue: check it first, then import it."""
    user = request.user
    if not (
        has_model_permission(user, Invoice, "add")
        and has_model_permission(user, BillMatch, "change")
    ):
        raise PermissionDenied
    current = workspace_of(request).current
    form = BillImportForm(
        request.POST or None, request.FILES or None, user=user, initial_company=current
    )
    result = None
    problems: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        company = form.cleaned_data["company"]
        if company is None:
            raise Http404("No such company.")
        try:
            result = import_vendor_bill(
                Actor.of(user),
                company.pk,
                upload.name,
                upload.read(),
                dry_run=form.cleaned_data["dry_run"],
            )
        except DomainError as error:
            problems = [
                (name, message) for name, messages in error.fields.items() for message in messages
            ] or [("file", error.message)]
            form.add_error(None, f"Nothing was imported: {error.message}")
    context = {
        "title": "Import an e-invoice",
        "form": form,
        "result": result,
        "problems": problems,
    }
    return render_page(request, "purchasing/bill_import.html", context)
