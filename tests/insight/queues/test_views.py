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
