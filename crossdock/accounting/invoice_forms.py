"""Forms of the invoice screens: the list filters and a draft with its lines (a formset).

Rows of the formset that were left empty are skipped; the rest become
:class:`~crossdock.accounting.services.invoicing.InvoiceLineInput` in order. A refusal of
the service names fields (``partner``, ``lines.1.quantity``); :func:`show_refusal` puts
each message on the field it names, so the clerk sees it where it was typed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms

from crossdock.accounting.forms import DATE
from crossdock.accounting.models import (
    Account,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    Tax,
)
from crossdock.accounting.services.invoicing import InvoiceInput, InvoiceLineInput
from crossdock.core.errors import DomainError
from crossdock.masterdata.models import Company, Currency, Partner, PaymentTerm, Product

ZERO = Decimal(0)
MONEY = {"decimal_places": 4, "max_digits": 18}

# The list's "kind" filter: what a clerk looks for, each credit note kind under one name.
KIND_FILTERS = {
    "invoice": (InvoiceKind.CUSTOMER_INVOICE,),
    "bill": (InvoiceKind.VENDOR_BILL,),
    "credit_note": (InvoiceKind.CUSTOMER_CREDIT, InvoiceKind.VENDOR_CREDIT),
}


class InvoiceFilterForm(forms.Form):
    company = forms.ModelChoiceField(
        label="Company", queryset=Company.objects.none(), required=False, empty_label="All"
    )
    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "All"), ("invoice", "Invoices"), ("bill", "Bills"),
                 ("credit_note", "Credit notes")],
    )  # fmt: skip
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "All"), *InvoiceState.choices]
    )
    partner = forms.CharField(label="Partner", max_length=100, required=False)
    since = forms.DateField(label="From", required=False, widget=DATE)
    until = forms.DateField(label="To", required=False, widget=DATE)

    def __init__(self, *args: Any, companies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]


class InvoiceForm(forms.Form):
    """The header of a draft; partners, taxes and accounts are those of ``company``."""

    company = forms.ModelChoiceField(label="Company", queryset=Company.objects.none())
    kind = forms.ChoiceField(label="Kind", choices=InvoiceKind.choices)
    partner = forms.ModelChoiceField(label="Partner", queryset=Partner.objects.none())
    currency = forms.ModelChoiceField(
        label="Currency", queryset=Currency.objects.filter(active=True).order_by("code"),
        required=False, empty_label="Partner's currency",
    )  # fmt: skip
    date = forms.DateField(label="Date", widget=DATE)
    due_date = forms.DateField(label="Due date", widget=DATE, required=False,
                               help_text="Leave empty to follow the payment term.")  # fmt: skip
    payment_term = forms.ModelChoiceField(
        label="Payment term", queryset=PaymentTerm.objects.order_by("net_days", "code"),
        required=False, empty_label="Partner's term",
    )  # fmt: skip
    partner_reference = forms.CharField(
        label="Partner reference", max_length=60, required=False,
        help_text="The vendor's bill number or the customer's PO.",
    )  # fmt: skip
    memo = forms.CharField(label="Memo", max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, companies: Any, company: Company, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]
        # A draft keeps its company and kind; what it charges and to whom may change.
        self.fields["company"].disabled = editing
        self.fields["kind"].disabled = editing
        self.fields["partner"].queryset = Partner.objects.filter(  # type: ignore[attr-defined]
            company=company, active=True
        ).order_by("name")


class InvoiceLineForm(forms.Form):
    product = forms.CharField(label="Product SKU", max_length=40, required=False)
    description = forms.CharField(label="Description", max_length=200, required=False)
    quantity = forms.DecimalField(label="Quantity", required=False, **MONEY)  # type: ignore[arg-type]
    unit_price = forms.DecimalField(label="Unit price", required=False, **MONEY)  # type: ignore[arg-type]
    discount_percent = forms.DecimalField(
        label="Discount %", required=False, min_value=0, max_value=100, decimal_places=4,
        max_digits=8,
    )  # fmt: skip
    tax = forms.ModelChoiceField(
        label="Tax", queryset=Tax.objects.none(), required=False, empty_label="No tax"
    )
    account = forms.ModelChoiceField(
        label="Account", queryset=Account.objects.none(), required=False, empty_label="Default"
    )
    # The receipt or delivery move a line made from a transfer charges; kept through edits.
    stock_move = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tax"].queryset = Tax.objects.filter(  # type: ignore[attr-defined]
            company=company, active=True
        ).order_by("use", "code")
        self.fields["account"].queryset = Account.objects.filter(  # type: ignore[attr-defined]
            company=company, active=True
        ).order_by("code")
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = field.label

    def clean_product(self) -> Product | None:
        sku = self.cleaned_data["product"].strip()
        if not sku:
            return None
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise forms.ValidationError(f"No product with SKU {sku}.")
        return product

    def is_blank(self) -> bool:
        typed = (name for name in self.fields if name != "stock_move")
        return not any(self.cleaned_data.get(name) for name in typed)

    def line(self) -> InvoiceLineInput:
        data = self.cleaned_data
        product, tax, account = data["product"], data["tax"], data["account"]
        description = data["description"] or (f"{product.sku} {product.name}" if product else "")
        return InvoiceLineInput(
            description=description,
            quantity=data["quantity"] if data["quantity"] is not None else ZERO,
            unit_price=data["unit_price"] if data["unit_price"] is not None else ZERO,
            product_id=product.pk if product else None,
            discount_percent=data["discount_percent"] or ZERO,
            tax_id=tax.pk if tax else None,
            account_id=account.pk if account else None,
            stock_move_id=data["stock_move"],
        )


class BaseInvoiceLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        self.company = company
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"company": self.company}

    def filled(self) -> list[tuple[int, InvoiceLineForm]]:
        """The rows that were typed in, with their index in the formset."""
        return [(index, form) for index, form in enumerate(self.forms) if not form.is_blank()]


InvoiceLineFormSet = forms.formset_factory(
    InvoiceLineForm, formset=BaseInvoiceLineFormSet, extra=2, max_num=200, validate_max=True
)


def line_formset(
    data: Any, company: Company, initial: list[dict[str, Any]] | None = None
) -> BaseInvoiceLineFormSet:
    """The lines of a draft in ``company``: those it has, then two empty rows."""
    formset_class = cast(type[BaseInvoiceLineFormSet], InvoiceLineFormSet)
    return formset_class(data, company=company, prefix="lines", initial=initial)


def initial_of(invoice: Invoice) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A draft's header and lines as the form's initial values."""
    header = {
        "company": invoice.company_id, "kind": invoice.kind, "partner": invoice.partner_id,
        "currency": invoice.currency_id, "date": invoice.date, "due_date": invoice.due_date,
        "payment_term": invoice.payment_term_id, "partner_reference": invoice.partner_reference,
        "memo": invoice.memo, "version": invoice.version,
    }  # fmt: skip
    lines = [_initial_line(line) for line in invoice.lines.select_related("product")]
    return header, lines


