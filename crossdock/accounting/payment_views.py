"""Finance screens for money: payments received and paid with their allocations, registering
a payment against chosen open items, and payment runs (gather, submit, pay, cancel)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.accounting.forms import DATE
from crossdock.accounting.models import (
    Account,
    AccountType,
    Installment,
    Payment,
    PaymentDirection,
    PaymentRun,
    PaymentRunState,
)
from crossdock.accounting.services import payments
from crossdock.accounting.views import _companies, _require
from crossdock.approvals.models import ApprovalRequest
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Company, Partner
from crossdock.web.views.common import render_page
from crossdock.web.workspace import workspace_of

ZERO = Decimal(0)


def _company(request: HttpRequest) -> Company:
    company = workspace_of(request).current or _companies(request).first()
    if company is None:
        raise Http404("No company in your scope.")
    return company


class PaymentForm(forms.Form):
    direction = forms.ChoiceField(label="Direction", choices=PaymentDirection.choices)
    partner = forms.ModelChoiceField(label="Partner", queryset=Partner.objects.none())
    date = forms.DateField(label="Date", widget=DATE)
    amount = forms.DecimalField(label="Amount", min_value=Decimal("0.01"), decimal_places=4,
                                max_digits=18)  # fmt: skip
    bank_account = forms.ModelChoiceField(label="Bank account", queryset=Account.objects.none())
    reference = forms.CharField(label="Reference", max_length=100, required=False)
    overpayment = forms.BooleanField(label="Keep any rest on the partner's account", required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(  # type: ignore[attr-defined]
            company=company, active=True
        ).order_by("name")
        self.fields["bank_account"].queryset = Account.objects.filter(  # type: ignore[attr-defined]
            company=company, active=True, account_type=AccountType.BANK
        ).order_by("code")


class RunForm(forms.Form):
    payment_date = forms.DateField(label="Pay on", widget=DATE)
    due_until = forms.DateField(label="Bills due until", widget=DATE, required=False,
                                help_text="Leave empty for the payment date.")  # fmt: skip
    note = forms.CharField(label="Note", max_length=200, required=False)


@login_required
@require_safe
def payment_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, Payment)
    rows = (
        Payment.objects.restrict(request.user)
        .select_related("partner", "currency", "company")
        .order_by("-date", "-pk")
    )
    direction = request.GET.get("direction")
    if direction in PaymentDirection.values:
        rows = rows.filter(direction=direction)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {"title": "Payments", "page": page, "direction": direction}
    return render_page(request, "accounting/payment_list.html", context)


def _open_items(company: Company, partner: Partner | None, direction: str) -> list[Installment]:
    if partner is None:
        return []
    return list(
        Installment.objects.filter(
            company=company,
            partner=partner,
            side=payments.side_of(direction),
            open_amount__gt=0,
        )
        .select_related("invoice", "currency")
        .order_by("due_date", "pk")[:200]
    )


def _chosen(
    request: HttpRequest, items: list[Installment]
) -> list[payments.AllocationInput] | None:
    """The amounts typed against open items; None when none was typed (oldest due first)."""
    chosen = []
    for item in items:
        raw = request.POST.get(f"item_{item.pk}", "").strip()
        if not raw:
            continue
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise DomainError(
                f"item_{item.pk}: {raw!r} is not an amount.",
                fields={f"item_{item.pk}": ["Not an amount."]},
            ) from None
        chosen.append(payments.AllocationInput(item.pk, amount))
    return chosen or None


@login_required
@require_http_methods(["GET", "POST"])
def payment_create(request: HttpRequest) -> HttpResponse:
    """Register a payment; the partner's open items are listed to allocate against."""
    _require(request.user, Payment, "add")
    company = _company(request)
    source = request.POST if request.method == "POST" else request.GET
    direction = source.get("direction") or PaymentDirection.INBOUND
    if direction not in PaymentDirection.values:
        direction = PaymentDirection.INBOUND
    bank = Account.objects.filter(company=company, role="bank").first()
    initial = {"date": timezone.localdate(), "direction": direction, "bank_account": bank}
    form = PaymentForm(
        request.POST or None,
        company=company,
        initial={**initial, **{k: v for k, v in request.GET.items() if k in ("partner",)}},
    )
    partner_id = source.get("partner")
    partner = Partner.objects.filter(pk=partner_id, company=company).first() if partner_id else None
    items = _open_items(company, partner, direction)
    for item in items:
        item.typed = request.POST.get(f"item_{item.pk}", "")  # type: ignore[attr-defined]
    if request.method == "POST" and "show_items" not in request.POST and form.is_valid():
        data = form.cleaned_data
        try:
            payment = payments.register_payment(
                Actor.of(request.user),
                payments.PaymentInput(
                    company_id=company.pk, direction=data["direction"],
                    partner_id=data["partner"].pk, date=data["date"], amount=data["amount"],
                    bank_account_id=data["bank_account"].pk, reference=data["reference"],
                    allocations=_chosen(request, items), overpayment=data["overpayment"],
                ),
            )  # fmt: skip
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Payment {payment} posted.")
            return redirect("accounting:payment_detail", pk=payment.pk)
    context = {
        "title": "Register a payment",
        "form": form,
        "company": company,
        "items": items,
    }
    return render_page(request, "accounting/payment_form.html", context)


