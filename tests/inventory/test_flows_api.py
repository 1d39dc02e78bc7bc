"""Stock flows over the REST API: returns, dispatch and arrival, scrap, putaway rules."""

from decimal import Decimal

import pytest

from crossdock.inventory import services
from crossdock.inventory.models import Quant, Transfer
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM, Site
from tests.inventory.test_api import problem, written

D = Decimal


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


def test_return_a_delivery_into_quality_hold_by_api(api, site):
    product = factories.product()
    site.receive(product, "10", cost="2.00")
    delivery = services.validate_transfer(SYSTEM, site.deliver(product, "4").pk)
    move = delivery.moves.get()
    created = api.post(
        f"transfers/{delivery.pk}/return",
        {"lines": [{"move": move.pk, "quantity": "3"}], "location": site.qc.pk, "reason": "Wet"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["state"], body["returned_from"]) == (
        "return",
        "confirmed",
        delivery.pk,
    )
    assert api.post(f"transfers/{body['id']}/validate").json()["state"] == "done"
    assert Quant.objects.get(product=product, location=site.qc).quantity == 3
    before = written()
    refused = api.post(
        f"transfers/{delivery.pk}/return", {"lines": [{"move": move.pk, "quantity": "2"}]}
    )
    problem(refused, 422, "lines[0].quantity")
    assert written() == before


def test_dispatch_and_arrival_by_api_refuse_a_location_of_another_company(
    api, site, company_a, warehouse_b
):
    depot = Site(factories.warehouse(company_a))
    product = factories.product()
    site.receive(product, "8", cost="1.00")
    sent = api.post(
        "dispatches",
        {
            "from_warehouse": site.warehouse.pk,
            "to_warehouse": depot.warehouse.pk,
            "expected_on": "2031-05-04",
            "lines": [{"product": product.pk, "quantity": "5"}],
        },
    )
    assert sent.status_code == 201, sent.content
    assert api.post(f"transfers/{sent.json()['id']}/validate").status_code == 200
    arrival = Transfer.objects.get(previous_step_id=sent.json()["id"])
    availability = api.get(
        "availability", {"products": str(product.pk), "warehouses": str(depot.warehouse.pk)}
    ).json()["items"]
    assert (availability[0]["in_transit"], availability[0]["incoming"]) == (
        "5.000000",
        [{"date": "2031-05-04", "quantity": "5.000000"}],
    )
    before = written()
    foreign = Site(warehouse_b).stock
    problem(api.post(f"transfers/{arrival.pk}/arrive", {"location": foreign.pk}), 422, "location")
    assert written() == before
    move = arrival.moves.get()
    arrived = api.post(
        f"transfers/{arrival.pk}/arrive", {"lines": [{"move": move.pk, "quantity": "3"}]}
    )
    assert arrived.status_code == 200, arrived.content
    assert len(arrived.json()["backorders"]) == 1
    assert Quant.objects.get(product=product, location=depot.stock).quantity == 3


def test_scrap_by_api_from_an_empty_location_writes_nothing(api, site):
    product = factories.product()
    site.receive(product, "3", cost="1.00")
    before = written()
    body = {
        "warehouse": site.warehouse.pk,
        "location": site.qc.pk,
        "reason": "Broken",
        "lines": [{"product": product.pk, "quantity": "1"}],
    }
    problem(api.post("scraps", body), 422, "lines[0].quantity")
    assert written() == before
    scrapped = api.post("scraps", {**body, "location": site.stock.pk})
    assert scrapped.status_code == 201, scrapped.content
    assert (scrapped.json()["kind"], scrapped.json()["state"]) == ("scrap", "done")
    damaged = api.post("damages", {**body, "location": site.stock.pk})
    assert damaged.status_code == 201, damaged.content
    assert Quant.objects.get(product=product, location=site.stock).quantity == 1


def test_putaway_rules_by_api_with_optimistic_concurrency(api, site):
    product = factories.product()
    shelf = site.bin("P1")
    created = api.post(
        "putaway-rules",
        {"warehouse": site.warehouse.pk, "location": shelf.pk, "product": product.pk},
    )
    assert created.status_code == 201, created.content
    rule = created.json()
    assert (rule["location_path"], rule["sequence"], created["ETag"]) == (shelf.path, 10, '"1"')
    body = {"warehouse": site.warehouse.pk, "location": site.qc.pk, "product": product.pk}
    changed = api.put(f"putaway-rules/{rule['id']}", {**body, "sequence": 5}, HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200, changed.content
    assert (changed.json()["sequence"], changed.json()["version"]) == (5, 2)
    problem(api.put(f"putaway-rules/{rule['id']}", body, HTTP_IF_MATCH='"1"'), 412)
    problem(api.post("putaway-rules", {**body, "product": None}), 422, "product")
    listed = api.get("putaway-rules", {"warehouse": site.warehouse.pk}).json()["items"]
    assert [r["id"] for r in listed] == [rule["id"]]
    assert api.delete(f"putaway-rules/{rule['id']}").status_code == 204
    assert api.get(f"putaway-rules/{rule['id']}").status_code == 404
