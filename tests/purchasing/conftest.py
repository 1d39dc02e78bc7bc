"""Purchasing fixtures: a supplier with catalogue entries, a buyer, and a shortcut to order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.core.context import Actor
from crossdock.core.roles import Role
from crossdock.purchasing.services.catalogue import OfferDraft, PriceBreakDraft, save_offer
from crossdock.purchasing.services.orders import (
    OrderDraft,
    OrderLineDraft,
    create_purchase_order,
)
from tests import factories
from tests.inventory.conftest import SYSTEM, Site

D = Decimal


class Buying:
    """One company buying from one supplier into one warehouse."""

    def __init__(self, warehouse):
        self.site = Site(warehouse)
        self.company = warehouse.company
        self.warehouse = warehouse
        self.supplier = factories.partner(self.company, is_customer=False, is_supplier=True)
        self.buyer = factories.user(Role.BUYER, companies=[self.company])
        self.actor = Actor.of(self.buyer)

    def offer(self, product, *breaks, moq="0", multiple="1", contract="C-1", **extra):
        return save_offer(
            SYSTEM,
            OfferDraft(
                company_id=self.company.pk,
                supplier_id=self.supplier.pk,
                product_id=product.pk,
                currency_id=self.supplier.currency_id,
                breaks=[PriceBreakDraft(D(low), D(price)) for low, price in breaks],
                minimum_quantity=D(moq),
                order_multiple=D(multiple),
                contract_reference=contract,
                **extra,
            ),
        )

    def draft(self, *lines, **extra):
        return OrderDraft(
            supplier_id=self.supplier.pk,
            warehouse_id=self.warehouse.pk,
            lines=[
                OrderLineDraft(p.pk, D(q), None if price is None else D(price))
                for p, q, price in lines
            ],
            **extra,
        )

    def order(self, *lines, actor=None, **extra):
        return create_purchase_order(actor or self.actor, self.draft(*lines, **extra))


@pytest.fixture
def buying(warehouse_a):
    return Buying(warehouse_a)


def make_policy(company, document_type, condition, role="purchasing-manager"):
    """An active policy of ``document_type``: one level approved by anyone with ``role``."""
    from crossdock.approvals import policies

    draft = policies.PolicyDraft(
        company_id=company.pk,
        document_type=document_type,
        name=f"{document_type} test policy",
        condition=condition,
        levels=[policies.LevelDraft(name="Approvers", rule="role", role=role)],
    )
    policy = policies.save_policy(SYSTEM, draft)
    return policies.set_policy_status(SYSTEM, policy.pk, "active")
