"""Stock adjustments above a value wait for a warehouse manager; small ones go straight through."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Q
from django.utils import timezone

from crossdock.approvals import policies
from crossdock.approvals import services as approvals
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, SegregationOfDutiesError
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.inventory.models import Quant, Transfer
from crossdock.inventory.services.adjustments import (
    STOCK_ADJUSTMENT,
    AdjustmentDraft,
    AdjustmentLine,
    request_adjustment,
)
from tests import factories
from tests.inventory.conftest import SYSTEM


@pytest.fixture
def staff(company_a, warehouse_a):
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a], username="op")
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a], username="wm")
    boss = factories.user(Role.EXECUTIVE, companies=[company_a], username="boss")
    policy = policies.save_policy(
        SYSTEM,
        PolicyDraft(
            company_a.pk,
            STOCK_ADJUSTMENT,
            "Adjustments above 1,000",
            {"field": "amount", "op": ">", "value": "1000"},
            [
                LevelDraft(
                    name="Warehouse manager",
                    rule="role",
                    role="warehouse-manager",
                    sla_hours=4,
                    escalate_to_id=boss.pk,
                )
            ],
        ),
    )
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    return operator, manager, boss


def adjust(site, user, product, difference):
    return request_adjustment(
        Actor.of(user),
        AdjustmentDraft(
            site.warehouse.pk,
            [AdjustmentLine(product.pk, site.stock.pk, Decimal(difference))],
            "Cycle count",
        ),
    )


def on_hand(product, site):
    quant = Quant.objects.filter(product=product, location=site.stock).first()
    return quant.quantity if quant else Decimal(0)


def test_small_adjustment_is_processed_at_once(site, staff):
    operator, _, _ = staff
    product = factories.product(standard_cost=Decimal("5"))
    site.receive(product, "10")
    transfer = adjust(site, operator, product, "-3")  # 15.00: under the threshold
    assert Transfer.objects.get(pk=transfer.pk).state == "done"
    assert on_hand(product, site) == 7


def test_large_adjustment_waits_escalates_and_is_audited(site, staff):
    operator, _manager, boss = staff
    product = factories.product(standard_cost=Decimal("400"))
    site.receive(product, "10")
    transfer = adjust(site, operator, product, "-4")  # 1,600.00
    assert Transfer.objects.get(pk=transfer.pk).state == "approval"
    assert on_hand(product, site) == 10
    request = approvals.request_for(STOCK_ADJUSTMENT, transfer.pk)
    assert list(request.steps.values_list("approver__username", flat=True)) == ["wm"]
    assert request.facts["amount"] == "1600.00"
    with pytest.raises(SegregationOfDutiesError):
        approvals.decide(Actor.of(operator), request.pk, approve=True)
    assert approvals.escalate_overdue(timezone.now() + datetime.timedelta(hours=5)) == 1
    approvals.decide(Actor.of(boss), request.pk, approve=True, comment="Checked the bin")
    assert Transfer.objects.get(pk=transfer.pk).state == "done"
    assert on_hand(product, site) == 6
    chain = list(
        AuditEntry.objects.filter(
            Q(object_type="inventory.transfer", object_id=str(transfer.pk))
            | Q(object_type="approvals.approvalrequest", object_id=str(request.pk))
        )
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert chain[:3] == ["inventory.adjustment.request", "approvals.submit", "approvals.escalate"]
    assert "approvals.approve" in chain
    assert "inventory.validate" in chain


def test_rejected_adjustment_is_cancelled_and_stock_unchanged(site, staff):
    operator, manager, _ = staff
    product = factories.product(standard_cost=Decimal("400"))
    site.receive(product, "10")
    transfer = adjust(site, operator, product, "5")
    request = approvals.request_for(STOCK_ADJUSTMENT, transfer.pk)
    approvals.decide(Actor.of(manager), request.pk, approve=False, comment="Recount first")
    assert Transfer.objects.get(pk=transfer.pk).state == "cancelled"
    assert on_hand(product, site) == 10


def test_bad_adjustments_are_refused(site, staff):
    operator, _, _ = staff
    product = factories.product()
    with pytest.raises(DomainError) as error:
        request_adjustment(
            Actor.of(operator),
            AdjustmentDraft(
                site.warehouse.pk,
                [
                    AdjustmentLine(product.pk, site.stock.pk, Decimal("0.5")),
                    AdjustmentLine(product.pk, site.customer.pk, Decimal(1)),
                ],
                "",
            ),
        )
    assert set(error.value.fields) == {"reason", "lines[0].difference", "lines[1].location"}
    assert not Transfer.objects.filter(kind="adjustment").exists()
