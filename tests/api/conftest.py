"""API test helpers: a JSON client acting with an API token, and valid records per type.

The suite-wide fixtures (``company_a``, ``warehouse_a``, ``admin_user``…) are
overridden here with the same rows built once per module (see ``_shared_rows``).
"""

from __future__ import annotations

import datetime
import itertools
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, models, transaction
from django.test import Client, override_settings

from crossdock.core.models import ApiToken
from crossdock.core.roles import Role
from crossdock.masterdata.models import (
    Company,
    Currency,
    Location,
    LocationKind,
    Partner,
    ProductCategory,
    Unit,
    UnitCategory,
    Warehouse,
)
from crossdock.masterdata.reference import ensure_reference_data
from crossdock.masterdata.registry import BY_SLUG
from tests import factories

BASE = "/api/v1"
_counter = itertools.count(1)


class ApiClient:
    """Django's test client sending JSON with ``Authorization: Bearer <token>``."""

    def __init__(self, user: Any = None, token: str | None = None, **defaults: Any) -> None:
        if user is not None and token is None:
            _, token = ApiToken.issue(user, "tests")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        self.client = Client(**headers, **defaults)
        self.user = user

    @staticmethod
    def url(path: str) -> str:
        return path if path.startswith(BASE) else f"{BASE}/{path.lstrip('/')}"

    def get(self, path: str, data: Any = None, **headers: Any) -> Any:
        return self.client.get(self.url(path), data, **headers)

    def _send(self, method: str, path: str, body: Any, headers: dict[str, Any]) -> Any:
        raw = body if isinstance(body, str | bytes) else json.dumps(body)
        send = getattr(self.client, method)
        return send(self.url(path), raw, content_type="application/json", **headers)

    def post(self, path: str, body: Any = None, **headers: Any) -> Any:
        return self._send("post", path, body if body is not None else {}, headers)

    def patch(self, path: str, body: Any = None, **headers: Any) -> Any:
        return self._send("patch", path, body if body is not None else {}, headers)

    def put(self, path: str, body: Any = None, **headers: Any) -> Any:
        return self._send("put", path, body if body is not None else {}, headers)

    def delete(self, path: str, **headers: Any) -> Any:
        return self.client.delete(self.url(path), **headers)


@pytest.fixture
def as_user():
    """``as_user(user)`` → an :class:`ApiClient` authenticated with a new token of ``user``."""
    return ApiClient


@pytest.fixture
def admin_api(admin_user):
    return ApiClient(admin_user)


@pytest.fixture
def superuser_api(db):
    from crossdock.core.models import User

    return ApiClient(User.objects.create_superuser("root", password="root-password-123"))


