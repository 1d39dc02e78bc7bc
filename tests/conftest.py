"""Shared fixtures: two sibling companies with a warehouse each, and users to act as."""

from __future__ import annotations

import os

import pytest

from crossdock.core.roles import Role
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def company_a(db):
    return factories.company("ACME", name="Acme Distribution")


@pytest.fixture
def company_b(db):
    return factories.company("BETA", name="Beta Wholesale")


@pytest.fixture
def warehouse_a(company_a):
    return factories.warehouse(company_a, "A-CENTRAL", name="Acme central")


@pytest.fixture
def warehouse_b(company_b):
    return factories.warehouse(company_b, "B-DEPOT", name="Beta depot")


@pytest.fixture
def admin_user(company_a, company_b):
    return factories.user(
        Role.ADMINISTRATOR, companies=[company_a, company_b], username="admin-test"
    )


@pytest.fixture
def make_user(db):
    return factories.user
