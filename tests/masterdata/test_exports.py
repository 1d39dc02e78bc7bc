"""Exports: exact decimals in CSV and XLSX, natural keys, restricted querysets, round trips."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.masterdata.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, export_rows
from crossdock.masterdata.imports import run_import
from crossdock.masterdata.models import Partner, Product
from crossdock.masterdata.registry import BY_SLUG
from tests import factories

PRODUCTS = BY_SLUG["products"]
PARTNERS = BY_SLUG["partners"]
LOCATIONS = BY_SLUG["locations"]
PRICES = ("0.0001", "12.99", "1234567.8912", "0")


@pytest.fixture
def priced_products(db):
    category = factories.category("Fasteners")
    screws = factories.category("Screws", parent=category)
    return [
        factories.product(f"P-{n}", name=name, category=screws, list_price=Decimal(price))
        for n, (name, price) in enumerate(
            zip(("Screw", "=HYPERLINK(1)", "-cmd|x", "Bolt"), PRICES, strict=True), start=1
        )
    ]


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def read_xlsx(content: bytes) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_csv_has_headers_natural_keys_and_exact_decimals(priced_products):
    content, content_type, filename = export_rows(PRODUCTS, Product.objects.order_by("sku"), "csv")
    assert content_type == CSV_CONTENT_TYPE
    assert filename.startswith("products-")
    assert filename.endswith(".csv")
    rows = read_csv(content)
    assert rows[0] == [
        "SKU",
        "Name",
        "Category",
        "Base unit",
        "Tracking",
        "Costing method",
        "List price",
        "Currency",
        "Status",
    ]
    assert rows[1] == [
        "P-1",
        "Screw",
        "Fasteners/Screws",
        "H87",
        "none",
        "average",
        "0.0001",
        "EUR",
        "active",
    ]
    assert [Decimal(r[6]) for r in rows[1:]] == [Decimal(p) for p in PRICES]
    assert [r[1] for r in rows[1:3]] == ["Screw", "'=HYPERLINK(1)"]
    assert rows[3][1] == "'-cmd|x"


def test_xlsx_numbers_are_exact_and_text_is_never_a_formula(priced_products):
    content, content_type, filename = export_rows(PRODUCTS, Product.objects.order_by("sku"), "xlsx")
    assert content_type == XLSX_CONTENT_TYPE
    assert filename.endswith(".xlsx")
    rows = read_xlsx(content)
    assert rows[0][0] == "SKU"
    prices = [row[6] for row in rows[1:]]
    assert all(isinstance(p, int | float) for p in prices)
    assert [Decimal(repr(p)) for p in prices] == [Decimal(p) for p in PRICES]
    assert rows[2][1] == "=HYPERLINK(1)"
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula cells at all
    assert "<v>1234567.8912</v>" in sheet_xml  # the decimal text itself, never via float


def test_a_decimal_beyond_excel_precision_is_written_as_text(db):
    product = factories.product("BIG", list_price=Decimal("123456789012.3456"))
    content, _, _ = export_rows(PRODUCTS, Product.objects.filter(pk=product.pk), "xlsx")
    assert read_xlsx(content)[1][6] == "123456789012.3456"


def test_export_respects_the_restricted_queryset(company_a, company_b, make_user):
    factories.partner(company_a, code="A1", name="Mine", credit_limit=Decimal("1500.50"))
    factories.partner(company_b, code="B1", name="Theirs")
    buyer = make_user(Role.BUYER, companies=[company_a])
    content, _, _ = export_rows(PARTNERS, Partner.objects.restrict(buyer), "csv")
    rows = read_csv(content)
    assert [(r[0], r[2], r[6]) for r in rows[1:]] == [("A1", "ACME", "1500.5000")]

    nobody = make_user(companies=[company_a])
    content, _, _ = export_rows(PARTNERS, Partner.objects.restrict(nobody), "csv")
    assert len(read_csv(content)) == 1  # the header only


def test_export_reads_set_based(priced_products):
    with CaptureQueriesContext(connection) as queries:
        export_rows(PRODUCTS, Product.objects.all(), "xlsx")
    assert len(queries) <= 2


def test_unknown_format_is_refused(db):
    with pytest.raises(DomainError) as error:
        export_rows(PRODUCTS, Product.objects.all(), "pdf")
    assert "format" in error.value.fields


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_unchanged(priced_products, warehouse_a, fmt):
    for record_type, queryset in (
        (PRODUCTS, Product.objects.all()),
        (LOCATIONS, LOCATIONS.model.objects.filter(warehouse=warehouse_a)),
    ):
        content, _, filename = export_rows(record_type, queryset, fmt)
        before = AuditEntry.objects.count()
        result = run_import(Actor.system("tests"), record_type, filename, content, dry_run=False)
        assert result.errors == []
        assert (result.created, result.updated, result.unchanged) == (0, 0, queryset.count())
        assert AuditEntry.objects.count() == before
