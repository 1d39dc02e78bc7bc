"""The price-list API: lists with items, price lookups, proposing and submitting changes;
clear refusals that write nothing; and its permission matrix (every endpoint × every role)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from crossdock.approvals import policies
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.context import Actor
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role, role_allows
from crossdock.masterdata import pricing
from crossdock.masterdata.models import (
    Currency,
    PriceList,
    PriceListChange,
    PriceListChangeLine,
    PriceListItem,
)
from crossdock.masterdata.pricing import PRICE_LIST_CHANGE, PriceLine
from tests import factories
from tests.api.conftest import ApiClient
from tests.permission_matrix import assert_answer, module_matrix, tagged_operations

D = Decimal
SYSTEM = Actor.system("tests")


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


def written() -> tuple[int, int, int, int, int]:
    return (
        PriceList.objects.count(),
        PriceListChange.objects.count(),
        PriceListChangeLine.objects.count(),
        PriceListItem.objects.count(),
        AuditEntry.objects.count(),
    )


def test_create_a_list_fill_it_through_a_change_and_look_up_prices(api, company_a):
    created = api.post("price-lists", {"company": company_a.pk, "code": "WEB", "name": "Webshop"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["currency"], body["active"], body["customer_tier"]) == ("EUR", True, "")
    product = factories.product("SKU-API")
    proposed = api.post(
        "price-list-changes",
        {
            "price_list": body["id"],
            "lines": [
                {"product": product.pk, "new_price": "4.50"},
                {"product": product.pk, "new_price": "4.05", "min_quantity": "12"},
            ],
        },
        HTTP_IDEMPOTENCY_KEY="propose-1",
    )
    assert proposed.status_code == 201, proposed.content
    change = proposed.json()
    assert change["state"] == "draft"
    assert [(line["action"], line["old_price"], line["new_price"]) for line in change["lines"]] == [
        ("add", None, "4.500000"),
        ("add", None, "4.050000"),
    ]
    replay = api.post(
        "price-list-changes",
        {
            "price_list": body["id"],
            "lines": [
                {"product": product.pk, "new_price": "4.50"},
                {"product": product.pk, "new_price": "4.05", "min_quantity": "12"},
            ],
        },
        HTTP_IDEMPOTENCY_KEY="propose-1",
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert PriceListChange.objects.count() == 1
    assert api.get(f"price-lists/{body['id']}").json()["items"] == []  # nothing applied yet
    submitted = api.post(f"price-list-changes/{change['id']}/submit")
    assert submitted.status_code == 200, submitted.content
    assert (submitted.json()["state"], submitted.json()["approval_request"]) == ("applied", None)
    detail = api.get(f"price-lists/{body['id']}").json()
    assert [(i["sku"], i["min_quantity"], i["unit_price"]) for i in detail["items"]] == [
        ("SKU-API", "1.000000", "4.500000"),
        ("SKU-API", "12.000000", "4.050000"),
    ]
    quote = api.get(f"price-lists/{body['id']}/price", {"product": product.pk, "quantity": "20"})
    assert quote.status_code == 200, quote.content
    assert (quote.json()["unit_price"], quote.json()["min_quantity"]) == ("4.050000", "12.000000")
    none = api.get(f"price-lists/{body['id']}/price", {"product": product.pk, "quantity": "0.5"})
    assert none.json()["unit_price"] is None
    listed = api.get("price-lists", {"company": company_a.pk}).json()
    assert [row["code"] for row in listed["items"]] == ["WEB"]
    again = api.post(f"price-list-changes/{change['id']}/submit")
    assert again.status_code == 409


def test_a_big_cut_waits_for_approval_through_the_api(api, company_a):
    factories.user(Role.SALES_MANAGER, companies=[company_a])
    policy = policies.save_policy(
        SYSTEM,
        PolicyDraft(
            company_id=company_a.pk, document_type=PRICE_LIST_CHANGE, name="Cuts",
            condition={"field": "discount_pct", "op": ">", "value": "10"},
            levels=[LevelDraft(name="Sales", rule="role", role="sales-manager")],
        ),
    )  # fmt: skip
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    price_list = pricing.create_price_list(
        SYSTEM,
        {"company": company_a, "code": "B2B", "name": "B2B", "currency": company_a.base_currency},
    )
    product = factories.product()
    PriceListItem.objects.create(
        price_list=price_list, product=product, unit_price=D(20), valid_from="2026-01-01"
    )
    change = api.post(
        "price-list-changes",
        {"price_list": price_list.pk, "lines": [{"product": product.pk, "new_price": "15"}]},
    ).json()
    assert change["lines"][0]["old_price"] == "20.000000"
    submitted = api.post(f"price-list-changes/{change['id']}/submit").json()
    assert submitted["state"] == "submitted"
    assert submitted["approval_request"] is not None
    assert api.get(f"price-list-changes/{change['id']}").json()["state"] == "submitted"
    assert PriceListItem.objects.get(product=product).unit_price == D(20)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": [{"product": "P", "new_price": 1.5}]}, "new_price"),
        ({"lines": [{"product": "P", "new_price": "-1"}]}, "lines[0].new_price"),
        ({"lines": [{"product": "P", "new_price": "1.0000001"}]}, "new_price"),
        ({"lines": [{"product": 999999, "new_price": "1"}]}, "lines[0].product"),
        ({"lines": [{"product": "P", "new_price": None}]}, "lines[0].new_price"),
        ({"lines": []}, "lines"),
        ({"lines": [{"product": "P", "new_price": "1"}], "price_list": 999999}, "price_list"),
    ],
)
def test_bad_changes_are_refused_naming_the_field_and_write_nothing(api, company_a, body, field):
    price_list = pricing.create_price_list(
        SYSTEM,
        {"company": company_a, "code": "BAD", "name": "Bad", "currency": company_a.base_currency},
    )
    product = factories.product()
    for line in body["lines"]:
        if line["product"] == "P":
            line["product"] = product.pk
    before = written()
    response = api.post("price-list-changes", {"price_list": price_list.pk, **body})
    assert response.status_code in (404, 422), response.content
    assert response["Content-Type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert any(field in name for name in errors), errors
    assert written() == before


def test_a_bad_price_list_is_refused_naming_the_field(api, company_a, company_b):
    before = written()
    bad = api.post(
        "price-lists",
        {
            "company": company_a.pk, "code": "X", "name": "X",
            "valid_from": "2026-02-01", "valid_to": "2026-01-01",
        },
    )  # fmt: skip
    assert bad.status_code == 422
    assert "valid_to" in bad.json()["errors"]
    lower = api.post("price-lists", {"company": company_a.pk, "code": "bad code", "name": "X"})
    assert "code" in lower.json()["errors"]
    outsider = ApiClient(factories.user(Role.SALES_MANAGER, companies=[company_b]))
    hidden = outsider.post("price-lists", {"company": company_a.pk, "code": "X", "name": "X"})
    assert hidden.status_code == 404
    assert written()[0] == before[0]


# -- the permission matrix ---------------------------------------------------------------------

ROLES = list(Role)


class Matrix:
    def __init__(self) -> None:
        self.company = factories.company("PLX", name="Price list matrix")
        eur = Currency.objects.get(code="EUR")
        self.price_list = pricing.create_price_list(
            SYSTEM, {"company": self.company, "code": "MX", "name": "Matrix", "currency": eur}
        )
        self.product = factories.product()
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[self.company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}
        self.change = self.draft()

    def list_body(self) -> dict[str, Any]:
        return {"company": self.company.pk, "code": factories.next_code("PL"), "name": "New"}

    def change_body(self) -> dict[str, Any]:
        line = {"product": factories.product().pk, "new_price": "3.00"}
        return {"price_list": self.price_list.pk, "lines": [line]}

    def draft(self) -> int:
        return pricing.propose_price_changes(
            SYSTEM, self.price_list.pk, [PriceLine(factories.product().pk, D("2.00"))]
        ).pk


ENDPOINTS: dict[str, tuple[str, str, int, Any]] = {
    "list-price-lists": ("masterdata.pricelist", "view", 200, lambda c, m: c.get("price-lists")),
    "create-price-list": (
        "masterdata.pricelist", "add", 201, lambda c, m: c.post("price-lists", m.list_body()),
    ),
    "get-price-list": (
        "masterdata.pricelist", "view", 200,
        lambda c, m: c.get(f"price-lists/{m.price_list.pk}"),
    ),
    "look-up-price": (
        "masterdata.pricelist", "view", 200,
        lambda c, m: c.get(f"price-lists/{m.price_list.pk}/price", {"product": m.product.pk}),
    ),
    "propose": (
        "masterdata.pricelistchange", "add", 201,
        lambda c, m: c.post("price-list-changes", m.change_body()),
    ),
    "get-change": (
        "masterdata.pricelistchange", "view", 200,
        lambda c, m: c.get(f"price-list-changes/{m.change}"),
    ),
    "submit": (
        "masterdata.pricelistchange", "change", 200,
        lambda c, m: c.post(f"price-list-changes/{m.draft()}/submit"),
    ),
}  # fmt: skip
ROUTES = {
    "list-price-lists": ("get", "/api/v1/price-lists"),
    "create-price-list": ("post", "/api/v1/price-lists"),
    "get-price-list": ("get", "/api/v1/price-lists/{id}"),
    "look-up-price": ("get", "/api/v1/price-lists/{id}/price"),
    "propose": ("post", "/api/v1/price-list-changes"),
    "get-change": ("get", "/api/v1/price-list-changes/{id}"),
    "submit": ("post", "/api/v1/price-list-changes/{id}/submit"),
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


def test_the_matrix_covers_every_price_list_endpoint(db):
    ours = tagged_operations("Price lists")
    assert ours == set(ROUTES.values())
    assert set(ROUTES) == set(ENDPOINTS)
