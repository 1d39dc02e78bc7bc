"""Barcodes, addresses, the audit trail, /me, imports and the OpenAPI document."""

from __future__ import annotations

import io

import pytest
from django.db.models import Q

from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.masterdata.models import PartnerAddress, Product
from crossdock.masterdata.registry import RECORD_TYPES
from tests import factories
from tests.api.conftest import make_record


def test_product_barcodes_round_trip(admin_api, world):
    product = make_record("products", world)
    url = f"products/{product.pk}/barcodes"
    assert admin_api.get(url).json() == {"product": product.pk, "gtins": []}
    response = admin_api.put(url, {"gtins": ["96385074", "4006381333931"]})
    assert response.status_code == 200, response.content
    assert response.json()["gtins"] == ["4006381333931", "96385074"]
    assert admin_api.get(url).json()["gtins"] == ["4006381333931", "96385074"]
    assert admin_api.put(url, {"gtins": ["96385074"]}).json()["gtins"] == ["96385074"]


@pytest.mark.parametrize(
    "gtins", [["4006381333932"], ["abc"], ["96385074", "96385074"], "96385074", [1234]]
)
def test_bad_barcodes_are_422_and_keep_the_old_ones(admin_api, world, gtins):
    product = make_record("products", world)
    url = f"products/{product.pk}/barcodes"
    admin_api.put(url, {"gtins": ["96385074"]})
    response = admin_api.put(url, {"gtins": gtins})
    assert response.status_code == 422
    assert "gtins" in next(iter(response.json()["errors"]))
    assert list(product.barcodes.values_list("gtin", flat=True)) == ["96385074"]


def test_barcode_already_used_by_another_product(admin_api, world):
    first, second = make_record("products", world), make_record("products", world)
    admin_api.put(f"products/{first.pk}/barcodes", {"gtins": ["96385074"]})
    response = admin_api.put(f"products/{second.pk}/barcodes", {"gtins": ["96385074"]})
    assert response.status_code == 422
    assert first.sku in response.json()["detail"]


def test_partner_addresses_round_trip(admin_api, world):
    partner = world.partner
    url = f"partners/{partner.pk}/addresses"
    addresses = [
        {
            "kind": "billing",
            "street": "Rue 1",
            "city": "Liège",
            "country": "BE",
            "is_default": True,
        },
        {
            "street": "Dock 4",
            "city": "Antwerpen",
            "postal_code": "2030",
            "country": "BE",
            "latitude": "51.2601",
            "longitude": "4.4025",
        },
    ]
    response = admin_api.put(url, {"addresses": addresses})
    assert response.status_code == 200, response.content
    body = admin_api.get(url).json()
    assert body["partner"] == partner.pk
    assert [a["city"] for a in body["addresses"]] == ["Liège", "Antwerpen"]
    assert body["addresses"][1]["latitude"] == "51.260100"
    assert body["addresses"][1]["kind"] == "shipping"


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ({"city": "Gent", "country": "BE"}, "addresses[0].street"),
        ({"street": "x", "city": "Gent", "country": "Belgium"}, "addresses[0].country"),
        (
            {"street": "x", "city": "Gent", "country": "BE", "latitude": 51.1},
            "addresses[0].latitude",
        ),
        (
            {"street": "x", "city": "Gent", "country": "BE", "latitude": "91"},
            "addresses[0].latitude",
        ),
        ({"street": "x", "city": "Gent", "country": "BE", "kind": "home"}, "addresses[0].kind"),
    ],
)
def test_bad_addresses_name_the_item_and_field(admin_api, world, address, field):
    before = PartnerAddress.objects.count()
    response = admin_api.put(f"partners/{world.partner.pk}/addresses", {"addresses": [address]})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert PartnerAddress.objects.count() == before


def test_two_default_billing_addresses_are_refused(admin_api, world):
    address = {"kind": "billing", "street": "x", "city": "y", "country": "BE", "is_default": True}
    response = admin_api.put(
        f"partners/{world.partner.pk}/addresses", {"addresses": [address, address]}
    )
    assert response.status_code == 422
    assert "addresses" in response.json()["errors"]


