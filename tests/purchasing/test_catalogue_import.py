"""Importing the supplier catalogue from CSV and XLSX: all or nothing, with a dry run."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from crossdock.core.roles import Role
from crossdock.purchasing.models import SupplierPriceBreak, SupplierProduct
from crossdock.purchasing.services.catalogue_import import import_catalogue
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM

D = Decimal


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_rows_of_one_supplier_and_product_become_one_entry_with_breaks(buying):
    a, b = factories.product(sku="IMP-A"), factories.product(sku="IMP-B")
    content = _csv(
        "supplier,product,min_quantity,unit_price,moq,pack_size,lead_time_days,contract",
        f"{buying.supplier.code},IMP-A,0,5.00,10,5,12,FRAME-1",
        f"{buying.supplier.code},IMP-A,100,4.60,,,,",
        f"{buying.supplier.code},IMP-B,0,1.25,,,3,",
    )
    dry = import_catalogue(SYSTEM, buying.company.pk, "c.csv", content, dry_run=True)
    assert (dry.ok, dry.created, dry.updated) == (True, 2, 0)
    assert SupplierProduct.objects.count() == 0  # a dry run writes nothing
    done = import_catalogue(SYSTEM, buying.company.pk, "c.csv", content, dry_run=False)
    assert (done.ok, done.created) == (True, 2)
    offer = SupplierProduct.objects.get(product=a)
    assert (offer.minimum_quantity, offer.order_multiple, offer.lead_time_days) == (
        D(10),
        D(5),
        12,
    )
    assert offer.contract_reference == "FRAME-1"
    assert list(offer.breaks.values_list("min_quantity", "unit_price")) == [
        (D(0), D("5.00")),
        (D(100), D("4.60")),
    ]
    assert SupplierProduct.objects.get(product=b).breaks.get().unit_price == D("1.25")


def test_importing_again_replaces_the_entry(buying):
    factories.product(sku="IMP-C")
    code = buying.supplier.code
    first = _csv("supplier,product,unit_price", f"{code},IMP-C,2.00")
    import_catalogue(SYSTEM, buying.company.pk, "c.csv", first, dry_run=False)
    second = _csv("supplier,product,unit_price", f"{code},IMP-C,1.90")
    result = import_catalogue(SYSTEM, buying.company.pk, "c.csv", second, dry_run=False)
    assert (result.created, result.updated) == (0, 1)
    assert SupplierPriceBreak.objects.get().unit_price == D("1.90")


def test_every_bad_row_is_reported_and_nothing_is_written(buying):
    factories.product(sku="IMP-D")
    code = buying.supplier.code
    content = _csv(
        "supplier,product,unit_price,pack_size,valid_from",
        f"{code},IMP-D,3.00,0,",
        "NOBODY,IMP-D,3.00,1,",
        f"{code},NO-SUCH-SKU,3.00,1,",
        f"{code},IMP-D,abc,1,",
        f"{code},IMP-D,3.00,1,31/12/2026",
    )
    result = import_catalogue(SYSTEM, buying.company.pk, "c.csv", content, dry_run=False)
    assert result.ok is False
    assert {(e.row, e.field) for e in result.errors} >= {
        (3, "supplier"),
        (4, "product"),
        (5, "unit_price"),
    }
    assert SupplierProduct.objects.count() == 0


def test_a_pack_size_of_zero_is_refused_by_the_entry_checks(buying):
    factories.product(sku="IMP-E")
    content = _csv("supplier,product,unit_price,pack_size", f"{buying.supplier.code},IMP-E,3,0")
    result = import_catalogue(SYSTEM, buying.company.pk, "c.csv", content, dry_run=False)
    assert [(e.row, e.field) for e in result.errors] == [(2, "order_multiple")]
    assert SupplierProduct.objects.count() == 0


def test_an_unknown_column_is_refused(buying):
    content = _csv("supplier,product,unit_price,colour", "S,P,1,red")
    result = import_catalogue(SYSTEM, buying.company.pk, "c.csv", content, dry_run=True)
    assert [(e.row, e.field) for e in result.errors] == [(1, "colour")]


def test_xlsx_files_are_read_too(buying):
    factories.product(sku="IMP-X")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["supplier", "product", "unit_price"])
    sheet.append([buying.supplier.code, "IMP-X", 7.5])
    data = io.BytesIO()
    book.save(data)
    result = import_catalogue(SYSTEM, buying.company.pk, "c.xlsx", data.getvalue(), dry_run=False)
    assert (result.ok, result.created) == (True, 1)
    assert SupplierPriceBreak.objects.get().unit_price == D("7.5")


def test_the_api_imports_and_reports_row_errors_as_problems(buying):
    factories.product(sku="IMP-API")
    client = ApiClient(factories.user(Role.BUYER, companies=[buying.company]))
    url = client.url(f"supplier-products/import?company={buying.company.pk}")
    good = f"supplier,product,unit_price\n{buying.supplier.code},IMP-API,2.20\n".encode()
    answer = client.client.post(url, {"file": SimpleUploadedFile("c.csv", good)})
    assert answer.status_code == 200, answer.content
    assert answer.json()["created"] == 1
    bad = f"supplier,product,unit_price\n{buying.supplier.code},IMP-API,-1\n".encode()
    answer = client.client.post(url, {"file": SimpleUploadedFile("c.csv", bad)})
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["rows[2].breaks"]
    assert SupplierPriceBreak.objects.get().unit_price == D("2.20")


def test_the_import_screen_checks_then_imports(buying, client):
    factories.product(sku="IMP-WEB")
    client.force_login(factories.user(Role.PURCHASING_MANAGER, companies=[buying.company]))
    content = f"supplier,product,unit_price\n{buying.supplier.code},IMP-WEB,3.30\n".encode()
    url = "/purchasing/catalogue/import/"
    page = client.post(
        url,
        {"company": buying.company.pk, "file": SimpleUploadedFile("c.csv", content),
         "dry_run": "on"},
    )  # fmt: skip
    assert page.status_code == 200
    assert "importing it would add 1" in page.content.decode()
    assert SupplierProduct.objects.count() == 0
    done = client.post(
        url, {"company": buying.company.pk, "file": SimpleUploadedFile("c.csv", content)}
    )
    assert done.status_code == 302
    assert SupplierPriceBreak.objects.get().unit_price == D("3.30")
    bad = f"supplier,product,unit_price\n{buying.supplier.code},NOPE,3\n".encode()
    page = client.post(
        url, {"company": buying.company.pk, "file": SimpleUploadedFile("c.csv", bad)}
    )
    assert "Nothing was imported" in page.content.decode()
    assert "No product" in page.content.decode()


def test_the_import_screen_is_refused_to_a_warehouse_operator(buying, client):
    client.force_login(factories.user(Role.WAREHOUSE_OPERATOR, companies=[buying.company]))
    assert client.get("/purchasing/catalogue/import/").status_code == 403


def test_the_free_freight_value_column_is_read_and_checked(buying):
    factories.product(sku="IMP-FF")
    code = buying.supplier.code
    bad = _csv("supplier,product,unit_price,free_freight_value", f"{code},IMP-FF,2.00,-5")
    refused = import_catalogue(SYSTEM, buying.company.pk, "c.csv", bad, dry_run=False)
    assert not refused.ok
    assert [(e.row, e.field) for e in refused.errors] == [(2, "free_freight_value")]
    assert SupplierProduct.objects.count() == 0
    good = _csv("supplier,product,unit_price,free_freight_value", f"{code},IMP-FF,2.00,750")
    assert import_catalogue(SYSTEM, buying.company.pk, "c.csv", good, dry_run=False).ok
    assert SupplierProduct.objects.get().free_freight_value == D(750)
