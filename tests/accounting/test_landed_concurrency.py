"""Real processes race on the same receipt: a landed cost never loses or doubles value."""

from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.accounting.models import JournalEntry, LandedCost, LandedCostState
from crossdock.accounting.selectors import trial_balance
from crossdock.accounting.services.landed import LandedCostInput, create_landed_cost
from crossdock.core.checks import run_checks
from crossdock.inventory.models import ValuationLayer
from tests import factories
from tests.inventory.conftest import SYSTEM
from tests.parallel import run_together

D = Decimal

POST = """
from crossdock.accounting.services.landed import post_landed_cost
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
try:
    post_landed_cost(Actor.system("race"), {landed_id})
    print("ok")
except DomainError as error:
    print("refused:" + error.message)
"""

VALIDATE = """
from crossdock.core.context import Actor
from crossdock.inventory.services import validate_transfer
validate_transfer(Actor.system("race"), {transfer_id})
print("ok")
"""

pytestmark = [pytest.mark.parallel, pytest.mark.django_db(transaction=True)]


def _draft(site, move, amount="30.00"):
    data = LandedCostInput(
        site.company.pk, timezone.localdate(), "Freight", D(amount), "equally", [move.pk]
    )
    return create_landed_cost(SYSTEM, data)


def test_the_same_landed_cost_posted_twice_posts_once(site):
    product = factories.product(costing_method="fifo")
    move = site.receive(product, "10", cost="5.00").moves.get()
    landed = _draft(site, move)
    results = run_together([POST.format(landed_id=landed.pk)] * 2)
    assert results.count("ok") == 1, results
    assert any(r.startswith("refused:") and "not a draft" in r for r in results), results
    assert LandedCost.objects.get(pk=landed.pk).state == LandedCostState.POSTED
    assert ValuationLayer.objects.filter(move=move, quantity=0).count() == 1
    assert JournalEntry.objects.filter(source_type="accounting.landedcost").count() == 1
    assert run_checks()[1] == []


@pytest.mark.parametrize("method", ["fifo", "average"])
def test_a_landed_cost_racing_a_delivery_leaves_the_same_stock_value(site, method):
    """Whichever goes first, the 6 left are worth 48.00 and COGS takes 32.00."""
    product = factories.product(costing_method=method)
    move = site.receive(product, "10", cost="5.00").moves.get()
    delivery = site.deliver(product, "4")
    landed = _draft(site, move)
    results = run_together(
        [POST.format(landed_id=landed.pk), VALIDATE.format(transfer_id=delivery.pk)]
    )
    assert results == ["ok", "ok"], results
    balances = {r.account.code: r.balance for r in trial_balance(site.company.pk)}
    assert (balances["1200"], balances["5000"]) == (D("48.00"), D("32.00"))
    assert run_checks()[1] == []
