"""Working items: dismiss (not raised again while the cause lasts), assign, snooze, and the
company scope of every action; the registry holds a source for each kind of issue 9."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.insight.models import ExceptionItem
from crossdock.insight.queues import selectors
from crossdock.insight.queues.registry import SOURCES
from crossdock.insight.queues.services import (
    assign_item,
    dismiss_item,
    refresh_queues,
    run_action,
    snooze_item,
)
from crossdock.inventory.services import cancel_transfer
from tests import factories
from tests.insight.queues.conftest import events, open_items, refresh, the_open_item
from tests.inventory.conftest import SYSTEM, Site

KINDS = {
    "overdue_receipt",
    "unconfirmed_po",
    "supplier_delay",
    "stockout_risk",
    "excess_stock",
    "dead_stock",
    "invoice_mismatch",
    "duplicate_bill",
    "credit_hold",
    "approval_bottleneck",
    "blocked_shipment",
    "unresolved_return",
    "cycle_count_variance",
}


def test_every_kind_of_the_issue_has_a_source():
    assert set(SOURCES) >= KINDS
    assert all(SOURCES[k].description and SOURCES[k].owner_role for k in KINDS)


def test_unknown_kinds_are_refused(db):
    with pytest.raises(DomainError) as refused:
        refresh_queues(kinds=["no_such_kind"])
    assert "no_such_kind" in refused.value.message


@pytest.fixture
def blocked(warehouse_a):
    site = Site(warehouse_a)
    delivery = site.deliver(factories.product(), "5")
    refresh("blocked_shipment")
    return delivery, the_open_item("blocked_shipment")


@pytest.fixture
def manager(company_a):
    return Actor.of(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a]))


def test_a_dismissed_item_is_not_raised_again_while_its_cause_lasts(blocked, manager):
    delivery, item = blocked
    with pytest.raises(DomainError):
        dismiss_item(manager, item.pk, "  ")
    dismiss_item(manager, item.pk, "Customer collects next week")
    item.refresh_from_db()
    assert (item.close_reason, item.last_outcome) == (
        "dismissed",
        "Dismissed: Customer collects next week",
    )
    assert events("insight.exception.closed", item) == 1
    assert AuditEntry.objects.filter(action="insight.exception.dismiss").count() == 1

    refresh("blocked_shipment")
    assert open_items("blocked_shipment") == []  # the cause lasts, the dismissal holds

    cancel_transfer(SYSTEM, delivery.pk)
    refresh("blocked_shipment")
    item.refresh_from_db()
    assert item.close_reason == "dismissal-lapsed"  # a new cause would open a new item


def test_assign_keeps_the_owner_across_refreshes_and_refuses_outsiders(blocked, manager, company_b):
    _, item = blocked
    colleague = factories.user(Role.WAREHOUSE_OPERATOR, companies=[item.company])
    outsider = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_b])
    with pytest.raises(DomainError) as refused:
        assign_item(manager, item.pk, outsider.pk)
    assert refused.value.fields == {
        "owner": ["not an active user with access to the item's company"]
    }
    assign_item(manager, item.pk, colleague.pk)
    refresh("blocked_shipment")
    item.refresh_from_db()
    assert (item.owner_id, item.assigned) == (colleague.pk, True)
    assert item in selectors.visible_items(colleague)


def test_a_snoozed_item_leaves_the_queue_until_its_time(blocked, manager):
    _, item = blocked
    with pytest.raises(DomainError):
        snooze_item(manager, item.pk, timezone.now() - datetime.timedelta(hours=1))
    snooze_item(manager, item.pk, timezone.now() + datetime.timedelta(days=2))
    visible = selectors.visible_items(manager.user)
    assert list(selectors.open_items(visible)) == []
    assert list(selectors.open_items(visible, snoozed=True)) == [item]
    [summary] = [s for s in selectors.queue_summaries(manager.user) if s.queue == "warehouse"]
    assert summary.open == 0


def test_another_companys_user_cannot_see_or_work_the_item(blocked, company_b):
    _, item = blocked
    stranger = Actor.of(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_b]))
    assert not selectors.visible_items(stranger.user).filter(pk=item.pk).exists()
    for attempt in (
        lambda: run_action(stranger, item.pk, {}),
        lambda: dismiss_item(stranger, item.pk, "not mine"),
        lambda: assign_item(stranger, item.pk, None),
    ):
        with pytest.raises(NotFoundError):
            attempt()
    assert ExceptionItem.objects.get(pk=item.pk).is_open


def test_a_role_without_the_queue_does_not_see_it(blocked, company_a):
    _, item = blocked
    clerk = factories.user(Role.AR_CLERK, companies=[company_a])  # reads transfers
    agent = factories.user(Role.SERVICE_AGENT, companies=[company_a])
    credit = factories.user(Role.CREDIT_CONTROLLER, companies=[company_a])
    assert selectors.visible_items(clerk).filter(pk=item.pk).exists()
    assert selectors.visible_items(agent).filter(pk=item.pk).exists()  # reads transfers too
    assert not selectors.visible_items(credit).filter(pk=item.pk).exists()
    assert "blocked_shipment" not in selectors.visible_kinds(credit)


def test_the_command_refreshes_now_and_refuses_unknown_kinds(blocked):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("refresh-queues", "--now", "--kind", "blocked_shipment", stdout=out)
    assert "blocked_shipment: 0 opened, 1 still open, 0 closed" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("refresh-queues", "--now", "--kind", "nothing", stdout=io.StringIO())
