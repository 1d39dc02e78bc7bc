"""The stock-flow screens: return, dispatch and arrival, scrap, damage, putaway rules."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.core.roles import Role
from crossdock.inventory import services
from crossdock.inventory.models import PutawayRule, Quant, Transfer
from tests import factories
from tests.browser import client_for
from tests.inventory.conftest import SYSTEM, Site

D = Decimal
PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"}


@pytest.fixture
def operator(company_a, warehouse_a):
    return factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a], username="op")


@pytest.fixture
def manager(company_a, warehouse_a):
    return factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a], username="wm")


def test_return_a_delivery_from_its_page(site, operator):
    web = client_for(operator)
    product = factories.product()
    site.receive(product, "10", cost="1.00")
    delivery = services.validate_transfer(SYSTEM, site.deliver(product, "6").pk)
    page = web.get(reverse("inventory:transfer_detail", args=[delivery.pk]))
    assert b"Return" in page.content
    form = web.get(reverse("inventory:transfer_return", args=[delivery.pk]))
    assert form.status_code == 200
    field = f"line_{delivery.moves.get().pk}_0"
    too_many = web.post(
        reverse("inventory:transfer_return", args=[delivery.pk]),
        {field: "7", "location": site.qc.pk},
    )
    assert too_many.status_code == 200
    assert b"At most 6" in too_many.content
    assert not Transfer.objects.filter(kind="return").exists()
    done = web.post(
        reverse("inventory:transfer_return", args=[delivery.pk]),
        {field: "2", "location": site.qc.pk, "reason": "Crushed box"},
    )
    returned = Transfer.objects.get(kind="return")
    assert done.url == reverse("inventory:transfer_detail", args=[returned.pk])
    web.post(reverse("inventory:transfer_action", args=[returned.pk, "validate"]))
    assert Quant.objects.get(product=product, location=site.qc).quantity == 2


def test_dispatch_then_confirm_the_arrival_on_a_phone(site, operator, company_a):
    depot = Site(factories.warehouse(company_a))
    web = client_for(operator)
    product = factories.product()
    site.receive(product, "5", cost="1.00")
    assert web.get(reverse("inventory:dispatch"), **PHONE).status_code == 200
    sent = web.post(
        reverse("inventory:dispatch"),
        {
            "from_warehouse": site.warehouse.pk,
            "to_warehouse": depot.warehouse.pk,
            "product": product.sku,
            "quantity": "4",
            "expected_on": "2031-01-02",
        },
    )
    dispatch = Transfer.objects.get(kind="transit_out")
    assert sent.url == reverse("inventory:transfer_detail", args=[dispatch.pk])
    web.post(reverse("inventory:transfer_action", args=[dispatch.pk, "validate"]))
    arrival = Transfer.objects.get(kind="transit_in")
    page = web.get(reverse("inventory:transfer_detail", args=[arrival.pk]), **PHONE)
    assert b"Confirm arrival" in page.content
    web.post(reverse("inventory:transfer_arrive", args=[arrival.pk]), {"location": ""})
    assert Quant.objects.get(product=product, location=depot.stock).quantity == 4


def test_scrap_and_damage_forms(site, operator):
    web = client_for(operator)
    product = factories.product()
    site.receive(product, "5", cost="1.00")
    data = {
        "action": "scrap",
        "location": site.qc.pk,
        "product": product.sku,
        "quantity": "1",
        "reason": "Broken",
    }
    refused = web.post(reverse("inventory:scrap"), data)
    assert refused.status_code == 200
    assert b"Only 0" in refused.content
    assert not Transfer.objects.filter(kind="scrap").exists()
    web.post(reverse("inventory:scrap"), {**data, "location": site.stock.pk})
    web.post(reverse("inventory:scrap"), {**data, "location": site.stock.pk, "action": "damage"})
    assert Quant.objects.get(product=product, location=site.stock).quantity == 3


def test_putaway_rules_screens_follow_the_role(site, operator, manager):
    product = factories.product()
    assert client_for(operator).get(reverse("inventory:putaway_list")).status_code == 200
    assert client_for(operator).get(reverse("inventory:putaway_new")).status_code == 403
    web = client_for(manager)
    shelf = site.bin("R1")
    saved = web.post(
        reverse("inventory:putaway_new"),
        {
            "warehouse": site.warehouse.pk,
            "product": product.sku,
            "location": shelf.pk,
            "sequence": "10",
        },
    )
    assert saved.status_code == 302, saved.content
    rule = PutawayRule.objects.get()
    assert (rule.product_id, rule.location_id) == (product.pk, shelf.pk)
    listed = web.get(reverse("inventory:putaway_list"))
    assert product.sku.encode() in listed.content
    site.receive(product, "3", cost="1.00")
    assert Quant.objects.get(product=product, location=shelf).quantity == 3