def _payment(request: HttpRequest, pk: int, action: str = "view") -> Payment:
    _require(request.user, Payment, action)
    found = Payment.objects.restrict(request.user, action).filter(pk=pk).first()
    if found is None:
        raise Http404("No such payment.")
    return found


@login_required
@require_safe
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment(request, pk)
    allocations = payment.allocations.select_related("installment__invoice").order_by("pk")
    context = {
        "title": str(payment),
        "payment": payment,
        "allocations": list(allocations),
        "can_change": has_model_permission(request.user, Payment, "change"),
    }
    return render_page(request, "accounting/payment_detail.html", context)


@login_required
@require_POST
def payment_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment(request, pk, "change")
    try:
        payments.allocate_payment(Actor.of(request.user), payment.pk)
        messages.success(request, "Allocated to the oldest open items.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("accounting:payment_detail", pk=payment.pk)


@login_required
@require_safe
def run_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, PaymentRun)
    rows = PaymentRun.objects.restrict(request.user).select_related("company").order_by("-pk")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render_page(request, "accounting/run_list.html", {"title": "Payment runs", "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def run_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, PaymentRun, "add")
    company = _company(request)
    form = RunForm(request.POST or None, initial={"payment_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = payments.create_payment_run(
                Actor.of(request.user), company.pk, data["payment_date"], data["due_until"],
                note=data["note"],
            )  # fmt: skip
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{run} gathered {run.lines.count()} bills.")
            return redirect("accounting:run_detail", pk=run.pk)
    context = {"title": "New payment run", "form": form, "company": company}
    return render_page(request, "accounting/run_form.html", context)


def _run(request: HttpRequest, pk: int, action: str = "view") -> PaymentRun:
    _require(request.user, PaymentRun, action)
    found = PaymentRun.objects.restrict(request.user, action).filter(pk=pk).first()
    if found is None:
        raise Http404("No such payment run.")
    return found


@login_required
@require_safe
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    lines = list(
        run.lines.select_related(
            "installment__invoice", "installment__partner", "installment__currency"
        ).order_by("installment__partner__name", "pk")
    )
    context = {
        "title": str(run),
        "run": run,
        "lines": lines,
        "payments": list(run.payments.select_related("partner", "currency").order_by("pk")),
        "request_": ApprovalRequest.objects.filter(
            document_type=payments.PAYMENT_RUN, document_id=str(run.pk)
        )
        .order_by("-pk")
        .first(),
        "can_change": has_model_permission(request.user, PaymentRun, "change"),
        "states": PaymentRunState,
    }
    return render_page(request, "accounting/run_detail.html", context)


RUN_ACTIONS = {
    "submit": (payments.submit_payment_run, "Submitted for approval."),
    "pay": (payments.execute_payment_run, "Paid: one payment per vendor posted."),
    "cancel": (payments.cancel_payment_run, "Cancelled."),
}


@login_required
@require_POST
def run_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    run = _run(request, pk, "change")
    if action not in RUN_ACTIONS:
        raise Http404("Unknown action.")
    act, message = RUN_ACTIONS[action]
    try:
        done = act(Actor.of(request.user), run.pk)
        messages.success(request, f"{message} ({done.get_state_display()})")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("accounting:run_detail", pk=run.pk)
