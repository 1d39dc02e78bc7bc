"""Shared fixtures: two sibling companies with a warehouse each, and users to act as."""

from __future__ import annotations

import os

import pytest

from crossdock.core.roles import Role
from crossdock.masterdata.reference import ensure_reference_data
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["tests.browser"]

_TRANSACTIONAL = {"transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,  # passwords hashed outside the test still verify
    ]


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Currencies and units exist in every test, also after a transactional test flushed them."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", *_TRANSACTIONAL}:
        return
    transactional = bool(names & _TRANSACTIONAL) or bool(
        marker and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_reference_data()


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
