"""Purchase orders in the approvals engine (document type ``purchase-order``) and the
segregation-of-duties rules of the procure-to-pay chain."""

from __future__ import annotations

from typing import Any

from crossdock.approvals import registry
from crossdock.approvals.registry import (
    AMOUNT,
    CATEGORY,
    OFF_CONTRACT,
    SUPPLIER_RISK,
    WAREHOUSE,
    DocumentType,
    FieldKind,
    FieldSpec,
)
from crossdock.core import sod
from crossdock.purchasing.models import BillMatch, PurchaseOrder
from crossdock.purchasing.services.matching import (
    BILL_VARIANCE,
    variance_accepted,
    variance_rejected,
)
from crossdock.purchasing.services.orders import order_approved, order_rejected

PURCHASE_ORDER = "purchase-order"


def _largest_line(order: PurchaseOrder) -> Any:
    lines = list(order.lines.select_related("product__category"))
    return max(lines, key=lambda item: item.quantity * item.unit_price, default=None)


def order_facts(order: PurchaseOrder) -> dict[str, Any]:
    largest = _largest_line(order)
    return {
        "amount": order.amount_company,
        "category": largest.product.category.path if largest else None,
        "supplier_risk": order.supplier.supplier_risk_class or None,
        "off_contract": order.lines.filter(off_contract=True).exists(),
        "warehouse": order.warehouse.code,
        "lines": len(order.lines.all()),
        "revision": order.revision,
    }


def order_summary(order: PurchaseOrder) -> dict[str, str]:
    facts = order_facts(order)
    off = order.lines.filter(off_contract=True).count()
    return {
        "Purchase order": f"{order.reference} (revision {order.revision})",
        "Supplier": f"{order.supplier.code} {order.supplier.name}",
        "Supplier risk": order.supplier.get_supplier_risk_class_display() or "not rated",
        "Warehouse": order.warehouse.name,
        "Amount": f"{order.amount} {order.currency.code}",
        "Amount in company currency": str(order.amount_company),
        "Lines": str(facts["lines"]),
        "Off-contract lines": str(off),
        "Expected": order.expected_date.isoformat(),
    }


registry.register(
    DocumentType(
        code=PURCHASE_ORDER,
        label="Purchase order",
        model=PurchaseOrder,
        fields={
            "amount": AMOUNT,
            "category": CATEGORY,
            "supplier_risk": SUPPLIER_RISK,
            "off_contract": OFF_CONTRACT,
            "warehouse": WAREHOUSE,
            "lines": FieldSpec(FieldKind.DECIMAL, "Number of lines"),
            "revision": FieldSpec(FieldKind.DECIMAL, "Revision number"),
        },
        facts=order_facts,
        company_id=lambda order: order.company_id,
        summary=order_summary,
        on_approved=order_approved,
        on_rejected=order_rejected,
        category_path=lambda order: order_facts(order)["category"],
    )
)

sod.register_rule(
    sod.SodRule(
        code="PO-CREATE-APPROVE",
        description="Whoever creates a purchase order must not approve it.",
        first_action="purchasing.order.create",
        second_action="purchasing.order.approve",
        first_permission="purchasing.add_purchaseorder",
        second_permission="approvals.view_approvalrequest",
    )
)
sod.register_rule(
    sod.SodRule(
        code="RECEIVE-BILL",
        description="Whoever receives the goods must not approve the vendor bill for them.",
        first_action="purchasing.order.receive",
        second_action="purchasing.bill.accept",
        first_permission="inventory.add_transfer",
        second_permission="purchasing.change_billmatch",
    )
)


def _variance_facts(match: Any) -> dict[str, Any]:
    bill = match.invoice
    return {
        "amount": bill.total_company or bill.total_amount,
        "supplier_risk": bill.partner.supplier_risk_class or None,
        "status": match.status,
    }


def _variance_summary(match: Any) -> dict[str, str]:
    bill = match.invoice
    return {
        "Vendor bill": f"{bill} ({bill.partner_reference})",
        "Supplier": f"{bill.partner.code} {bill.partner.name}",
        "Purchase order": match.order.reference if match.order else "—",
        "Total": f"{bill.total_amount} {bill.currency.code}",
        "Match": match.get_status_display(),
        "What differs": match.reason,
        "Why accept": match.resolution_note,
    }


registry.register(
    DocumentType(
        code=BILL_VARIANCE,
        label="Vendor-bill variance",
        model=BillMatch,
        fields={
            "amount": AMOUNT,
            "supplier_risk": SUPPLIER_RISK,
            "status": FieldSpec(
                FieldKind.CHOICE,
                "Match status",
                ("price_variance", "quantity_variance", "not_received", "credit_requested"),
            ),
        },
        facts=_variance_facts,
        company_id=lambda match: match.company_id,
        summary=_variance_summary,
        on_approved=variance_accepted,
        on_rejected=variance_rejected,
    )
)


# -- requisitions ----------------------------------------------------------------------------

PURCHASE_REQUISITION = "purchase-requisition"


def _requisition_lines(requisition: Any) -> tuple[list[Any], list[Any]]:
    from crossdock.purchasing.services.sourcing import line_estimates

    lines = list(requisition.lines.select_related("product__category").order_by("sequence"))
    values = line_estimates(requisition.company, lines, requisition.created_at.date())
    return lines, values


def requisition_facts(requisition: Any) -> dict[str, Any]:
    lines, values = _requisition_lines(requisition)
    largest = max(zip(values, range(len(lines)), strict=True), default=None)
    return {
        "amount": requisition.estimated_amount,
        "category": lines[largest[1]].product.category.path if largest else None,
        "warehouse": requisition.warehouse.code,
        "lines": len(lines),
    }


def requisition_summary(requisition: Any) -> dict[str, str]:
    requester = requisition.requested_by
    return {
        "Requisition": requisition.reference,
        "Requested by": requester.get_username() if requester else "—",
        "Warehouse": requisition.warehouse.name,
        "Needed by": requisition.needed_by.isoformat(),
        "Estimated amount in company currency": str(requisition.estimated_amount),
        "Lines": str(requisition.lines.count()),
        "Note": requisition.note or "—",
    }


def _register_requisitions() -> None:
    from crossdock.purchasing.models import PurchaseRequisition
    from crossdock.purchasing.services.sourcing import requisition_approved, requisition_rejected

    registry.register(
        DocumentType(
            code=PURCHASE_REQUISITION,
            label="Purchase requisition",
            model=PurchaseRequisition,
            fields={
                "amount": AMOUNT,
                "category": CATEGORY,
                "warehouse": WAREHOUSE,
                "lines": FieldSpec(FieldKind.DECIMAL, "Number of lines"),
            },
            facts=requisition_facts,
            company_id=lambda requisition: requisition.company_id,
            summary=requisition_summary,
            on_approved=requisition_approved,
            on_rejected=requisition_rejected,
            category_path=lambda requisition: requisition_facts(requisition)["category"],
        )
    )


_register_requisitions()
