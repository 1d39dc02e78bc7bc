"""The permission matrix: every endpoint × every role, driven by ``ROLE_PERMISSIONS``.

Each case is allowed or 403 exactly as :func:`crossdock.core.roles.role_allows`
says, so a change to the role table or a forgotten check fails here. The rows
are built once for the module (inside the module-wide transaction of
``tests/api/conftest.py``); each test's own changes are rolled back after it.
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings

from crossdock.core.roles import Role, role_allows
from crossdock.masterdata.gtin import check_digit
from crossdock.masterdata.models import Company, Currency, Location, LocationKind, Unit, Warehouse
from crossdock.masterdata.registry import BY_SLUG, RECORD_TYPES
from tests import factories
from tests.api.conftest import ApiClient, World, change_data, make_record, record_data, to_json

ROLES = list(Role)
SLUGS = [rt.slug for rt in RECORD_TYPES]
IMPORTABLE = [rt.slug for rt in RECORD_TYPES if rt.importable]

# method: (permission action, expected status when allowed)
CRUD = {
    "list": ("view", 200),
    "detail": ("view", 200),
    "export": ("view", 200),
    "create": ("add", 201),
    "update": ("change", 200),
    "delete": ("delete", 204),
}
# New companies and warehouses get standard locations, which protect them from deletion.
PROTECTED = {"companies", "warehouses"}


@pytest.fixture(scope="module")
def matrix(_shared_rows):
    """One unreferenced row of every record type in company A, and a user per role."""
    company = Company.objects.get(pk=_shared_rows["company_a"][1])
    warehouse = Warehouse.objects.get(pk=_shared_rows["warehouse_a"][1])
    piece = Unit.objects.get(code="H87")
    world = World(
        company=company,
        warehouse=warehouse,
        eur=Currency.objects.get(code="EUR"),
        usd=Currency.objects.get(code="USD"),
        piece=piece,
        count=piece.category,
        category=factories.category(),
        stock=Location.objects.get(warehouse=warehouse, kind=LocationKind.RESERVE),
        partner=factories.partner(company),
    )
    targets = {slug: make_record(slug, world) for slug in SLUGS if slug != "companies"}
    targets["companies"] = company  # the users' own company
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        users = {role: factories.user(role, companies=[company]) for role in ROLES}
    clients = {role: ApiClient(user) for role, user in users.items()}
    return SimpleNamespace(world=world, targets=targets, clients=clients)


def _model_label(slug: str) -> str:
    return BY_SLUG[slug].model_label


def _expected(role: Role, slug: str, method: str) -> int:
    action, allowed_status = CRUD[method]
    if not role_allows(role, _model_label(slug), action):
        return 403
    if method == "delete" and slug in PROTECTED:
        return 422
    return allowed_status


def _call(client: ApiClient, slug: str, method: str, matrix: Any) -> Any:
    target = matrix.targets[slug]
    if method == "list":
        return client.get(slug)
    if method == "detail":
        return client.get(f"{slug}/{target.pk}")
    if method == "export":
        return client.get(f"{slug}/export", {"format": "csv"})
    if method == "create":
        return client.post(slug, to_json(record_data(slug, matrix.world)))
    if method == "update":
        return client.patch(f"{slug}/{target.pk}", change_data(slug))
    return client.delete(f"{slug}/{target.pk}")


@pytest.fixture
def rollback(matrix, db):
    """Each test's writes are rolled back after it (pytest-django's ``db``)."""


@pytest.mark.parametrize("method", list(CRUD))
@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_record_endpoints(matrix, rollback, role, slug, method):
    expected = _expected(role, slug, method)
    response = _call(matrix.clients[role], slug, method, matrix)
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json()["code"] == "forbidden"
    if expected == 422:
        assert response.json()["code"] == "protected"


def _valid_gtin() -> str:
    body = "400638133393"
    return body + str(check_digit(body))


EXTRAS = {
    # name: (model label, action, call)
    "get-barcodes": (
        "masterdata.product",
        "view",
        lambda c, m: c.get(f"products/{m.targets['products'].pk}/barcodes"),
    ),
    "put-barcodes": (
        "masterdata.product",
        "change",
        lambda c, m: c.put(
            f"products/{m.targets['products'].pk}/barcodes", {"gtins": [_valid_gtin()]}
        ),
    ),
    "get-addresses": (
        "masterdata.partner",
        "view",
        lambda c, m: c.get(f"partners/{m.targets['partners'].pk}/addresses"),
    ),
    "put-addresses": (
        "masterdata.partner",
        "change",
        lambda c, m: c.put(
            f"partners/{m.targets['partners'].pk}/addresses",
            {"addresses": [{"street": "Quai 1", "city": "Gent", "country": "BE"}]},
        ),
    ),
    "audit-entries": ("core.auditentry", "view", lambda c, m: c.get("audit-entries")),
}


@pytest.mark.parametrize("endpoint", list(EXTRAS))
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_extra_endpoints(matrix, rollback, role, endpoint):
    model_label, action, call = EXTRAS[endpoint]
    response = call(matrix.clients[role], matrix)
    expected = 200 if role_allows(role, model_label, action) else 403
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_me_is_open_to_every_role(matrix, rollback, role):
    response = matrix.clients[role].get("me")
    assert response.status_code == 200
    assert response.json()["roles"] == [role.value]


@pytest.mark.parametrize("slug", IMPORTABLE)
@pytest.mark.parametrize("role", ROLES, ids=str)
def test_import(matrix, rollback, role, slug):
    label = _model_label(slug)
    allowed = role_allows(role, label, "add") and role_allows(role, label, "change")
    upload = io.BytesIO(b"code,name\n")
    upload.name = "rows.csv"
    response = matrix.clients[role].client.post(
        f"/api/v1/{slug}/import?dry_run=true", {"file": upload}
    )
    if allowed:
        assert response.status_code in (200, 422), response.content
    else:
        assert response.status_code == 403, response.content


# (HTTP method, OpenAPI path) of every case above; a new endpoint must join the matrix.
_CRUD_ROUTES = {
    "list": ("get", "/api/v1/{slug}"),
    "detail": ("get", "/api/v1/{slug}/{id}"),
    "export": ("get", "/api/v1/{slug}/export"),
    "create": ("post", "/api/v1/{slug}"),
    "update": ("patch", "/api/v1/{slug}/{id}"),
    "delete": ("delete", "/api/v1/{slug}/{id}"),
}
_EXTRA_ROUTES = {
    "get-barcodes": ("get", "/api/v1/products/{id}/barcodes"),
    "put-barcodes": ("put", "/api/v1/products/{id}/barcodes"),
    "get-addresses": ("get", "/api/v1/partners/{id}/addresses"),
    "put-addresses": ("put", "/api/v1/partners/{id}/addresses"),
    "audit-entries": ("get", "/api/v1/audit-entries"),
}


def test_the_matrix_covers_every_endpoint(db):
    from django.test import Client

    document = Client().get("/api/v1/openapi.json").json()
    served = {
        (m, path)
        for path, ops in document["paths"].items()
        for m, op in ops.items()
        # tests/approvals/test_api_permissions.py, tests/inventory/test_api.py,
        # tests/inventory/test_counts_api.py, test_fulfilment_api.py, tests/accounting/test_api.py,
        # test_payment_api.py, test_statement_api.py and test_landed_views.py and
        # test_invoice_api.py, tests/masterdata/test_price_api.py and
        # tests/purchasing/test_api_permissions.py, tests/quality/test_api_permissions.py,
        # tests/accounting/test_dunning_api.py, tests/sales/test_api_permissions.py and
        # tests/sales/test_returns_api.py, tests/sales/test_settings_api_permissions.py,
        # tests/planning/test_setup.py, tests/planning/test_api.py, tests/insight/test_api.py and
        # tests/insight/queues/test_api.py, tests/service/test_api.py have those endpoints' own
        # matrices.
        if not {
            "Approvals",
            "Inventory",
            "Cycle counts",
            "Fulfilment",
            "Accounting",
            "Payments",
            "Accounting reports",
            "Landed costs",
            "Invoices and bills",
            "Price lists",
            "Purchasing",
            "Quality",
            "Dunning",
            "Sales",
            "Sales returns",
            "Sales settings",
            "Planning setup",
            "KPIs",
            "Exception queues",
            "Replenishment",
            "Service",
        }
        & set(op.get("tags", []))
    }
    covered = {
        (method, path.format(slug=slug, id="{id}"))
        for slug in SLUGS
        for method, path in _CRUD_ROUTES.values()
    }
    covered |= set(_EXTRA_ROUTES.values()) | {("get", "/api/v1/me")}
    covered |= {("post", f"/api/v1/{slug}/import") for slug in IMPORTABLE}
    assert set(_EXTRA_ROUTES) == set(EXTRAS)
    assert served == covered
