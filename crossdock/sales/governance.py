"""Sales orders in the approvals engine: price exceptions (``sales-price-exception``) and
credit releases (``sales-credit-release``). The engine never lets a requester decide
their own request, so whoever entered or confirmed an order cannot release its hold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crossdock.approvals import registry
from crossdock.approvals.registry import (
    AMOUNT,
    CATEGORY,
    DISCOUNT_PERCENT,
    MARGIN_PERCENT,
    WAREHOUSE,
    DocumentType,
    FieldKind,
    FieldSpec,
)
from crossdock.sales.models import SalesOrder
from crossdock.sales.services.credit import CREDIT_RELEASE, credit_refused, credit_released
from crossdock.sales.services.orders import PRICE_EXCEPTION, price_approved, price_rejected


def _exceptions(order: SalesOrder) -> list[Any]:
    return list(order.lines.exclude(price_exception="").select_related("product__category"))


def price_facts(order: SalesOrder) -> dict[str, Any]:
    lines = _exceptions(order)
    margins = [m for m in (line.margin_percent for line in lines) if m is not None]
    largest = max(lines, key=lambda line: line.quantity * line.unit_price, default=None)
    return {
        "amount": order.amount_company,
        "margin": min(margins, default=None),
        "discount": max((line.discount_percent for line in lines), default=Decimal(0)),
        "category": largest.product.category.path if largest else None,
        "warehouse": order.warehouse.code,
    }


def price_summary(order: SalesOrder) -> dict[str, str]:
    lines = _exceptions(order)
    return {
        "Sales order": order.reference,
        "Customer": f"{order.customer.code} {order.customer.name}",
        "Amount": f"{order.amount} {order.currency.code}",
        "Order margin": f"{order.margin_percent} %",
        "Lines needing approval": "; ".join(
            f"{line.product.sku}: {line.price_exception}" for line in lines[:10]
        ),
    }


registry.register(
    DocumentType(
        code=PRICE_EXCEPTION,
        label="Sales price exception",
        model=SalesOrder,
        fields={
            "amount": AMOUNT,
            "margin": MARGIN_PERCENT,
            "discount": DISCOUNT_PERCENT,
            "category": CATEGORY,
            "warehouse": WAREHOUSE,
        },
        facts=price_facts,
        company_id=lambda order: order.company_id,
        summary=price_summary,
        on_approved=price_approved,
        on_rejected=price_rejected,
        category_path=lambda order: price_facts(order)["category"],
    )
)


def credit_facts(order: SalesOrder) -> dict[str, Any]:
    return {
        "amount": order.amount_company,
        "exposure": order.credit_exposure,
        "over_limit": order.credit_exposure - order.credit_limit,
        "tier": order.customer.customer_tier or None,
    }


def credit_summary(order: SalesOrder) -> dict[str, str]:
    code = order.company.base_currency.code
    return {
        "Sales order": order.reference,
        "Customer": f"{order.customer.code} {order.customer.name}",
        "Amount": f"{order.amount_company} {code}",
        "Exposure with this order": f"{order.credit_exposure} {code}",
        "Credit limit": f"{order.credit_limit} {code}",
        "Why held": order.hold_reason,
    }


registry.register(
    DocumentType(
        code=CREDIT_RELEASE,
        label="Credit hold release",
        model=SalesOrder,
        fields={
            "amount": AMOUNT,
            "exposure": FieldSpec(FieldKind.DECIMAL, "Exposure in company currency"),
            "over_limit": FieldSpec(FieldKind.DECIMAL, "Amount over the limit"),
            "tier": FieldSpec(
                FieldKind.CHOICE, "Customer tier", ("strategic", "key", "standard", "occasional")
            ),
        },
        facts=credit_facts,
        company_id=lambda order: order.company_id,
        summary=credit_summary,
        on_approved=credit_released,
        on_rejected=credit_refused,
    )
)
