"""Landed costs over the API and in the web UI: exact figures, clear refusals, roles."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from crossdock.accounting.models import JournalEntry, LandedCost, LandedCostState
from crossdock.accounting.services import set_lock_date
from crossdock.accounting.services.landed import LandedCostInput, create_landed_cost
from crossdock.core.checks import run_checks
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role, role_allows
from crossdock.inventory import services as inventory
from crossdock.inventory.models import ValuationLayer
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM, Site
from tests.permission_matrix import assert_answer, module_matrix, tagged_operations

D = Decimal


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


def received_and_part_sold(site: Site, method: str = "fifo"):
    """In 10 @ 5.00, out 4: the receipt transfer and its move."""
    product = factories.product(costing_method=method, sku=f"LC-{method}", name="Crate")
    receipt = site.receive(product, "10", cost="5.00")
    delivery = site.deliver(product, "4")
    inventory.validate_transfer(SYSTEM, delivery.pk)
    return product, receipt, receipt.moves.get()


def payload(site: Site, **extra: Any) -> dict[str, Any]:
    return {
        "company": site.company.pk,
        "date": timezone.localdate().isoformat(),
        "description": "Sea freight",
        "amount": "30.00",
        "split_method": "equally",
        **extra,
    }


def written() -> tuple[int, int, int, int]:
    return (
        LandedCost.objects.count(),
        ValuationLayer.objects.count(),
        JournalEntry.objects.count(),
        AuditEntry.objects.count(),
    )


def test_draft_post_and_read_a_landed_cost(api, warehouse_a):
    site = Site(warehouse_a)
    product, receipt, move = received_and_part_sold(site)
    created = api.post("landed-costs", payload(site, transfers=[receipt.reference]))
    assert created.status_code == 201, created.content
    draft = created.json()
    assert (draft["state"], draft["number"], draft["moves"], draft["lines"]) == (
        "draft",
        "",
        [move.pk],
        [],
    )
    assert draft["amount"] == "30.0000"
    posted = api.post(f"landed-costs/{draft['id']}/post", HTTP_IDEMPOTENCY_KEY="lc-post-1")
    assert posted.status_code == 200, posted.content
    body = posted.json()
    assert body["state"] == "posted"
    assert body["number"].startswith("STK/")
    assert body["lines"] == [
        {"move": move.pk, "transfer": receipt.reference, "product": product.pk,
         "product_sku": "LC-fifo", "allocated": "30.0000", "on_hand": "18.0000",
         "sold": "12.0000"},
    ]  # fmt: skip
    replay = api.post(f"landed-costs/{draft['id']}/post", HTTP_IDEMPOTENCY_KEY="lc-post-1")
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    again = api.post(f"landed-costs/{draft['id']}/post")
    assert again.status_code == 409
    assert api.get(f"landed-costs/{draft['id']}").json()["entry"] == body["entry"]
    listed = api.get("landed-costs", {"company": site.company.pk, "state": "posted"}).json()
    assert [x["id"] for x in listed["items"]] == [draft["id"]]
    assert run_checks()[1] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"split_method": "by_colour"}, "split_method"),
        ({"moves": [999_999]}, "moves"),
        ({"transfers": ["IN/NOPE"]}, "transfers"),
        ({"description": ""}, "description"),
        ({"vendor_bill": 999_999}, "vendor_bill"),
        ({"date": "2026-02-30"}, "date"),
        ({"company": 999_999}, "company"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(api, warehouse_a, change, field):
    site = Site(warehouse_a)
    _product, _receipt, move = received_and_part_sold(site)
    before = written()
    response = api.post("landed-costs", {**payload(site, moves=[move.pk]), **change})
    assert response.status_code in (404, 422), response.content
    assert any(field in key for key in response.json().get("errors", {})), response.json()
    assert written() == before


def test_a_delivery_move_is_refused(api, warehouse_a):
    site = Site(warehouse_a)
    product, _receipt, _move = received_and_part_sold(site)
    delivery = ValuationLayer.objects.get(product=product, quantity__lt=0).move
    before = written()
    response = api.post("landed-costs", payload(site, moves=[delivery.pk]))
    assert response.status_code == 422
    assert "not a receipt" in response.json()["errors"]["moves"][0]
    assert written() == before


def test_floats_are_refused(api, warehouse_a):
    site = Site(warehouse_a)
    _product, _receipt, move = received_and_part_sold(site)
    response = api.post("landed-costs", {**payload(site, moves=[move.pk]), "amount": 30.0})
    assert response.status_code == 422


def test_posting_into_a_locked_period_is_a_409_and_writes_nothing(api, warehouse_a):
    site = Site(warehouse_a)
    _product, _receipt, move = received_and_part_sold(site)
    draft = api.post("landed-costs", payload(site, moves=[move.pk])).json()
    set_lock_date(SYSTEM, site.company.pk, timezone.localdate())
    before = written()
    response = api.post(f"landed-costs/{draft['id']}/post")
    assert response.status_code == 409
    assert "locked up to" in response.json()["detail"]
    assert written() == before
    assert LandedCost.objects.get(pk=draft["id"]).state == LandedCostState.DRAFT


def test_cancel_a_draft(api, warehouse_a):
    site = Site(warehouse_a)
    _product, _receipt, move = received_and_part_sold(site)
    draft = api.post("landed-costs", payload(site, moves=[move.pk])).json()
    cancelled = api.post(f"landed-costs/{draft['id']}/cancel")
    assert cancelled.json()["state"] == "cancelled"
    assert api.post(f"landed-costs/{draft['id']}/post").status_code == 409


def test_a_user_of_company_a_never_sees_company_b_landed_costs(company_a, warehouse_b):
    site_b = Site(warehouse_b)
    _product, _receipt, move = received_and_part_sold(site_b)
    landed = create_landed_cost(
        SYSTEM,
        LandedCostInput(
            site_b.company.pk, timezone.localdate(), "Duty", D(5), "equally", [move.pk]
        ),
    )
    client = ApiClient(factories.user(Role.CONTROLLER, companies=[company_a]))
    assert client.get("landed-costs").json()["items"] == []
    assert client.get(f"landed-costs/{landed.pk}").status_code == 404
    assert client.post(f"landed-costs/{landed.pk}/post").status_code == 404
    response = client.post("landed-costs", payload(site_b, moves=[move.pk]))
    assert response.status_code == 404
    assert LandedCost.objects.filter(company__in=[company_a, site_b.company]).count() == 1


# -- the permission matrix -----------------------------------------------------------------------

ROLES = list(Role)
ENDPOINTS: dict[str, tuple[str, int, Any]] = {
    "list": ("view", 200, lambda c, m: c.get("landed-costs")),
    "create": ("add", 201, lambda c, m: c.post("landed-costs", m.body())),
    "get": ("view", 200, lambda c, m: c.get(f"landed-costs/{m.posted}")),
    "post": ("change", 200, lambda c, m: c.post(f"landed-costs/{m.draft()}/post")),
    "cancel": ("change", 200, lambda c, m: c.post(f"landed-costs/{m.draft()}/cancel")),
}
ROUTES = {
    "list": ("get", "/api/v1/landed-costs"),
    "create": ("post", "/api/v1/landed-costs"),
    "get": ("get", "/api/v1/landed-costs/{id}"),
    "post": ("post", "/api/v1/landed-costs/{id}/post"),
    "cancel": ("post", "/api/v1/landed-costs/{id}/cancel"),
}


class Matrix:
    def __init__(self) -> None:
        company = factories.company("LCX", name="Landed-cost matrix")
        self.site = Site(factories.warehouse(company))
        self.move = self.site.receive(factories.product(), "10", cost="1.00").moves.get()
        self.posted = self.draft()
        from crossdock.accounting.services.landed import post_landed_cost

        post_landed_cost(SYSTEM, self.posted)
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    def body(self) -> dict[str, Any]:
        return payload(self.site, moves=[self.move.pk], amount="1.00")

    def draft(self) -> int:
        data = LandedCostInput(
            self.site.company.pk, timezone.localdate(), "Freight", D(1), "equally", [self.move.pk]
        )
        return create_landed_cost(SYSTEM, data).pk


matrix = module_matrix(Matrix)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_permission_matrix(matrix, db, role, endpoint):
    action, allowed, call = ENDPOINTS[endpoint]
    response = call(matrix.clients[role], matrix)
    assert_answer(
        response,
        allowed=allowed,
        permitted=role_allows(role, "accounting.landedcost", action),
        case=(role, endpoint),
    )


def test_the_matrix_covers_every_landed_cost_endpoint(db):
    ours = tagged_operations("Landed costs")
    assert ours == set(ROUTES.values())
    assert set(ROUTES) == set(ENDPOINTS)


def test_the_controller_and_ap_clerk_write_landed_costs_and_the_auditor_reads_them():
    assert role_allows(Role.CONTROLLER, "accounting.landedcost", "change")
    assert role_allows(Role.AP_CLERK, "accounting.landedcost", "add")
    assert role_allows(Role.AUDITOR, "accounting.landedcost", "view")
    assert not role_allows(Role.AUDITOR, "accounting.landedcost", "change")
    assert not role_allows(Role.WAREHOUSE_OPERATOR, "accounting.landedcost", "view")


# -- the web UI ----------------------------------------------------------------------------------


@pytest.fixture
def controller(company_a):
    client = Client()
    client.force_login(factories.user(Role.CONTROLLER, companies=[company_a]))
    return client


def _form(receipt, **extra: Any) -> dict[str, Any]:
    return {
        "date": timezone.localdate().isoformat(),
        "description": "Customs duty",
        "amount": "30.00",
        "split_method": "by_value",
        "transfers": receipt.reference,
        **extra,
    }


def test_create_post_and_see_the_split_in_the_browser(controller, warehouse_a):
    site = Site(warehouse_a)
    _product, receipt, _move = received_and_part_sold(site, "average")
    form = controller.get("/accounting/landed-costs/new/")
    assert form.status_code == 200
    assert 'name="transfers"' in form.content.decode()
    response = controller.post("/accounting/landed-costs/new/", _form(receipt))
    assert response.status_code == 302, response.content.decode()
    landed = LandedCost.objects.get(company=site.company)
    assert response["Location"] == f"/accounting/landed-costs/{landed.pk}/"
    detail = controller.get(response["Location"]).content.decode()
    assert receipt.reference in detail
    assert "Post</button>" in detail
    posted = controller.post(f"/accounting/landed-costs/{landed.pk}/post/")
    assert posted.status_code == 302
    landed.refresh_from_db()
    assert landed.state == LandedCostState.POSTED
    html = controller.get(f"/accounting/landed-costs/{landed.pk}/").content.decode()
    assert "18.0000" in html
    assert "12.0000" in html
    assert landed.number in html
    listing = controller.get("/accounting/landed-costs/").content.decode()
    assert landed.number in listing
    assert run_checks()[1] == []


def test_the_form_names_what_is_wrong_and_writes_nothing(controller, warehouse_a):
    site = Site(warehouse_a)
    _product, receipt, _move = received_and_part_sold(site)
    before = written()
    response = controller.post("/accounting/landed-costs/new/", _form(receipt, transfers="IN/NOPE"))
    assert response.status_code == 200
    assert "No transfer IN/NOPE in this company." in response.content.decode()
    response = controller.post("/accounting/landed-costs/new/", _form(receipt, amount="0"))
    assert "greater than zero" in response.content.decode()
    assert written() == before


def test_cancel_a_draft_in_the_browser_and_a_locked_post_is_explained(controller, warehouse_a):
    site = Site(warehouse_a)
    _product, receipt, _move = received_and_part_sold(site)
    controller.post("/accounting/landed-costs/new/", _form(receipt))
    controller.post("/accounting/landed-costs/new/", _form(receipt, description="Insurance"))
    first, second = LandedCost.objects.filter(company=site.company).order_by("pk")
    controller.post(f"/accounting/landed-costs/{first.pk}/cancel/")
    first.refresh_from_db()
    assert first.state == LandedCostState.CANCELLED
    set_lock_date(SYSTEM, site.company.pk, timezone.localdate())
    response = controller.post(f"/accounting/landed-costs/{second.pk}/post/", follow=True)
    assert "locked up to" in response.content.decode()
    second.refresh_from_db()
    assert second.state == LandedCostState.DRAFT


def test_navigation_and_roles(company_a):
    from crossdock.web.navigation import navigation_for

    controller = factories.user(Role.CONTROLLER, companies=[company_a])
    labels = [
        e.label for g in navigation_for(controller) if g.label == "Finance" for e in g.entries
    ]
    assert "Landed costs" in labels
    operator = Client()
    operator.force_login(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a]))
    assert operator.get("/accounting/landed-costs/").status_code == 403
    assert operator.get("/accounting/landed-costs/new/").status_code == 403
