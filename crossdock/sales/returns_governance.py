"""Customer returns in the approvals engine (document type ``sales-return``).

Policies can test the value of the return at the original prices (company
currency), the reason, the resolution asked for and the number of lines. A
company without a policy gets one asking a sales manager when the first RMA
is submitted (:func:`~crossdock.sales.services.credit.ensure_policy`); the
engine never lets whoever submitted the RMA decide it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crossdock.approvals import registry
from crossdock.approvals.registry import AMOUNT, DocumentType, FieldKind, FieldSpec
from crossdock.sales.models import ReturnAuthorization, ReturnReason, ReturnResolution
from crossdock.sales.services.returns import RETURN_APPROVAL, return_approved, return_rejected


def _lines(rma: ReturnAuthorization) -> list[Any]:
    return list(
        rma.lines.select_related("product", "order_line__order__currency").order_by(
            "sequence", "pk"
        )
    )


def return_value(rma: ReturnAuthorization) -> Decimal:
    """The returned goods at the order lines' prices, in the company's currency."""
    total = sum(
        (ln.quantity * ln.order_line.unit_price * ln.order_line.order.rate for ln in _lines(rma)),
        Decimal(0),
    )
    return rma.company.base_currency.round(total)


def return_facts(rma: ReturnAuthorization) -> dict[str, Any]:
    return {
        "amount": return_value(rma),
        "reason": rma.reason,
        "resolution": rma.resolution,
        "lines": Decimal(rma.lines.count()),
    }


def return_summary(rma: ReturnAuthorization) -> dict[str, str]:
    lines = _lines(rma)
    return {
        "Return": rma.reference,
        "Customer": f"{rma.customer.code} {rma.customer.name}",
        "Value": f"{return_value(rma)} {rma.company.base_currency.code}",
        "Reason": rma.get_reason_display(),
        "Resolution": rma.get_resolution_display(),
        "Lines": "; ".join(
            f"{ln.product.sku} × {ln.quantity.normalize():f} of {ln.order_line.order.reference}"
            for ln in lines[:10]
        ),
        "Note": rma.note,
    }


registry.register(
    DocumentType(
        code=RETURN_APPROVAL,
        label="Customer return (RMA)",
        model=ReturnAuthorization,
        fields={
            "amount": AMOUNT,
            "reason": FieldSpec(FieldKind.CHOICE, "Return reason", tuple(ReturnReason.values)),
            "resolution": FieldSpec(FieldKind.CHOICE, "Resolution", tuple(ReturnResolution.values)),
            "lines": FieldSpec(FieldKind.DECIMAL, "Number of lines"),
        },
        facts=return_facts,
        company_id=lambda rma: rma.company_id,
        summary=return_summary,
        on_approved=return_approved,
        on_rejected=return_rejected,
    )
)
