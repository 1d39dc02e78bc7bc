"""The price-list screens with Django's test client: list, detail, proposing and submitting a
change, and the approver's inbox showing it with its figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from crossdock.approvals import policies, services
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.context import Actor
from crossdock.core.roles import Role
from crossdock.masterdata import pricing
from crossdock.masterdata.models import PriceListChange, PriceListItem
from crossdock.masterdata.pricing import PRICE_LIST_CHANGE
from tests import factories

D = Decimal
SYSTEM = Actor.system("tests")


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def shop(company_a):
    price_list = pricing.create_price_list(
        SYSTEM,
        {"company": company_a, "code": "SHOP", "name": "Shop", "currency": company_a.base_currency},
    )
    drill = factories.product("DRILL-18V", name="Cordless drill", standard_cost=D("60.00"))
    PriceListItem.objects.create(
        price_list=price_list,
        product=drill,
        unit_price=D("100.00"),
        valid_from=datetime.date(2026, 1, 1),
    )
    rep = factories.user(Role.SALES_REP, companies=[company_a], username="rep")
    manager = factories.user(Role.SALES_MANAGER, companies=[company_a], username="boss")
    policy = policies.save_policy(
        SYSTEM,
        PolicyDraft(
            company_id=company_a.pk, document_type=PRICE_LIST_CHANGE, name="Cuts above 10 %",
            condition={"field": "discount_pct", "op": ">", "value": "10"},
            levels=[LevelDraft(name="Sales manager", rule="role", role="sales-manager")],
        ),
    )  # fmt: skip
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    return {"list": price_list, "drill": drill, "rep": rep, "manager": manager}


def rows(*lines):
    data = {
        "rows-TOTAL_FORMS": "5",
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "50",
    }
    for index, (sku, quantity, price, remove) in enumerate(lines):
        data |= {
            f"rows-{index}-sku": sku,
            f"rows-{index}-min_quantity": quantity,
            f"rows-{index}-new_price": price,
        }
        if remove:
            data[f"rows-{index}-remove"] = "on"
    return data


def test_list_and_detail_show_the_prices(shop):
    web = client_for(shop["rep"])
    listing = web.get(reverse("prices:list"))
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "SHOP Shop" in page
    assert 'href="/prices/"' in page  # the sidebar entry
    detail = web.get(reverse("prices:detail", args=[shop["list"].pk])).content.decode()
    assert "DRILL-18V Cordless drill" in detail
    assert "100.000000 EUR" in detail
    assert "Propose changes" in detail


def test_propose_a_cut_submit_it_and_the_manager_sees_it_in_the_inbox(shop):
    web = client_for(shop["rep"])
    url = reverse("prices:change_create", args=[shop["list"].pk])
    assert web.get(url).status_code == 200
    response = web.post(url, {**rows(("DRILL-18V", "1", "80.00", False)), "note": "Spring promo"})
    change = PriceListChange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("prices:change_detail", args=[change.pk])
    detail = web.get(response["Location"]).content.decode()
    assert "100.000000" in detail
    assert "80.000000" in detail
    assert "-20.00" in detail
    assert 'type="submit">Submit</button>' in detail
    submitted = web.post(reverse("prices:change_submit", args=[change.pk]), follow=True)
    assert "Submitted for approval" in submitted.content.decode()
    change.refresh_from_db()
    assert change.state == "submitted"
    inbox = client_for(shop["manager"]).get(reverse("approvals:inbox"))
    page = inbox.content.decode()
    assert [card["request"].document_type for card in inbox.context["cards"]] == [PRICE_LIST_CHANGE]
    assert "Price-list change" in page
    assert "DRILL-18V 100 → 80 EUR (−20.00 %)" in page
    assert "Largest price cut %" in page
    assert "<strong>20.00</strong>" in page


def test_a_bad_row_is_refused_on_the_form_and_writes_nothing(shop):
    web = client_for(shop["rep"])
    url = reverse("prices:change_create", args=[shop["list"].pk])
    unknown = web.post(url, rows(("NO-SUCH-SKU", "1", "5", False)))
    assert unknown.status_code == 200
    assert "No product with SKU NO-SUCH-SKU." in unknown.content.decode()
    missing = web.post(url, rows(("DRILL-18V", "1", "", False)))
    assert "Give the new price, or tick Remove." in missing.content.decode()
    remove_nothing = web.post(url, rows(("DRILL-18V", "5", "", True)))
    assert "There is no such price to remove." in remove_nothing.content.decode()
    assert not PriceListChange.objects.exists()


def test_screens_respect_roles_and_companies(shop, company_b):
    stranger = factories.user(Role.SALES_MANAGER, companies=[company_b])
    assert (
        client_for(stranger).get(reverse("prices:detail", args=[shop["list"].pk])).status_code
        == 404
    )
    warehouse = factories.user(Role.WAREHOUSE_OPERATOR, companies=[shop["list"].company])
    assert client_for(warehouse).get(reverse("prices:list")).status_code == 403
    change = pricing.propose_price_changes(
        SYSTEM, shop["list"].pk, [pricing.PriceLine(shop["drill"].pk, D("99"))]
    )
    auditor = factories.user(Role.AUDITOR, companies=[shop["list"].company])
    web = client_for(auditor)
    assert (
        "Submit" not in web.get(reverse("prices:change_detail", args=[change.pk])).content.decode()
    )
    assert web.post(reverse("prices:change_submit", args=[change.pk])).status_code == 403
    change.refresh_from_db()
    assert change.state == "draft"
    assert services.request_for(PRICE_LIST_CHANGE, change.pk) is None
