"""The exception-queue screens: the queue list, a queue's items, running an action with
HTMX (the row is swapped with the outcome) and dismissing, within the user's scope."""

from __future__ import annotations

import pytest
from django.test import Client

from crossdock.core.roles import Role
from crossdock.insight.models import ExceptionItem
from crossdock.sales.models import SalesOrder
from tests import factories
from tests.insight.queues.conftest import refresh
from tests.insight.queues.test_sales import _held
from tests.inventory.conftest import Site
from tests.sales.conftest import Selling


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def blocked(warehouse_a):
    Site(warehouse_a).deliver(factories.product(sku="VIEW-1"), "5")
    refresh("blocked_shipment")
    return ExceptionItem.objects.get(kind="blocked_shipment")


def test_the_queue_list_and_a_queue_show_the_users_items(blocked, company_a, company_b):
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a])
    client = _client(manager)
    page = client.get("/insight/queues/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'href="/insight/queues/warehouse/"' in body
    assert "Exception queues" in body  # the navigation entry too
    items = client.get("/insight/queues/warehouse/")
    assert items.status_code == 200
    assert "VIEW-1" in items.content.decode()
    assert f'id="item-{blocked.pk}"' in items.content.decode()
    high = client.get("/insight/queues/warehouse/", {"severity": "1"}).content.decode()
    assert (f'id="item-{blocked.pk}"' in high) is (blocked.severity == 1)

    outsider = _client(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_b]))
    assert "VIEW-1" not in outsider.get("/insight/queues/warehouse/").content.decode()
    stranger = _client(factories.user(Role.CREDIT_CONTROLLER, companies=[company_a]))
    assert stranger.get("/insight/queues/warehouse/").status_code == 404
    assert outsider.post(f"/insight/queues/items/{blocked.pk}/dismiss/").status_code == 404


def test_dismissing_needs_a_note_and_swaps_the_row(blocked, company_a):
    client = _client(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a]))
    url = f"/insight/queues/items/{blocked.pk}/dismiss/"
    refused = client.post(url, {"note": ""}, HTTP_HX_REQUEST="true")
    assert "say why the item needs no action" in refused.content.decode()
    assert ExceptionItem.objects.get(pk=blocked.pk).is_open
    done = client.post(url, {"note": "Picked up"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    assert "Closed (dismissed)" in done.content.decode()
    assert ExceptionItem.objects.get(pk=blocked.pk).close_reason == "dismissed"


def test_running_the_suggested_action_from_the_screen(warehouse_a):
    selling = Selling(warehouse_a, credit_limit="1000")
    from crossdock.core.context import Actor

    selling.controller = Actor.of(
        factories.user(Role.CREDIT_CONTROLLER, companies=[selling.company])
    )
    selling.product = factories.product()
    selling.price(selling.product, "100.00")
    selling.stock(selling.product, "100")
    order = _held(selling)
    refresh("credit_hold")
    item = ExceptionItem.objects.get(kind="credit_hold")
    client = _client(selling.controller.user)
    page = client.get("/insight/queues/credit/").content.decode()
    assert f"Release {order.reference} to the warehouse" in page
    assert 'hx-confirm="Release' in page

    ran = client.post(f"/insight/queues/items/{item.pk}/run/", HTTP_HX_REQUEST="true")

    assert ran.status_code == 200
    assert f"{order.reference} released to the warehouse." in ran.content.decode()
    assert SalesOrder.objects.get(pk=order.pk).state == "confirmed"
    rep = _client(selling.actor.user)  # may read the queue, not run the release
    assert (
        'hx-post="/insight/queues/items/'
        not in rep.get("/insight/queues/credit/").content.decode().split("Release")[0]
    )


def _tomorrow() -> str:
    import datetime

    from django.utils import timezone

    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def test_assigning_from_the_screen_offers_the_role_and_refuses_others(blocked, company_a):
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a])
    colleague = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a], username="wm-anna")
    buyer = factories.user(Role.BUYER, companies=[company_a], username="buyer-bo")
    client = _client(manager)
    page = client.get("/insight/queues/warehouse/").content.decode()
    assert f'<option value="{colleague.pk}">wm-anna</option>' in page
    assert "buyer-bo" not in page
    url = f"/insight/queues/items/{blocked.pk}/assign/"

    refused = client.post(url, {"owner": str(buyer.pk)}, HTTP_HX_REQUEST="true")
    assert (
        "Owner: Not an active warehouse-manager user with access to the item&#x27;s company."
        in refused.content.decode()
    )
    garbage = client.post(url, {"owner": "x"}, HTTP_HX_REQUEST="true")
    assert "Owner: Not an active warehouse-manager user" in garbage.content.decode()
    unchanged = ExceptionItem.objects.get(pk=blocked.pk)
    assert (unchanged.owner_id, unchanged.assigned) == (None, False)

    done = client.post(url, {"owner": str(colleague.pk)}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    assert "Given to wm-anna." in done.content.decode()
    assigned = ExceptionItem.objects.get(pk=blocked.pk)
    assert (assigned.owner_id, assigned.assigned) == (colleague.pk, True)
    back = client.post(url, {"owner": ""}, HTTP_HX_REQUEST="true")
    assert "Back to the warehouse-manager role." in back.content.decode()
    assert ExceptionItem.objects.get(pk=blocked.pk).assigned is False


def test_snoozing_from_the_screen_needs_a_later_day_and_a_reason(blocked, company_a):
    client = _client(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a]))
    url = f"/insight/queues/items/{blocked.pk}/snooze/"
    from django.utils import timezone

    for sent, message in [
        ({"until": "2026-13-40", "reason": "Truck"}, "Until: Not a date (YYYY-MM-DD)."),
        ({"until": timezone.localdate().isoformat(), "reason": "x"}, "Until: Pick a day after"),
        ({"until": _tomorrow(), "reason": "  "}, "Reason: Say why the item can wait."),
    ]:
        refused = client.post(url, sent, HTTP_HX_REQUEST="true")
        assert message in refused.content.decode(), sent
        assert ExceptionItem.objects.get(pk=blocked.pk).snoozed_until is None

    done = client.post(url, {"until": _tomorrow(), "reason": "Truck due"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    assert "Snoozed until" in done.content.decode()
    item = ExceptionItem.objects.get(pk=blocked.pk)
    assert timezone.localtime(item.snoozed_until).date().isoformat() == _tomorrow()
    assert item.last_outcome.endswith(": Truck due")
    assert (
        f'id="item-{blocked.pk}"' not in client.get("/insight/queues/warehouse/").content.decode()
    )


def test_assign_and_snooze_need_the_right_to_work_items(blocked, company_a, company_b):
    outsider = _client(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_b]))
    for action in ("assign", "snooze"):
        url = f"/insight/queues/items/{blocked.pk}/{action}/"
        assert outsider.post(url, {"until": _tomorrow(), "reason": "x"}).status_code == 404
    item = ExceptionItem.objects.get(pk=blocked.pk)
    assert (item.owner_id, item.snoozed_until) == (None, None)
