"""Accounting documents wired into the approvals engine: payment runs.

A payment run (the bills a company is about to pay) is submitted to the
company's ``payment-run`` policies; conditions can test its total in company
currency, the highest supplier risk class among its vendors, how many vendors
it pays and whether any vendor's bank account changed in the last 30 days.
Approving it lets the run be paid; rejecting it sends it back to draft-like
``rejected``. Whoever created or edited a vendor on the run cannot approve it
(rule ``VENDOR-EDIT-PAY``), and the engine never lets the requester approve.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from crossdock.accounting.models import PaymentRun
from crossdock.accounting.services.payments import PAYMENT_RUN, run_approved, run_rejected
from crossdock.approvals import registry
from crossdock.approvals.registry import DocumentType, FieldKind, FieldSpec

_RISK_ORDER = {"low": 1, "medium": 2, "high": 3}


def _facts(run: PaymentRun) -> dict[str, Any]:
    from crossdock.masterdata.models import Partner, PartnerBankAccount

    partner_ids = set(run.lines.values_list("installment__partner_id", flat=True))
    risks = [
        r
        for r in Partner.objects.filter(pk__in=partner_ids).values_list(
            "supplier_risk_class", flat=True
        )
        if r
    ]
    recent = timezone.now() - datetime.timedelta(days=30)
    return {
        "amount": run.total_company,
        "supplier_risk_class": max(risks, key=lambda r: _RISK_ORDER.get(r, 0)) if risks else None,
        "vendors": len(partner_ids),
        "bank_change_recent": PartnerBankAccount.objects.filter(
            partner_id__in=partner_ids, status="active", created_at__gte=recent
        ).exists(),
    }


def _summary(run: PaymentRun) -> dict[str, str]:
    lines = run.lines.select_related("installment__partner", "installment__invoice")
    vendors: dict[str, int] = {}
    for line in lines:
        name = line.installment.partner.name
        vendors[name] = vendors.get(name, 0) + 1
    return {
        "Payment run": run.reference,
        "Pay on": run.payment_date.isoformat(),
        "Total (company currency)": str(run.total_company),
        "Bills": str(sum(vendors.values())),
        "Vendors": "; ".join(f"{name} ({count})" for name, count in sorted(vendors.items())[:10]),
    }


registry.register(
    DocumentType(
        code=PAYMENT_RUN,
        label="Payment run",
        model=PaymentRun,
        fields={
            "amount": registry.AMOUNT,
            "supplier_risk_class": registry.SUPPLIER_RISK,
            "vendors": FieldSpec(FieldKind.DECIMAL, "Number of vendors paid"),
            "bank_change_recent": FieldSpec(
                FieldKind.BOOLEAN, "A vendor's bank account changed in the last 30 days"
            ),
        },
        facts=_facts,
        company_id=lambda run: run.company_id,
        summary=_summary,
        on_approved=run_approved,
        on_rejected=run_rejected,
    )
)
