"""Approval test fixtures: a buyer with a manager chain, approvers, and policy helpers."""

import pytest

from crossdock.approvals import policies
from crossdock.approvals.documents import VENDOR_ONBOARDING
from crossdock.core.context import Actor
from crossdock.core.records import create_record
from crossdock.core.roles import Role
from crossdock.masterdata.models import Partner
from tests import factories

SYSTEM = Actor.system("tests")


@pytest.fixture
def people(company_a):
    def person(name, *roles, manager=None):
        user = factories.user(*roles, companies=[company_a], username=name)
        user.manager = manager
        user.email = f"{name}@example.com"
        user.save()
        return user

    director = person("director", Role.EXECUTIVE)
    head = person("head-of-purchasing", Role.PURCHASING_MANAGER, manager=director)
    second = person("deputy-purchasing", Role.PURCHASING_MANAGER, manager=director)
    buyer = person("buyer-1", Role.BUYER, manager=head)
    controller = person("controller-1", Role.CONTROLLER)
    return {
        "director": director,
        "head": head,
        "second": second,
        "buyer": buyer,
        "controller": controller,
    }


@pytest.fixture
def make_policy(company_a):
    def make(condition, *levels, name="Risky suppliers", activate=True):
        draft = policies.PolicyDraft(
            company_id=company_a.pk,
            document_type=VENDOR_ONBOARDING,
            name=name,
            condition=condition,
            levels=list(levels),
        )
        policy = policies.save_policy(SYSTEM, draft)
        if activate:
            policy = policies.set_policy_status(SYSTEM, policy.pk, "active")
        return policy

    return make


@pytest.fixture
def new_supplier(company_a):
    def create(actor_user, code="SUP1", risk="high"):
        return create_record(
            Actor.of(actor_user),
            Partner,
            {
                "company": company_a,
                "code": code,
                "name": f"Supplier {code}",
                "is_supplier": True,
                "supplier_risk_class": risk,
                "currency": company_a.base_currency,
            },
        )

    return create


HIGH_RISK = {"field": "supplier_risk_class", "op": "==", "value": "high"}
