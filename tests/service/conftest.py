"""Service fixtures: a customer of company A, an agent working its cases, SLA policies."""

from __future__ import annotations

import datetime

import pytest

from crossdock.core.context import Actor
from crossdock.core.roles import Role
from crossdock.service.services.cases import CaseDraft, open_case
from crossdock.service.services.policies import PolicyDraft, save_policy
from tests import factories
from tests.inventory.conftest import SYSTEM

OPENED = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def hours(count: float) -> datetime.timedelta:
    return datetime.timedelta(hours=count)


@pytest.fixture
def customer_a(company_a):
    return factories.partner(company_a, code="C-ONE", name="Corner Shop", customer_tier="key")


@pytest.fixture
def agent(company_a):
    return factories.user(Role.SERVICE_AGENT, companies=[company_a], username="agent-a")


@pytest.fixture
def agent_actor(agent):
    return Actor.of(agent)


@pytest.fixture
def policies(company_a):
    """Normal: answer within 4 hours, resolve within 24; urgent: 1 and 8."""
    return {
        priority: save_policy(SYSTEM, PolicyDraft(company_a.pk, priority, response, resolution))
        for priority, response, resolution in (("normal", 4, 24), ("urgent", 1, 8))
    }


def make_case(actor, customer, *, opened_at=OPENED, **fields):
    draft = CaseDraft(
        customer_id=customer.pk,
        subject=fields.pop("subject", "Pallet arrived damaged"),
        category=fields.pop("category", "delivery_issue"),
        **fields,
    )
    return open_case(actor, draft, opened_at=opened_at)
