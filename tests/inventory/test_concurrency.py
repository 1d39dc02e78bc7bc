"""Two processes fight over the last unit or the same serial: exactly one wins, never negative."""

import pytest

from crossdock.core.checks import run_checks
from crossdock.inventory.models import Quant
from tests import factories
from tests.parallel import run_together

VALIDATE = """
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.inventory.services import validate_transfer
try:
    validate_transfer(Actor.system("race"), {transfer_id})
    print("ok")
except DomainError as error:
    print("refused:" + error.message)
"""

RESERVE = """
from crossdock.core.context import Actor
from crossdock.inventory.services import reserve_moves
from crossdock.inventory.models import StockMove
moves = StockMove.objects.filter(transfer_id={transfer_id}).values_list("pk", flat=True)
result = reserve_moves(Actor.system("race"), moves)
print("ok" if result.assigned else "waiting")
"""

pytestmark = [pytest.mark.parallel, pytest.mark.django_db(transaction=True)]


def test_two_deliveries_of_the_last_unit_exactly_one_ships(site):
    product = factories.product()
    site.receive(product, "1")
    first, second = site.deliver(product, "1"), site.deliver(product, "1")
    results = run_together([VALIDATE.format(transfer_id=t.pk) for t in (first, second)])
    assert results.count("ok") == 1, results
    assert any(r.startswith("refused:Not enough") for r in results), results
    quant = Quant.objects.get(product=product, location=site.stock)
    assert (quant.quantity, quant.reserved) == (0, 0)
    assert run_checks()[1] == []


def test_two_reservations_of_the_last_unit_exactly_one_is_assigned(site):
    product = factories.product()
    site.receive(product, "1")
    first, second = site.deliver(product, "1"), site.deliver(product, "1")
    results = run_together([RESERVE.format(transfer_id=t.pk) for t in (first, second)])
    assert sorted(results) == ["ok", "waiting"]
    quant = Quant.objects.get(product=product, location=site.stock)
    assert (quant.quantity, quant.reserved) == (1, 1)
    assert run_checks()[1] == []


def test_the_same_serial_shipped_twice_ships_once(site):
    product = factories.product(tracking="serial")
    site.receive(product, "1", lot="SN-42")
    first, second = site.deliver(product, "1"), site.deliver(product, "1")
    snippet = VALIDATE.replace(
        'validate_transfer(Actor.system("race"), {transfer_id})',
        "from crossdock.inventory.services import DoneLine\n    "
        "from crossdock.inventory.models import StockMove\n    "
        "move = StockMove.objects.get(transfer_id={transfer_id})\n    "
        'validate_transfer(Actor.system("race"), {transfer_id}, '
        "[DoneLine(move.pk, move.quantity, 'SN-42')])",
    )
    results = run_together([snippet.format(transfer_id=t.pk) for t in (first, second)])
    assert results.count("ok") == 1, results
    assert Quant.objects.get(product=product, location=site.stock).quantity == 0
    assert run_checks()[1] == []