def _initial_line(line: InvoiceLine) -> dict[str, Any]:
    return {
        "product": line.product.sku if line.product else "",
        "description": line.description, "quantity": line.quantity,
        "unit_price": line.unit_price, "discount_percent": line.discount_percent or None,
        "tax": line.tax_id, "account": line.account_id, "stock_move": line.stock_move_id,
    }  # fmt: skip


def invoice_input(form: InvoiceForm, rows: list[tuple[int, InvoiceLineForm]]) -> InvoiceInput:
    data = form.cleaned_data
    return InvoiceInput(
        company_id=data["company"].pk,
        kind=data["kind"],
        partner_id=data["partner"].pk,
        date=data["date"],
        lines=[row.line() for _index, row in rows],
        currency_id=data["currency"].pk if data["currency"] else None,
        payment_term_id=data["payment_term"].pk if data["payment_term"] else None,
        due_date=data["due_date"],
        partner_reference=data["partner_reference"],
        memo=data["memo"],
    )


def show_refusal(
    error: DomainError,
    form: InvoiceForm,
    formset: BaseInvoiceLineFormSet,
    rows: list[tuple[int, InvoiceLineForm]],
) -> None:
    """Put each message of a refusal on the field it names (``lines.N.x`` is row N's ``x``)."""
    shown = False
    for name, problems in error.fields.items():
        target: forms.Form | None = None
        field: str | None = None
        parts = name.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit():
            position = int(parts[1])
            if position < len(rows):
                target = rows[position][1]
                known = target.fields.get(parts[2])
                field = parts[2] if known is not None and not known.widget.is_hidden else None
        elif name in form.fields:
            target, field = form, name
        for problem in problems:
            if target is not None:
                target.add_error(field, problem)
            else:
                form.add_error(None, problem)
            shown = True
    if not shown:
        form.add_error(None, error.message)
