"""The count-sheet REST API: a blind count end to end, bad input that writes nothing, company
isolation, and the permission matrix of every count endpoint × every role."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings

from crossdock.core.roles import Role, role_allows
from crossdock.inventory import services
from crossdock.inventory.models import CountLine, CountSheet, Lot, Quant, Transfer
from crossdock.inventory.services import counts
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM, Site
from tests.inventory.test_api import problem
from tests.permission_matrix import assert_answer, module_matrix, tagged_operations

D = Decimal


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


def test_a_blind_count_by_api_hides_expectations_until_submitted(site, company_a):
    bin_1 = site.bin("B1")
    bolts = factories.product("BOLT", standard_cost=D("2"))
    site.receive(bolts, "12", cost="2", into=bin_1)
    operator = ApiClient(
        factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a], username="counter")
    )
    created = operator.post(
        "count-sheets",
        {"warehouse": site.warehouse.pk, "scope": "locations", "locations": [bin_1.pk],
         "blind": True},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["state"], body["blind"], body["shows_expected"]) == ("draft", True, False)
    assert body["reference"] == f"{site.warehouse.code}/CNT/000001"

    started = operator.post(f"count-sheets/{body['id']}/start").json()
    assert started["state"] == "counting"
    (line,) = started["lines"]
    assert (line["sku"], line["expected"], line["moved"], line["difference"]) == (
        "BOLT", None, None, None,
    )  # fmt: skip
    assert "12" not in str(started["lines"])

    services.validate_transfer(SYSTEM, site.deliver(bolts, "2", source=bin_1).pk)
    counted = operator.post(
        f"count-sheets/{body['id']}/counts",
        {"entries": [{"product": bolts.pk, "location": bin_1.pk, "quantity": "9"}]},
    )
    assert counted.status_code == 200, counted.content
    (line,) = counted.json()["lines"]
    assert (line["counted"], line["expected"]) == ("9.000000", None)
    assert operator.get(f"count-sheets/{body['id']}").json()["lines"][0]["expected"] is None

    submitted = operator.post(f"count-sheets/{body['id']}/submit").json()
    assert (submitted["state"], submitted["shows_expected"]) == ("done", True)
    (line,) = submitted["lines"]
    assert (line["expected"], line["moved"], line["counted"], line["difference"]) == (
        "12.000000", "-2.000000", "9.000000", "-1.000000",
    )  # fmt: skip
    adjustment = Transfer.objects.get(pk=submitted["adjustment"])
    assert adjustment.state == "done"
    assert submitted["approval_request"] is None  # no policy in this company: booked at once
    assert Quant.objects.get(product=bolts, location=bin_1).quantity == 9

    listed = operator.get("count-sheets", {"state": "done"}).json()["items"]
    assert [s["reference"] for s in listed] == [body["reference"]]


def test_counts_name_the_bad_entry_and_write_nothing(api, site):
    bin_1 = site.bin("B1")
    cheese = factories.product("CHEESE", tracking="lot")
    site.receive(cheese, "4", cost="1", into=bin_1, lot="L-1")
    sheet = counts.start_count(
        SYSTEM,
        counts.create_count(
            SYSTEM, counts.CountDraft(site.warehouse.pk, "locations", [bin_1.pk])
        ).pk,
    )
    before = list(CountLine.objects.values_list("counted", "counted_at"))
    cases = {
        "entries[0].lot": {"product": cheese.pk, "location": bin_1.pk, "quantity": "4",
                           "lot": "L-404"},
        "entries[0].quantity": {"product": cheese.pk, "location": bin_1.pk, "quantity": "1.5",
                                "lot": "L-1"},
        "entries[0].location": {"product": cheese.pk, "location": site.customer.pk,
                                "quantity": "1", "lot": "L-1"},
    }  # fmt: skip
    for field, entry in cases.items():
        response = api.post(f"count-sheets/{sheet.pk}/counts", {"entries": [entry]})
        body = problem(response, 422, field)
        assert body["code"] == "invalid"
    float_entry = f'{{"product": {cheese.pk}, "location": {bin_1.pk}, "quantity": 1.5}}'
    float_body = f'{{"entries": [{float_entry}]}}'
    problem(api.post(f"count-sheets/{sheet.pk}/counts", float_body), 422)
    assert list(CountLine.objects.values_list("counted", "counted_at")) == before
    assert Lot.objects.count() == 1

    problem(api.post(f"count-sheets/{sheet.pk}/submit"), 422, "lines")
    problem(api.post(f"count-sheets/{sheet.pk}/start"), 409)
    problem(api.get("count-sheets/999999"), 404)
    bad = api.post("count-sheets", {"warehouse": site.warehouse.pk, "scope": "abc"})
    problem(bad, 422, "abc_class")
    assert CountSheet.objects.count() == 1


def test_another_companys_count_sheets_are_not_found(site, company_b, warehouse_b):
    other = Site(warehouse_b)
    sheet = counts.create_count(
        SYSTEM, counts.CountDraft(warehouse_b.pk, "locations", [other.stock.pk])
    )
    mine = ApiClient(factories.user(Role.WAREHOUSE_MANAGER, companies=[site.company]))
    assert mine.get("count-sheets").json()["items"] == []
    problem(mine.get(f"count-sheets/{sheet.pk}"), 404)
    problem(mine.post(f"count-sheets/{sheet.pk}/start"), 404)
    created = mine.post(
        "count-sheets",
        {"warehouse": warehouse_b.pk, "scope": "locations", "locations": [other.stock.pk]},
    )
    problem(created, 403)
    assert CountSheet.objects.get().state == "draft"


# -- the permission matrix ---------------------------------------------------------------------

ROLES = list(Role)
LABEL = "inventory.countsheet"
# endpoint: (action, expected status when allowed, call)
ENDPOINTS: dict[str, tuple[str, int, Any]] = {
    "list": ("view", 200, lambda c, m: c.get("count-sheets")),
    "create": ("add", 201, lambda c, m: c.post("count-sheets", m.body())),
    "detail": ("view", 200, lambda c, m: c.get(f"count-sheets/{m.draft().pk}")),
    "start": ("change", 200, lambda c, m: c.post(f"count-sheets/{m.draft().pk}/start")),
    "counts": (
        "change",
        200,
        lambda c, m: c.post(f"count-sheets/{m.started().pk}/counts", m.entries()),
    ),
    "submit": ("change", 200, lambda c, m: c.post(f"count-sheets/{m.counted().pk}/submit")),
    "cancel": ("change", 200, lambda c, m: c.post(f"count-sheets/{m.draft().pk}/cancel")),
}
ROUTES = {
    "list": ("get", "/api/v1/count-sheets"),
    "create": ("post", "/api/v1/count-sheets"),
    "detail": ("get", "/api/v1/count-sheets/{id}"),
    "start": ("post", "/api/v1/count-sheets/{id}/start"),
    "counts": ("post", "/api/v1/count-sheets/{id}/counts"),
    "submit": ("post", "/api/v1/count-sheets/{id}/submit"),
    "cancel": ("post", "/api/v1/count-sheets/{id}/cancel"),
}


class Matrix:
    def __init__(self) -> None:
        company = factories.company("CMX", name="Count matrix")
        self.site = Site(factories.warehouse(company, "CMX-WH"))
        self.product = factories.product(standard_cost=D("1"))
        self.site.receive(self.product, "5", cost="1")
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    def body(self) -> dict[str, Any]:
        return {
            "warehouse": self.site.warehouse.pk,
            "scope": "locations",
            "locations": [self.site.stock.pk],
        }

    def entries(self) -> dict[str, Any]:
        return {
            "entries": [
                {"product": self.product.pk, "location": self.site.stock.pk, "quantity": "5"}
            ]
        }

    def draft(self) -> CountSheet:
        return counts.create_count(
            SYSTEM, counts.CountDraft(self.site.warehouse.pk, "locations", [self.site.stock.pk])
        )

    def started(self) -> CountSheet:
        return counts.start_count(SYSTEM, self.draft().pk)

    def counted(self) -> CountSheet:
        sheet = self.started()
        entry = counts.CountEntry(self.product.pk, self.site.stock.pk, D(5))
        return counts.record_counts(SYSTEM, sheet.pk, [entry])


matrix = module_matrix(Matrix)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_permission_matrix(matrix, db, role, endpoint):
    action, allowed, call = ENDPOINTS[endpoint]
    response = call(matrix.clients[role], matrix)
    assert_answer(
        response, allowed=allowed, permitted=role_allows(role, LABEL, action), case=(role, endpoint)
    )


def test_the_matrix_covers_every_count_endpoint(db):
    ours = tagged_operations("Cycle counts")
    assert ours == set(ROUTES.values())
    assert set(ROUTES) == set(ENDPOINTS)


def test_operators_and_managers_count_others_only_look():
    counters = {r for r in ROLES if role_allows(r, LABEL, "change")}
    assert counters == {Role.WAREHOUSE_OPERATOR, Role.WAREHOUSE_MANAGER, Role.ADMINISTRATOR}
    assert SimpleNamespace(roles=counters)  # the set above is the whole story
