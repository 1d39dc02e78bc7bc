"""Real parallel processes: two approved changes to the same price cannot both apply."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.approvals import policies, services
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.context import Actor
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.masterdata import pricing
from crossdock.masterdata.models import PriceListChange, PriceListItem
from crossdock.masterdata.pricing import PRICE_LIST_CHANGE, PriceLine
from tests import factories
from tests.parallel import run_together

D = Decimal
SYSTEM = Actor.system("tests")

APPROVE = """
from crossdock.approvals.services import decide
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.models import User
try:
    decide(Actor.of(User.objects.get(username="{username}")), {request_id}, approve=True)
    print("ok")
except DomainError as error:
    print(f"refused:{{error.code}}")
"""


@pytest.mark.parallel
@pytest.mark.django_db(transaction=True)
def test_two_cuts_of_one_price_approved_at_once_apply_exactly_one(company_a):
    rep = factories.user(Role.SALES_REP, companies=[company_a], username="rep")
    for name in ("boss-1", "boss-2"):
        factories.user(Role.SALES_MANAGER, companies=[company_a], username=name)
    draft = PolicyDraft(
        company_id=company_a.pk, document_type=PRICE_LIST_CHANGE, name="Any change",
        condition={"all": []},
        levels=[LevelDraft(name="Sales manager", rule="role", role="sales-manager")],
    )  # fmt: skip
    policies.set_policy_status(SYSTEM, policies.save_policy(SYSTEM, draft).pk, "active")
    price_list = pricing.create_price_list(
        SYSTEM,
        {"company": company_a, "code": "P", "name": "P", "currency": company_a.base_currency},
    )
    product = factories.product()
    item = PriceListItem.objects.create(
        price_list=price_list, product=product, unit_price=D(100),
        valid_from=datetime.date(2026, 1, 1),
    )  # fmt: skip
    requests = []
    for price in ("85", "80"):
        change = pricing.propose_price_changes(
            Actor.of(rep), price_list.pk, [PriceLine(product.pk, D(price))]
        )
        pricing.submit_price_change(Actor.of(rep), change.pk)
        request = services.request_for(PRICE_LIST_CHANGE, change.pk)
        assert request is not None
        requests.append(request.pk)
    results = run_together(
        [
            APPROVE.format(username="boss-1", request_id=requests[0]),
            APPROVE.format(username="boss-2", request_id=requests[1]),
        ]
    )
    assert sorted(results) == ["ok", "refused:conflict"], results
    states = sorted(PriceListChange.objects.values_list("state", flat=True))
    assert states == ["applied", "submitted"]
    winner = PriceListChange.objects.get(state="applied").lines.get()
    item.refresh_from_db()
    assert item.unit_price == winner.new_price
    assert AuditEntry.objects.filter(action="masterdata.pricelist.apply").count() == 1
