"""Blocked shipments, cycle-count variances and approval bottlenecks (with a reminder)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.approvals import policies
from crossdock.approvals import services as approvals
from crossdock.approvals.models import ApprovalRequest, InboxMessage
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.context import Actor
from crossdock.core.models import OutboxEvent
from crossdock.core.roles import Role
from crossdock.insight.queues.services import run_action
from crossdock.inventory.models import Transfer
from crossdock.inventory.services import reserve_moves
from crossdock.inventory.services.adjustments import STOCK_ADJUSTMENT
from crossdock.inventory.services.counts import (
    CountDraft,
    CountEntry,
    create_count,
    record_counts,
    start_count,
    submit_count,
)
from tests import factories
from tests.insight.queues.conftest import (
    assert_closed_by_refresh,
    open_items,
    refresh,
    the_open_item,
)
from tests.inventory.conftest import SYSTEM, Site

D = Decimal


@pytest.fixture
def site(warehouse_a):
    return Site(warehouse_a)


@pytest.fixture
def staff(company_a):
    """An operator who counts, a manager who approves adjustments above 1,000."""
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a])
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a])
    policy = policies.save_policy(
        SYSTEM,
        PolicyDraft(
            company_a.pk,
            STOCK_ADJUSTMENT,
            "Adjustments above 1,000",
            {"field": "amount", "op": ">", "value": "1000"},
            [LevelDraft(name="Warehouse manager", rule="role", role="warehouse-manager")],
        ),
    )
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    return Actor.of(operator), Actor.of(manager)


def test_a_delivery_waiting_for_stock_is_blocked_until_its_stock_is_reserved(site):
    product = factories.product(sku="BLOCK-1")
    delivery = site.deliver(product, "5")
    assert delivery.state == "confirmed"

    refresh("blocked_shipment")

    item = the_open_item("blocked_shipment")
    assert (item.queue, item.owner_role, item.warehouse_id, item.key) == (
        "warehouse",
        "warehouse-manager",
        site.warehouse.pk,
        f"transfer:{delivery.pk}",
    )
    assert item.context["waiting_products"] == ["BLOCK-1"]
    assert item.document_url == f"/inventory/transfers/{delivery.pk}/"

    site.receive(product, "5", "3")
    reserve_moves(SYSTEM, delivery.moves.values_list("pk", flat=True))
    assert Transfer.objects.get(pk=delivery.pk).state == "assigned"
    assert_closed_by_refresh(item)


def _counted_difference(site, operator):
    motor = factories.product(sku="MOTOR-Q", standard_cost=D("400"))
    site.receive(motor, "10", cost="400")
    sheet = create_count(operator, CountDraft(site.warehouse.pk, "locations", [site.stock.pk]))
    sheet = start_count(operator, sheet.pk)
    record_counts(operator, sheet.pk, [CountEntry(motor.pk, site.stock.pk, D(6))])
    sheet = submit_count(operator, sheet.pk)
    assert sheet.state == "submitted"  # 4 × 400 = 1,600 waits for the manager
    return sheet


def test_a_count_difference_waits_as_a_variance_until_the_adjustment_is_approved(site, staff):
    operator, manager = staff
    sheet = _counted_difference(site, operator)

    refresh("cycle_count_variance")

    item = the_open_item("cycle_count_variance")
    assert (item.owner_role, item.key, item.warehouse_id) == (
        "warehouse-manager",
        f"count:{sheet.pk}",
        site.warehouse.pk,
    )
    assert (item.context["lines_differing"], item.context["net_difference"]) == (1, "-4")
    assert item.context["gross_difference"] == "4"
    request = approvals.request_for(STOCK_ADJUSTMENT, sheet.adjustment_id)
    approvals.decide(manager, request.pk, approve=True, comment="Recounted")
    assert_closed_by_refresh(item)


def test_an_approval_waiting_too_long_is_a_bottleneck_and_its_approver_is_reminded(site, staff):
    operator, manager = staff
    sheet = _counted_difference(site, operator)
    request = approvals.request_for(STOCK_ADJUSTMENT, sheet.adjustment_id)
    refresh("approval_bottleneck")
    assert open_items("approval_bottleneck") == []  # not waiting long enough yet
    ApprovalRequest.objects.filter(pk=request.pk).update(
        submitted_at=request.submitted_at - datetime.timedelta(hours=100)
    )

    refresh("approval_bottleneck")

    item = the_open_item("approval_bottleneck")
    assert (item.queue, item.owner_id, item.severity) == ("approvals", manager.user.pk, 2)
    assert item.context["hours_waiting"] == 100
    assert item.context["approvers"] == [manager.user.username]
    assert item.action == "remind_approvers"

    before = InboxMessage.objects.filter(recipient=manager.user).count()
    result = run_action(operator, item.pk, {})

    assert result.message == "Reminded 1 approver(s)."
    assert InboxMessage.objects.filter(recipient=manager.user).count() == before + 1
    assert OutboxEvent.objects.filter(name="approvals.reminded").count() == 1
    assert result.item.is_open
    approvals.decide(manager, request.pk, approve=True, comment="Recounted")
    assert_closed_by_refresh(item)


def test_a_blocked_delivery_suggests_a_transfer_from_a_warehouse_with_free_stock(site):
    from crossdock.planning.models import TransferLane

    central = factories.warehouse(site.company, "B-CENTRAL", name="Central B")
    TransferLane.objects.create(
        company=site.company, from_warehouse=central, to_warehouse=site.warehouse, lead_time_days=3
    )
    product = factories.product(sku="BLOCK-T")
    site.receive(product, "2", "3")
    Site(central).receive(product, "50", "3")
    delivery = site.deliver(product, "10")
    reserve_moves(SYSTEM, delivery.moves.values_list("pk", flat=True))  # 2 reserved, 8 wait
    assert Transfer.objects.get(pk=delivery.pk).state == "partial"

    refresh("blocked_shipment")

    item = the_open_item("blocked_shipment")
    arrives = datetime.date.today() + datetime.timedelta(days=3)
    assert item.action == "transfer_stock"
    assert item.action_params == {
        "from_warehouse": central.pk,
        "to_warehouse": site.warehouse.pk,
        "product": product.pk,
        "quantity": "8",
        "expected_on": arrives.isoformat(),
    }
    assert item.action_label == (
        f"Transfer 8 of BLOCK-T from {central.name} (50 free) to {site.warehouse.name}, "
        f"arriving {arrives:%a %-d %b}"
    )

    manager = Actor.of(factories.user(Role.WAREHOUSE_MANAGER, companies=[site.company]))
    result = run_action(manager, item.pk, {})

    dispatch = Transfer.objects.get(kind="transit_out")
    assert (dispatch.warehouse_id, dispatch.origin) == (central.pk, delivery.reference)
    assert result.message == f"Dispatch {dispatch.reference} created for 8."
    assert the_open_item("blocked_shipment").pk == item.pk  # still waits for the goods

    site.receive(product, "8", "3")
    reserve_moves(SYSTEM, delivery.moves.values_list("pk", flat=True))
    assert Transfer.objects.get(pk=delivery.pk).state == "assigned"
    assert_closed_by_refresh(item)


def test_no_transfer_is_suggested_when_no_other_warehouse_has_enough(site):
    other = factories.warehouse(site.company, "B-OTHER")
    product = factories.product(sku="BLOCK-N")
    Site(other).receive(product, "4", "3")  # 5 are missing
    site.deliver(product, "5")

    refresh("blocked_shipment")

    item = the_open_item("blocked_shipment")
    assert (item.action, item.action_label, item.action_params) == ("", "", {})