def test_audit_entries_filter_and_page(admin_api, world):
    partner = world.partner
    for name in ("One", "Two", "Three"):
        admin_api.patch(f"partners/{partner.pk}", {"name": name})
    response = admin_api.get(
        "audit-entries",
        {"object_type": "masterdata.partner", "object_id": str(partner.pk), "limit": 2},
    )
    assert response.status_code == 200
    body = response.json()
    assert [e["action"] for e in body["items"]] == ["update", "update"]
    assert body["items"][0]["after"]["name"] == "Three"
    assert body["items"][0]["actor"] == admin_api.user.pk
    rest = admin_api.get(
        "audit-entries",
        {
            "object_type": "masterdata.partner",
            "object_id": str(partner.pk),
            "cursor": body["next_cursor"],
        },
    ).json()
    assert [e["action"] for e in rest["items"]] == ["update", "create"]
    assert rest["next_cursor"] is None
    sequences = [e["sequence"] for e in body["items"] + rest["items"]]
    assert sequences == sorted(sequences, reverse=True)


def test_audit_entries_include_group_wide_entries(as_user, company_a, world):
    auditor = as_user(factories.user(Role.AUDITOR, companies=[company_a]))
    entries = auditor.get("audit-entries", {"limit": 500}).json()["items"]
    assert {e["company"] for e in entries} <= {company_a.pk, None}
    assert None in {e["company"] for e in entries}  # the category created for the world
    visible = AuditEntry.objects.filter(Q(company_id=company_a.pk) | Q(company_id__isnull=True))
    assert len(entries) == visible.count()


def test_me_lists_roles_companies_and_warehouses(as_user, company_a, company_b, warehouse_a):
    user = factories.user(
        Role.BUYER, Role.SALES_REP, companies=[company_a, company_b], warehouses=[warehouse_a]
    )
    body = as_user(user).get("me").json()
    assert body["username"] == user.username
    assert body["roles"] == ["buyer", "sales-rep"]
    assert [c["code"] for c in body["companies"]] == ["ACME", "BETA"]
    assert [w["code"] for w in body["warehouses"]] == ["A-CENTRAL"]
    assert body["current_company"] in (company_a.pk, company_b.pk)


def test_openapi_document_and_docs(admin_api, db):
    from django.test import Client

    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Crossdock API"
    paths = document["paths"]
    for record_type in RECORD_TYPES:
        base = f"/api/v1/{record_type.slug}"
        assert {"get", "post"} <= set(paths[base])
        assert {"get", "patch", "delete"} <= set(paths[base + "/{id}"])
        assert "get" in paths[base + "/export"]
        assert ("post" in paths.get(base + "/import", {})) == record_type.importable
    schemas = document["components"]["schemas"]
    credit_limit = schemas["PartnerCreate"]["properties"]["credit_limit"]
    assert credit_limit["type"] == "string"
    assert schemas["PartnerCreate"]["properties"]["company"]["type"] == "integer"
    operation_ids = [op["operationId"] for path in paths.values() for op in path.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert Client().get("/api/v1/docs").status_code == 200


def test_import_dry_run_writes_nothing(admin_api, world):
    upload = io.BytesIO(
        "sku,name,category,base_unit,purchase_unit,sales_unit,currency,list_price\n"
        f"IMP-1,Imported,{world.category.path},H87,H87,H87,EUR,9.99\n".encode()
    )
    upload.name = "products.csv"
    before = Product.objects.count()
    response = admin_api.client.post("/api/v1/products/import?dry_run=true", {"file": upload})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "ok": True,
        "dry_run": True,
        "created": 1,
        "updated": 0,
        "errors": [],
    }
    assert Product.objects.count() == before


def test_import_with_row_errors_is_422_and_writes_nothing(admin_api, world):
    upload = io.BytesIO(b"sku,name,list_price\nIMP-2,Bad price,1.5.5\n")
    upload.name = "products.csv"
    before = Product.objects.count()
    response = admin_api.client.post("/api/v1/products/import", {"file": upload})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["row_errors"]
    assert all(key.startswith("rows[") for key in body["errors"])
    assert Product.objects.count() == before


def test_import_refuses_other_files(admin_api, world):
    upload = io.BytesIO(b"%PDF-1.4")
    upload.name = "products.pdf"
    response = admin_api.client.post("/api/v1/products/import", {"file": upload})
    assert response.status_code == 422
    assert "file" in response.json()["errors"]
    missing = admin_api.client.post("/api/v1/products/import", {})
    assert missing.status_code == 422
    assert "file" in missing.json()["errors"]