def unique_code(model: type[models.Model], length: int, prefix: str = "Z") -> str:
    """A code of exactly ``length`` capitals not yet used by ``model``."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for combo in itertools.product(letters, repeat=length - len(prefix)):
        code = prefix + "".join(combo)
        if not model.objects.filter(code=code).exists():
            return code
    raise AssertionError("no free code")


@dataclass
class World:
    """The rows valid records refer to (company A's side of the fixtures)."""

    company: Company
    warehouse: Warehouse
    eur: Currency
    usd: Currency
    piece: Unit
    count: UnitCategory
    category: ProductCategory
    stock: Location
    partner: Partner


@pytest.fixture(scope="module", autouse=True)
def _shared_rows(django_db_setup, django_db_blocker):
    """Rows every API test uses, built once per module and rolled back after it.

    Building two companies with their location trees for each of a thousand
    tests would dominate the run. Tests still get fresh instances and their own
    changes are rolled back after each test (pytest-django's ``db``).
    """
    fast_hashing = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    with django_db_blocker.unblock(), fast_hashing:
        if connection.settings_dict["NAME"] != connection.settings_dict["TEST"].get("NAME"):
            pytest.fail("API tests must run on the test database")
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ensure_reference_data()
            company_a = factories.company("ACME", name="Acme Distribution")
            company_b = factories.company("BETA", name="Beta Wholesale")
            warehouse_a = factories.warehouse(company_a, "A-CENTRAL", name="Acme central")
            warehouse_b = factories.warehouse(company_b, "B-DEPOT", name="Beta depot")
            admin = factories.user(
                Role.ADMINISTRATOR, companies=[company_a, company_b], username="admin-test"
            )
            rows = {
                "company_a": company_a,
                "company_b": company_b,
                "warehouse_a": warehouse_a,
                "warehouse_b": warehouse_b,
                "admin_user": admin,
                "category": factories.category(),
                "partner": factories.partner(company_a, name="Acme customer"),
            }
            yield {name: (type(row), row.pk) for name, row in rows.items()}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _reference_data():
    """Overrides the suite-wide fixture: ``_shared_rows`` loaded it for the module."""


def _fresh(shared: dict[str, tuple[type[Any], int]], name: str) -> Any:
    model, pk = shared[name]
    return model._default_manager.get(pk=pk)


@pytest.fixture
def company_a(db, _shared_rows):
    return _fresh(_shared_rows, "company_a")


@pytest.fixture
def company_b(db, _shared_rows):
    return _fresh(_shared_rows, "company_b")


@pytest.fixture
def warehouse_a(db, _shared_rows):
    return _fresh(_shared_rows, "warehouse_a")


@pytest.fixture
def warehouse_b(db, _shared_rows):
    return _fresh(_shared_rows, "warehouse_b")


@pytest.fixture
def admin_user(db, _shared_rows):
    return _fresh(_shared_rows, "admin_user")


@pytest.fixture
def world(db, _shared_rows, company_a, warehouse_a) -> World:
    piece = Unit.objects.select_related("category").get(code="H87")
    return World(
        company=company_a,
        warehouse=warehouse_a,
        eur=Currency.objects.get(code="EUR"),
        usd=Currency.objects.get(code="USD"),
        piece=piece,
        count=piece.category,
        category=_fresh(_shared_rows, "category"),
        stock=Location.objects.get(warehouse=warehouse_a, kind=LocationKind.RESERVE),
        partner=_fresh(_shared_rows, "partner"),
    )


def record_data(slug: str, world: World) -> dict[str, Any]:
    """Field values (model instances for references) of a new, valid record of ``slug``."""
    n = next(_counter)
    if slug == "companies":
        return {
            "code": factories.next_code("CO"),
            "name": "New co",
            "country": "NL",
            "base_currency": world.eur,
        }
    if slug == "warehouses":
        return {
            "company": world.company,
            "code": factories.next_code("WH"),
            "name": "New depot",
            "country": "BE",
            "latitude": Decimal("50.85"),
        }
    if slug == "locations":
        return {
            "company": world.company,
            "warehouse": world.warehouse,
            "parent": world.stock,
            "code": factories.next_code("BIN"),
            "name": "Bin",
            "kind": LocationKind.RESERVE,
        }
    if slug == "product-categories":
        return {"name": factories.next_code("Category "), "parent": world.category}
    if slug == "products":
        return {
            "sku": factories.next_code("SKU-"),
            "name": "Widget",
            "category": world.category,
            "base_unit": world.piece,
            "purchase_unit": world.piece,
            "sales_unit": world.piece,
            "currency": world.eur,
            "list_price": Decimal("12.50"),
            "weight_kg": Decimal("0.125"),
        }
    if slug == "unit-categories":
        return {"name": factories.next_code("Kind ")}
    if slug == "units":
        return {
            "code": unique_code(Unit, 3),
            "name": "Six-pack",
            "category": world.count,
            "factor": Decimal("6"),
            "decimal_places": 0,
        }
    if slug == "partners":
        return {
            "company": world.company,
            "code": factories.next_code("P"),
            "name": "Partner",
            "is_customer": True,
            "currency": world.eur,
            "credit_limit": Decimal("1000.00"),
        }
    if slug == "currencies":
        return {"code": unique_code(Currency, 3, "Q"), "name": "Test money", "minor_units": 2}
    if slug == "exchange-rates":
        return {
            "currency": world.eur,
            "quote_currency": world.usd,
            "valid_from": datetime.date(2001, 1, 1) + datetime.timedelta(days=n),
            "rate": Decimal("1.0850"),
        }
    if slug == "payment-terms":
        return {"code": factories.next_code("NET"), "name": "Net 45", "net_days": 45}
    if slug == "partner-bank-accounts":
        return {
            "partner": world.partner,
            "iban": "DE89370400440532013000",
            "holder": "Acme customer",
        }
    raise AssertionError(f"no test data for {slug}")


def change_data(slug: str) -> dict[str, Any]:
    """A valid partial update of ``slug``."""
    if slug == "exchange-rates":
        return {"rate": "1.2000"}
    if slug == "units":
        return {"factor": "12"}
    if slug == "partner-bank-accounts":
        return {"holder": f"Holder {next(_counter)}"}
    return {"name": f"Renamed {next(_counter)}"}


def to_json(data: dict[str, Any]) -> dict[str, Any]:
    """Record field values as the API takes them (ids, decimal strings, ISO dates)."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, models.Model):
            value = value.pk
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        out[name] = value
    return out


def make_record(slug: str, world: World) -> Any:
    """Create a record of ``slug`` through its service, as the system."""
    return BY_SLUG[slug].create_record(factories.SYSTEM, record_data(slug, world))


@pytest.fixture
def role_user(company_a):
    """``role_user(role)`` → a user with one role in company A."""

    def make(role: Role, **kwargs: Any) -> Any:
        return factories.user(role, companies=[company_a], **kwargs)

    return make
