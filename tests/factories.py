"""Test data builders that go through the services, as users' changes do."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from crossdock.core.context import Actor
from crossdock.core.models import User
from crossdock.core.roles import Role
from crossdock.masterdata import services
from crossdock.masterdata.models import (
    Company,
    Currency,
    Partner,
    Product,
    ProductCategory,
    Unit,
    Warehouse,
)

SYSTEM = Actor.system("tests")
_seq = itertools.count(1)


def next_code(prefix: str) -> str:
    return f"{prefix}{next(_seq):04d}"


def company(code: str | None = None, **fields: Any) -> Company:
    data = {
        "code": code or next_code("CO"),
        "name": fields.pop("name", "Test company"),
        "country": "BE",
        "base_currency": Currency.objects.get(code=fields.pop("currency", "EUR")),
        **fields,
    }
    return services.create_company(SYSTEM, data)


def warehouse(company: Company, code: str | None = None, **fields: Any) -> Warehouse:
    data = {
        "company": company,
        "code": code or next_code("WH"),
        "name": fields.pop("name", "Test warehouse"),
        "country": "BE",
        **fields,
    }
    return services.create_warehouse(SYSTEM, data)


def category(name: str | None = None, parent: ProductCategory | None = None) -> ProductCategory:
    return services.create_record(
        SYSTEM, ProductCategory, {"name": name or next_code("Category "), "parent": parent}
    )


def product(sku: str | None = None, **fields: Any) -> Product:
    piece = Unit.objects.get(code="H87")
    data = {
        "sku": sku or next_code("SKU-"),
        "name": fields.pop("name", "Test product"),
        "category": fields.pop("category", None) or category(),
        "base_unit": piece,
        "purchase_unit": piece,
        "sales_unit": piece,
        "currency": Currency.objects.get(code="EUR"),
        "list_price": Decimal("10.00"),
        "standard_cost": Decimal("6.00"),
        **fields,
    }
    return services.create_record(SYSTEM, Product, data)


def partner(company: Company, **fields: Any) -> Partner:
    data = {
        "company": company,
        "code": fields.pop("code", None) or next_code("P"),
        "name": fields.pop("name", "Test partner"),
        "is_customer": True,
        "currency": company.base_currency,
        **fields,
    }
    return services.create_record(SYSTEM, Partner, data)


def user(
    *roles: Role,
    companies: list[Company] | tuple[Company, ...] = (),
    warehouses: list[Warehouse] | tuple[Warehouse, ...] = (),
    username: str | None = None,
    password: str = "correct-horse-battery-staple",
) -> User:
    account = User.objects.create_user(username or next_code("user"), password=password)
    services.grant_access(
        SYSTEM,
        account,
        companies=companies,
        warehouses=warehouses,
        roles=[r.value for r in roles],
    )
    return User.objects.get(pk=account.pk)
