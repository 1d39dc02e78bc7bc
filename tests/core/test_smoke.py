from crossdock.core.audit import verify_chain
from crossdock.masterdata.models import Location


def test_company_and_warehouse_get_their_locations(warehouse_a):
    kinds = set(Location.objects.filter(company=warehouse_a.company).values_list("kind", flat=True))
    assert {"supplier", "customer", "inventory_loss", "transit", "reserve", "damaged"} <= kinds
    assert verify_chain() == []
