"""The exception-queue screen in real Chromium: open the warehouse queue, run a blocked
delivery's suggested transfer and see its outcome, snooze another item and see it leave."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from crossdock.core.roles import Role
from crossdock.insight.models import ExceptionItem
from crossdock.inventory.models import Transfer
from crossdock.inventory.services import reserve_moves
from crossdock.planning.models import TransferLane
from tests import factories
from tests.browser import expect
from tests.insight.queues.conftest import refresh
from tests.inventory.conftest import SYSTEM, Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIRST_LOAD_MS = 120_000  # the first request builds the URL configuration


@pytest.fixture
def blocked(warehouse_a):
    """Two deliveries waiting for stock: one another warehouse can cover, one it cannot."""
    site = Site(warehouse_a)
    central = factories.warehouse(site.company, "BR-CENTRAL", name="Central BR")
    TransferLane.objects.create(
        company=site.company, from_warehouse=central, to_warehouse=site.warehouse, lead_time_days=2
    )
    covered, scarce = factories.product(sku="BR-COVER"), factories.product(sku="BR-SCARCE")
    Site(central).receive(covered, "30", "3")
    first, second = site.deliver(covered, "6"), site.deliver(scarce, "4")
    reserve_moves(SYSTEM, [m.pk for t in (first, second) for m in t.moves.all()])
    refresh("blocked_shipment")
    items = ExceptionItem.objects.filter(kind="blocked_shipment").order_by("pk")
    return site, central, first, items[0], items[1]


def test_run_the_suggested_transfer_then_snooze_an_item(browser, blocked):
    site, central, delivery, with_transfer, other = blocked
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[site.company])
    page = browser.page(manager)
    page.on("dialog", lambda dialog: dialog.accept())  # the action's hx-confirm

    page.goto("/insight/queues/", timeout=FIRST_LOAD_MS)
    page.locator('a[href="/insight/queues/warehouse/"]').first.click()
    expect(page).to_have_url(re.compile(r"/insight/queues/warehouse/$"))
    row = page.locator(f"#item-{with_transfer.pk}")
    expect(row).to_contain_text("BR-COVER")
    run = row.get_by_role("button", name=re.compile(r"^Transfer 6 of BR-COVER from Central BR"))

    run.click()

    dispatch_text = page.locator(f"#item-{with_transfer.pk} [role=status]")
    expect(dispatch_text).to_contain_text(re.compile(r"Dispatch \S+ created for 6\."))
    dispatch = Transfer.objects.get(kind="transit_out")
    assert (dispatch.warehouse_id, dispatch.origin) == (central.pk, delivery.reference)

    other_row = page.locator(f"#item-{other.pk}")
    day = timezone.localdate() + datetime.timedelta(days=3)
    other_row.get_by_label(f"Snooze item {other.pk} until").fill(day.isoformat())
    other_row.get_by_label(f"Why item {other.pk} can wait").fill("Supplier delivers Friday")
    other_row.get_by_role("button", name="Snooze").click()

    expect(page.locator(f"#item-{other.pk}")).to_contain_text(f"Snoozed until {day:%a %-d %b}")
    page.reload()
    expect(page.locator(f"#item-{with_transfer.pk}")).to_have_count(1)
    expect(page.locator(f"#item-{other.pk}")).to_have_count(0)
    assert not browser.js_errors
