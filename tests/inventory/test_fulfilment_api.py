"""Fulfilment over the REST API: waves, packages, shipping, delivery notes, permissions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from crossdock.core.roles import Role, role_allows
from crossdock.inventory import services
from crossdock.inventory.models import MoveLine, Package, Shipment, Transfer
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM, Site
from tests.inventory.test_api import problem
from tests.inventory.test_fulfilment import everything, reserved
from tests.permission_matrix import assert_answer, module_matrix, tagged_operations

D = Decimal
ROLES = list(Role)


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


@pytest.fixture
def goods(site):
    near, far = site.bin("NEAR", 1), site.bin("FAR", 9)
    bolt, nut = factories.product(sku="API-BOLT"), factories.product(sku="API-NUT")
    site.receive(bolt, "10", cost="1", into=far)
    site.receive(nut, "10", cost="1", into=near)
    return bolt, nut


def test_a_wave_by_api_lists_its_pick_path_and_completes(api, site, goods):
    bolt, nut = goods
    first = reserved(site.deliver(bolt, "3"))
    second = reserved(site.deliver(nut, "4"))
    created = api.post(
        "pick-waves",
        {"warehouse": site.warehouse.pk, "transfers": [first.pk, second.pk]},
        HTTP_IDEMPOTENCY_KEY="wave-1",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["transfers"] == 2
    assert [stop["location_path"].rsplit("/", 1)[1] for stop in body["stops"]] == ["NEAR", "FAR"]
    assert [line["sku"] for stop in body["stops"] for line in stop["lines"]] == [
        "API-NUT",
        "API-BOLT",
    ]
    again = api.post(
        "pick-waves",
        {"warehouse": site.warehouse.pk, "transfers": [first.pk, second.pk]},
        HTTP_IDEMPOTENCY_KEY="wave-1",
    )
    assert again.json()["id"] == body["id"]  # replayed, not a second wave
    listed = api.get("pick-waves", {"warehouse": site.warehouse.pk, "state": "open"}).json()
    assert [w["id"] for w in listed["items"]] == [body["id"]]
    nut_line = body["stops"][0]["lines"][0]["move_line"]
    refused = api.post(
        f"pick-waves/{body['id']}/complete",
        {"lines": [{"move_line": nut_line, "quantity": "5"}]},
    )
    problem(refused, 422, "lines[0].quantity")
    done = api.post(
        f"pick-waves/{body['id']}/complete", {"lines": [{"move_line": nut_line, "quantity": "4"}]}
    )
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "done"
    assert Transfer.objects.get(pk=second.pk).state == "done"
    assert Transfer.objects.get(pk=first.pk).state == "assigned"  # nothing picked: still open
    problem(api.post(f"pick-waves/{body['id']}/cancel"), 409)
    problem(api.post("pick-waves", {"warehouse": site.warehouse.pk, "transfers": [10**9]}), 422,
            "transfers[0]")  # fmt: skip
    problem(api.get("pick-waves", {"colour": "red"}), 422, "colour")


def test_pack_ship_and_print_by_api(api, site, goods):
    bolt, _ = goods
    customer = factories.partner(site.company, name="Acme Retail")
    delivery = reserved(site.deliver(bolt, "5", partner_id=customer.pk))
    body = {
        "packages": [
            {"number": "BOX-A", "weight": "3.250", "length": "40", "width": "30", "height": "20",
             "contents": [{"product": bolt.pk, "quantity": "3"}]},
            {"weight": "1.5", "package_type": "envelope",
             "contents": [{"product": bolt.pk, "quantity": "2"}]},
        ]
    }  # fmt: skip
    packed = api.post(f"transfers/{delivery.pk}/packages", body, HTTP_IDEMPOTENCY_KEY="pack-1")
    assert packed.status_code == 201, packed.content
    assert packed.json()["total_weight"] == "4.750"
    assert packed.json()["items"][0]["number"] == "BOX-A"
    before = everything()
    too_much = {"packages": [{"weight": "1", "contents": [{"product": bolt.pk, "quantity": "1"}]}]}
    problem(api.post(f"transfers/{delivery.pk}/packages", too_much), 422,
            "packages[0].contents[0].quantity")  # fmt: skip
    problem(api.post(f"transfers/{delivery.pk}/packages", {"packages": [
        {"weight": 1.5, "contents": [{"product": bolt.pk, "quantity": "1"}]}]}), 422)  # fmt: skip
    assert everything() == before
    scanned = api.get("packages", {"number": "BOX-A"}).json()["items"]
    assert [(p["transfer"], p["weight"], p["contents"][0]["quantity"]) for p in scanned] == [
        (delivery.pk, "3.250", "3.000000")
    ]
    listed = api.get(f"transfers/{delivery.pk}/packages").json()
    assert (len(listed["items"]), listed["total_weight"]) == (2, "4.750")
    move = delivery.moves.get()
    problem(
        api.post(
            f"transfers/{delivery.pk}/ship",
            {"carrier": "DHL", "tracking_number": "T-1",
             "lines": [{"move": move.pk, "quantity": "6"}]},
        ),
        422,
        "lines[0].quantity",
    )  # fmt: skip
    problem(api.post(f"transfers/{delivery.pk}/ship", {"carrier": "DHL"}), 422, "tracking_number")
    assert everything() == before
    shipped = api.post(
        f"transfers/{delivery.pk}/ship",
        {"carrier": "DHL", "tracking_number": "JJD01", "service_level": "Express"},
        HTTP_IDEMPOTENCY_KEY="ship-1",
    )
    assert shipped.status_code == 200, shipped.content
    data = shipped.json()
    assert (data["transfer_state"], data["carrier"], data["tracking_number"]) == (
        "done",
        "DHL",
        "JJD01",
    )
    assert data["packages"][0] == "BOX-A"
    assert data["partner"] == customer.pk
    problem(api.post(f"transfers/{delivery.pk}/ship", {"carrier": "DHL",
                                                      "tracking_number": "X"}), 409)  # fmt: skip
    pdf = api.get(f"transfers/{delivery.pk}/delivery-note.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "delivery-note.pdf" in pdf["Content-Disposition"]


def test_other_companies_transfers_and_waves_are_not_there(site, goods, company_b, warehouse_b):
    outsider = ApiClient(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_b]))
    delivery = reserved(site.deliver(goods[0], "1"))
    wave = services.create_pick_wave(SYSTEM, services.PickWaveDraft(site.warehouse.pk))
    problem(outsider.get(f"pick-waves/{wave.pk}"), 404)
    problem(outsider.post(f"pick-waves/{wave.pk}/complete"), 404)
    problem(outsider.post(f"transfers/{delivery.pk}/ship",
                          {"carrier": "DHL", "tracking_number": "Z"}), 404)  # fmt: skip
    problem(outsider.get(f"transfers/{delivery.pk}/delivery-note.pdf"), 404)
    problem(outsider.post("pick-waves", {"warehouse": site.warehouse.pk}), 422, "warehouse")
    assert outsider.get("pick-waves").json()["items"] == []
    assert Shipment.objects.count() == 0


# -- the permission matrix ------------------------------------------------------------------


class Matrix:
    """Rows every matrix case needs, built once; each case's own writes are rolled back."""

    def __init__(self) -> None:
        company = factories.company("FMX", name="Fulfilment matrix")
        self.site = Site(factories.warehouse(company, "FMX-WH"))
        self.product = factories.product()
        self.site.receive(self.product, "500", cost="1")
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    def delivery(self) -> Transfer:
        return reserved(self.site.deliver(self.product, "1"))

    def wave(self) -> Any:
        self.delivery()
        return services.create_pick_wave(SYSTEM, services.PickWaveDraft(self.site.warehouse.pk))

    def package(self) -> Package:
        delivery = self.delivery()
        item = services.PackedItem(self.product.pk, D(1))
        return services.pack(SYSTEM, delivery.pk, [services.PackageDraft(D(1), [item])])[0]

    def pack_body(self) -> dict[str, Any]:
        return {"packages": [{"weight": "1", "contents": [{"product": self.product.pk,
                                                           "quantity": "1"}]}]}  # fmt: skip


