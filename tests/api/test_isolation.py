"""A user of company A never sees or touches company B's rows, by any path."""

from __future__ import annotations

import csv
import io

import pytest

from crossdock.core.roles import Role
from crossdock.masterdata.models import Location, Partner
from tests import factories


@pytest.fixture
def beta(company_b, warehouse_b):
    partner = factories.partner(company_b, code="BETA-SECRET", name="Beta secret customer")
    location = Location.objects.filter(warehouse=warehouse_b).order_by("path").last()
    return {"partners": partner, "warehouses": warehouse_b, "locations": location}


@pytest.fixture
def acme_api(as_user, company_a, warehouse_a, world):
    # Every master model visible, plus edits on partners, sites and audit.
    return as_user(factories.user(Role.ADMINISTRATOR, companies=[company_a]))


@pytest.mark.parametrize("slug", ["partners", "warehouses", "locations"])
def test_list_detail_search_and_filter_hide_the_other_company(acme_api, beta, company_b, slug):
    row = beta[slug]
    listed = acme_api.get(slug, {"limit": 500}).json()["items"]
    assert listed, "company A's own rows are listed"
    assert row.pk not in {item["id"] for item in listed}
    assert all(item.get("company") != company_b.pk for item in listed)

    assert acme_api.get(f"{slug}/{row.pk}").status_code == 404
    assert acme_api.patch(f"{slug}/{row.pk}", {"name": "Taken"}).status_code == 404
    assert acme_api.delete(f"{slug}/{row.pk}").status_code == 404
    assert type(row).objects.filter(pk=row.pk).exists()

    for text in ("BETA", "Beta", "B-DEPOT"):
        found = acme_api.get(slug, {"q": text, "limit": 500}).json()["items"]
        assert row.pk not in {item["id"] for item in found}
    assert acme_api.get(slug, {"company": company_b.pk}).json()["items"] == []


@pytest.mark.parametrize("slug", ["partners", "warehouses", "locations"])
def test_export_hides_the_other_company(acme_api, beta, slug):
    response = acme_api.get(f"{slug}/export", {"format": "csv"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) > 1
    assert "BETA" not in text
    assert "B-DEPOT" not in text


def test_children_and_audit_of_the_other_company_are_hidden(acme_api, beta, company_b):
    partner = beta["partners"]
    assert acme_api.get(f"partners/{partner.pk}/addresses").status_code == 404
    put = acme_api.put(
        f"partners/{partner.pk}/addresses",
        {"addresses": [{"street": "x", "city": "y", "country": "BE"}]},
    )
    assert put.status_code == 404
    assert not partner.addresses.exists()
    entries = acme_api.get("audit-entries", {"limit": 500}).json()["items"]
    assert entries
    assert all(e["company"] != company_b.pk for e in entries)
    by_object = acme_api.get(
        "audit-entries", {"object_type": "masterdata.partner", "object_id": str(partner.pk)}
    )
    assert by_object.json()["items"] == []


def test_cannot_move_a_row_into_the_other_company(acme_api, world, company_b):
    partner = world.partner
    response = acme_api.patch(f"partners/{partner.pk}", {"company": company_b.pk})
    assert response.status_code == 422
    assert "company" in response.json()["errors"]
    partner.refresh_from_db()
    assert partner.company_id == world.company.pk
    assert not Partner.objects.filter(company=company_b).exists()


def test_warehouse_restricted_user_sees_only_their_warehouse(as_user, company_a, warehouse_a):
    other = factories.warehouse(company_a, "A-OTHER")
    user = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a], warehouses=[warehouse_a])
    api = as_user(user)
    ids = {item["id"] for item in api.get("warehouses").json()["items"]}
    assert ids == {warehouse_a.pk}
    locations = api.get("locations", {"limit": 500}).json()["items"]
    assert other.pk not in {item["warehouse"] for item in locations}
    assert api.get(f"warehouses/{other.pk}").status_code == 404
