"""Web shell fixtures: logged-in test clients and a partner per company."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from crossdock.core.roles import Role
from tests import factories
from tests.browser import client_for


@pytest.fixture
def admin_client_web(admin_user) -> Client:
    return client_for(admin_user)


@pytest.fixture
def partner_a(company_a):
    return factories.partner(company_a, code="ACME-CUST", name="Alpha Retail")


@pytest.fixture
def partner_b(company_b):
    return factories.partner(company_b, code="BETA-CUST", name="Bravo Stores")


@pytest.fixture
def sales_rep_a(company_a):
    """A sales rep of company A only (partners: view/add/change; no audit trail)."""
    return factories.user(Role.SALES_REP, companies=[company_a], username="rep-a")


@pytest.fixture
def auditor_a(company_a):
    return factories.user(Role.AUDITOR, companies=[company_a], username="auditor-a")


@pytest.fixture
def rich_partner(company_a):
    partner = factories.partner(
        company_a, code="RICH", name="Rich Customer", credit_limit=Decimal("2500.00")
    )
    return partner