ENDPOINTS = {
    "list-waves": ("inventory.pickwave", "view", 200, lambda c, m: c.get("pick-waves")),
    "create-wave": (
        "inventory.pickwave",
        "add",
        201,
        lambda c, m: c.post(
            "pick-waves", {"warehouse": m.site.warehouse.pk, "transfers": [m.delivery().pk]}
        ),
    ),
    "get-wave": (
        "inventory.pickwave",
        "view",
        200,
        lambda c, m: c.get(f"pick-waves/{m.wave().pk}"),
    ),
    "complete-wave": (
        "inventory.pickwave",
        "change",
        200,
        lambda c, m: c.post(f"pick-waves/{m.wave().pk}/complete"),
    ),
    "cancel-wave": (
        "inventory.pickwave",
        "change",
        200,
        lambda c, m: c.post(f"pick-waves/{m.wave().pk}/cancel"),
    ),
    "list-packages": ("inventory.package", "view", 200, lambda c, m: c.get("packages")),
    "transfer-packages": (
        "inventory.package",
        "view",
        200,
        lambda c, m: c.get(f"transfers/{m.package().transfer_id}/packages"),
    ),
    "pack": (
        "inventory.package",
        "add",
        201,
        lambda c, m: c.post(f"transfers/{m.delivery().pk}/packages", m.pack_body()),
    ),
    "ship": (
        "inventory.shipment",
        "add",
        200,
        lambda c, m: c.post(
            f"transfers/{m.delivery().pk}/ship", {"carrier": "DHL", "tracking_number": "M-1"}
        ),
    ),
    "delivery-note": (
        "inventory.transfer",
        "view",
        200,
        lambda c, m: c.get(f"transfers/{m.delivery().pk}/delivery-note.pdf"),
    ),
}
ROUTES = {
    "list-waves": ("get", "/api/v1/pick-waves"),
    "create-wave": ("post", "/api/v1/pick-waves"),
    "get-wave": ("get", "/api/v1/pick-waves/{id}"),
    "complete-wave": ("post", "/api/v1/pick-waves/{id}/complete"),
    "cancel-wave": ("post", "/api/v1/pick-waves/{id}/cancel"),
    "list-packages": ("get", "/api/v1/packages"),
    "transfer-packages": ("get", "/api/v1/transfers/{id}/packages"),
    "pack": ("post", "/api/v1/transfers/{id}/packages"),
    "ship": ("post", "/api/v1/transfers/{id}/ship"),
    "delivery-note": ("get", "/api/v1/transfers/{id}/delivery-note.pdf"),
}


matrix = module_matrix(Matrix)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_permission_matrix(matrix, db, role, endpoint):
    label, action, allowed, call = ENDPOINTS[endpoint]
    response = call(matrix.clients[role], matrix)
    assert_answer(
        response, allowed=allowed, permitted=role_allows(role, label, action), case=(role, endpoint)
    )


def test_the_matrix_covers_every_fulfilment_endpoint(db):
    ours = tagged_operations("Fulfilment")
    assert ours == set(ROUTES.values())
    assert set(ROUTES) == set(ENDPOINTS)


def test_roles_sales_see_but_do_not_edit_fulfilment():
    for label in ("inventory.pickwave", "inventory.package", "inventory.shipment"):
        for role in (Role.WAREHOUSE_OPERATOR, Role.WAREHOUSE_MANAGER):
            assert all(role_allows(role, label, a) for a in ("view", "add", "change"))
        assert all(role_allows(Role.ADMINISTRATOR, label, a) for a in ("view", "add", "change",
                                                                       "delete"))  # fmt: skip
        for role in (Role.SALES_REP, Role.SALES_MANAGER):
            assert role_allows(role, label, "view")
            assert not role_allows(role, label, "add")
            assert not role_allows(role, label, "change")
        assert not role_allows(Role.BUYER, label, "view")


def test_move_lines_are_untouched_by_a_refused_pick(api, site, goods):
    delivery = reserved(site.deliver(goods[1], "2"))
    wave = api.post("pick-waves", {"warehouse": site.warehouse.pk}).json()
    before = list(MoveLine.objects.filter(move__transfer=delivery).values_list("quantity", "done"))
    problem(api.post(f"pick-waves/{wave['id']}/complete",
                     {"lines": [{"move_line": 10**9, "quantity": "1"}]}), 422,
            "lines[0].move_line")  # fmt: skip
    after = list(MoveLine.objects.filter(move__transfer=delivery).values_list("quantity", "done"))
    assert before == after
