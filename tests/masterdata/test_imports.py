"""Imports: all rows or none, every bad row reported, exact decimals, permissions and scope."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from crossdock.core.audit import verify_chain
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, PermissionDeniedError
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role
from crossdock.masterdata.gtin import check_digit
from crossdock.masterdata.imports import BULK_THRESHOLD, RowError, run_import
from crossdock.masterdata.models import Location, Partner, Product, ProductBarcode, Unit
from crossdock.masterdata.registry import BY_SLUG
from crossdock.masterdata.tabular import cell_text
from tests import factories

SYSTEM = Actor.system("tests")
PRODUCTS = BY_SLUG["products"]
PARTNERS = BY_SLUG["partners"]
LOCATIONS = BY_SLUG["locations"]


def gtin13(body: str) -> str:
    return body + str(check_digit(body))


def csv_bytes(rows: list[list[Any]], delimiter: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def snapshot_counts() -> dict[str, int]:
    return {
        "products": Product.objects.count(),
        "barcodes": ProductBarcode.objects.count(),
        "partners": Partner.objects.count(),
        "locations": Location.objects.count(),
        "audit": AuditEntry.objects.count(),
        "events": OutboxEvent.objects.count(),
    }


def problems(result: Any) -> set[tuple[int, str]]:
    return {(e.row, e.field) for e in result.errors}


@pytest.fixture
def dairy(db):
    food = factories.category("Food")
    return factories.category("Dairy", parent=food)


@pytest.fixture
def cheese(dairy):
    product = factories.product("CHEESE-1", name="Gouda young", category=dairy)
    return product


HEADER = ["SKU", "Name", "Category", "Unit", "List price", "Standard cost", "Currency", "GTIN"]


def test_csv_creates_and_updates_products_by_sku(cheese, dairy):
    gtin = gtin13("871234500001")
    content = csv_bytes(
        [
            HEADER,
            ["CHEESE-1", "Gouda young 1kg", "Food/Dairy", "H87", "12.3456", "7.0001", "EUR", ""],
            ["MILK-1", "Whole milk", "food / dairy", "ltr", "0.0001", "0", "eur", gtin],
        ]
    )
    before_audit = AuditEntry.objects.count()

    result = run_import(SYSTEM, PRODUCTS, "products.csv", content, dry_run=False)

    assert result.errors == []
    assert (result.ok, result.created, result.updated, result.rows) == (True, 1, 1, 2)
    cheese.refresh_from_db()
    assert cheese.name == "Gouda young 1kg"
    assert cheese.list_price == Decimal("12.3456")
    assert cheese.standard_cost == Decimal("7.0001")
    assert cheese.version == 2
    milk = Product.objects.get(sku="MILK-1")
    litre = Unit.objects.get(code="LTR")
    assert (milk.base_unit, milk.purchase_unit, milk.sales_unit) == (litre, litre, litre)
    assert milk.category == dairy
    assert milk.list_price == Decimal("0.0001")
    assert list(milk.barcodes.values_list("gtin", flat=True)) == [gtin]
    actions = list(
        AuditEntry.objects.filter(sequence__gt=before_audit)
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["update", "create", "set-barcodes"]
    assert verify_chain() == []


def test_spreadsheet_numbers_are_read_exactly_and_noise_is_kept_visible():
    assert cell_text(12.99) == "12.99"
    assert cell_text(3.0) == "3"
    assert cell_text(1e-05) == "0.00001"
    assert cell_text(0.1 + 0.2) == "0.30000000000000004"  # refused later: too many places


def test_xlsx_numbers_import_exactly_and_excess_places_are_refused(dairy):
    content = xlsx_bytes(
        [
            ["sku", "name", "category", "base_unit", "list_price", "weight_kg", "currency"],
            ["A-1", "Butter 250 g", "Food/Dairy", "H87", 12.99, 0.25, "EUR"],
            ["A-2", "Butter 500 g", "Food/Dairy", "H87", 3, 0.5, "EUR"],
            ["A-3", "Fine", "Food/Dairy", "H87", 1.23456, 1, "EUR"],
        ]
    )
    result = run_import(SYSTEM, PRODUCTS, "products.xlsx", content, dry_run=True)
    assert [(e.row, e.field) for e in result.errors] == [(4, "list_price")]
    assert "decimal places" in result.errors[0].message

    good = xlsx_bytes(
        [
            ["sku", "name", "category", "base_unit", "list_price", "weight_kg", "currency"],
            ["A-1", "Butter 250 g", "Food/Dairy", "H87", 12.99, 0.25, "EUR"],
            ["A-2", "Butter 500 g", "Food/Dairy", "H87", 3, 0.5, "EUR"],
        ]
    )
    result = run_import(SYSTEM, PRODUCTS, "products.xlsx", good, dry_run=False)
    assert (result.ok, result.created) == (True, 2)
    butter = Product.objects.get(sku="A-1")
    assert butter.list_price == Decimal("12.99")
    assert butter.weight_kg == Decimal("0.25")
    assert Product.objects.get(sku="A-2").list_price == Decimal("3")


def test_semicolon_csv_with_bom_and_decimal_commas(dairy):
    content = csv_bytes(
        [
            ["sku", "name", "category", "unit", "price", "currency"],
            ["B-1", "Crème fraîche", "Food/Dairy", "H87", "1,75", "EUR"],
        ],
        delimiter=";",
        bom=True,
    )
    result = run_import(SYSTEM, PRODUCTS, "export.csv", content, dry_run=False)
    assert result.ok, result.errors
    product = Product.objects.get(sku="B-1")
    assert (product.name, product.list_price) == ("Crème fraîche", Decimal("1.75"))


def test_every_bad_row_is_reported_and_nothing_is_written(cheese, dairy):
    factories.product("OTHER-1", category=dairy)
    taken = gtin13("871234500002")
    ProductBarcode.objects.create(
        product=Product.objects.get(sku="OTHER-1"), gtin=taken, unit=Unit.objects.get(code="H87")
    )
    valid = gtin13("871234500003")
    wrong_check_digit = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    header = [*HEADER, "Tracking", "Purchase unit"]
    rows = [
        header,
        ["OK-1", "Fine", "Food/Dairy", "H87", "1", "1", "EUR", "", "none", ""],  # 2: good
        ["BAD-2", "Cat", "Food/Frozen", "H87", "1", "1", "EUR", "", "", ""],  # 3: category
        ["BAD-3", "Unit", "Food/Dairy", "XYZ", "1", "1", "EUR", "", "", ""],  # 4: unit
        ["BAD-4", "Places", "Food/Dairy", "H87", "1.23456", "1", "EUR", "", "", ""],  # 5
        ["BAD-5", "", "Food/Dairy", "H87", "1", "1", "EUR", "", "", ""],  # 6: name missing
        ["BAD-6", "Neg", "Food/Dairy", "H87", "-1", "1", "EUR", "", "", ""],  # 7: negative
        ["BAD-7", "Choice", "Food/Dairy", "H87", "1", "1", "EUR", "", "sometimes", ""],  # 8
        ["OK-1", "Twice", "Food/Dairy", "H87", "1", "1", "EUR", "", "", ""],  # 9: duplicate
        ["BAD-9", "Gtin", "Food/Dairy", "H87", "1", "1", "EUR", wrong_check_digit, "", ""],  # 10
        ["BAD-10", "Taken", "Food/Dairy", "H87", "1", "1", "EUR", taken, "", ""],  # 11
        ["BAD-11", "Mix", "Food/Dairy", "H87", "1", "1", "EUR", "", "", "KGM"],  # 12: units
        ["BAD-12", "Serial", "Food/Dairy", "KGM", "1", "1", "EUR", "", "serial", ""],  # 13
        ["BAD-13", "Money", "Food/Dairy", "H87", "ten", "1", "XXQ", "", "", ""],  # 14
        ["CHEESE-1", "Cost", "Food/Dairy", "H87", "1", "-0.5", "EUR", "", "", ""],  # 15 update
    ]
    before = snapshot_counts()

    result = run_import(SYSTEM, PRODUCTS, "bad.csv", csv_bytes(rows), dry_run=False)

    assert not result.ok
    assert (result.created, result.updated, result.rows) == (0, 0, 14)
    assert problems(result) == {
        (3, "category"),
        (4, "base_unit"),
        (5, "list_price"),
        (6, "name"),
        (7, "list_price"),
        (8, "tracking"),
        (9, "sku"),
        (10, "gtins"),
        (11, "gtins"),
        (12, "purchase_unit"),
        (13, "tracking"),
        (14, "list_price"),
        (14, "currency"),
        (15, "standard_cost"),
    }
    messages = {(e.row, e.field): e.message for e in result.errors}
    assert "imports do not create categories" in messages[(3, "category")]
    assert messages[(9, "sku")] == "Duplicate of row 2."
    assert "OTHER-1" in messages[(11, "gtins")]
    assert snapshot_counts() == before
    cheese.refresh_from_db()
    assert cheese.standard_cost == Decimal("6.00")


def test_header_problems_are_reported_on_row_one(dairy):
    content = csv_bytes([["name", "colour", "Name"], ["x", "red", "y"]])
    result = run_import(SYSTEM, PRODUCTS, "p.csv", content, dry_run=False)
    assert problems(result) == {(1, "colour"), (1, "Name"), (1, "sku")}


def test_unreadable_files_are_refused(db):
    with pytest.raises(DomainError) as error:
        run_import(SYSTEM, PRODUCTS, "p.csv", "sku\nÄ".encode("latin-1"), dry_run=False)
    assert error.value.fields == {"file": ["Not UTF-8."]}
    with pytest.raises(DomainError):
        run_import(SYSTEM, PRODUCTS, "p.xlsx", b"PK\x03\x04 not a zip", dry_run=False)
    with pytest.raises(DomainError, match="cannot be imported"):
        run_import(SYSTEM, BY_SLUG["currencies"], "c.csv", b"code\nEUR\n", dry_run=False)


def test_dry_run_reports_what_would_change_and_writes_nothing(cheese):
    content = csv_bytes(
        [
            ["sku", "name", "category", "unit", "price", "currency"],
            ["CHEESE-1", "Gouda young", "Food/Dairy", "H87", "10.00", "EUR"],  # unchanged
            ["CHEESE-2", "Gouda old", "Food/Dairy", "H87", "14.50", "EUR"],
        ]
    )
    before = snapshot_counts()
    result = run_import(SYSTEM, PRODUCTS, "p.csv", content, dry_run=True)
    assert (result.ok, result.dry_run, result.created, result.updated, result.unchanged) == (
        True,
        True,
        1,
        0,
        1,
    )
    assert snapshot_counts() == before


def test_partners_respect_company_scope_and_permissions(company_a, company_b, make_user):
    existing = factories.partner(company_a, code="C001", name="Old name")
    header = ["company", "code", "name", "customer", "credit limit", "tier"]
    rows = [
        header,
        ["ACME", "C001", "New name", "yes", "5000", "key"],
        ["ACME", "C002", "Second", "yes", "0", ""],
        ["BETA", "C003", "Elsewhere", "yes", "0", ""],
    ]
    buyer = make_user(Role.BUYER, companies=[company_a])
    before = snapshot_counts()
    result = run_import(Actor.of(buyer), PARTNERS, "p.csv", csv_bytes(rows), dry_run=False)
    assert [(e.row, e.field) for e in result.errors] == [(4, "company")]
    assert "that you can access" in result.errors[0].message
    assert snapshot_counts() == before

    result = run_import(Actor.of(buyer), PARTNERS, "p.csv", csv_bytes(rows[:3]), dry_run=False)
    assert (result.ok, result.created, result.updated) == (True, 1, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.credit_limit, existing.customer_tier) == (
        "New name",
        Decimal("5000"),
        "key",
    )
    second = Partner.objects.get(company=company_a, code="C002")
    assert second.currency == company_a.base_currency
    assert AuditEntry.objects.filter(actor=buyer, action__in=["create", "update"]).count() == 2


def test_a_user_without_add_permission_may_only_update(company_a, make_user):
    factories.partner(company_a, code="C001")
    controller = make_user(Role.CREDIT_CONTROLLER, companies=[company_a])
    rows = [
        ["company", "code", "name", "is_customer", "credit_limit"],
        ["ACME", "C001", "Renamed", "yes", "100"],
        ["ACME", "NEW", "New one", "yes", "0"],
    ]
    result = run_import(Actor.of(controller), PARTNERS, "p.csv", csv_bytes(rows), dry_run=False)
    assert result.errors == [RowError(3, "company", "You may not add this partner.")]
    assert not Partner.objects.filter(code="NEW").exists()

    operator = make_user(Role.WAREHOUSE_OPERATOR, companies=[company_a])
    with pytest.raises(PermissionDeniedError):
        run_import(Actor.of(operator), PARTNERS, "p.csv", csv_bytes(rows), dry_run=True)


@pytest.mark.parametrize("bulk_threshold", [BULK_THRESHOLD, 0], ids=["services", "bulk"])
def test_locations_import_by_path_with_parents_earlier_in_the_file(warehouse_a, bulk_threshold):
    rows = [
        ["company", "path", "name", "kind", "pick sequence"],
        ["ACME", "A-CENTRAL/STOCK/A-01", "Aisle A-01", "view", "1"],
        ["ACME", "A-CENTRAL/STOCK/A-01/01", "Bin A-01-01", "reserve", "10"],
        ["ACME", "A-CENTRAL/STOCK", "Main stock", "Reserve storage", ""],  # rename
    ]
    result = run_import(
        SYSTEM, LOCATIONS, "l.csv", csv_bytes(rows), dry_run=False, bulk_threshold=bulk_threshold
    )
    assert result.errors == []
    assert (result.created, result.updated) == (2, 1)
    assert verify_chain() == []
    bin_ = Location.objects.get(path="A-CENTRAL/STOCK/A-01/01")
    assert (bin_.code, bin_.warehouse, bin_.parent.path, bin_.pick_sequence) == (
        "01",
        warehouse_a,
        "A-CENTRAL/STOCK/A-01",
        10,
    )
    assert Location.objects.get(path="A-CENTRAL/STOCK").name == "Main stock"

    wrong_order = [rows[0], ["ACME", "A-CENTRAL/X/Y", "Orphan", "reserve", ""]]
    result = run_import(SYSTEM, LOCATIONS, "l.csv", csv_bytes(wrong_order), dry_run=True)
    assert problems(result) == {(2, "parent")}


def test_big_files_are_written_in_bulk_with_one_audit_entry_per_batch(cheese, monkeypatch):
    from crossdock.masterdata import imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 3)
    rows: list[list[Any]] = [["sku", "name", "category", "unit", "price", "currency", "gtin"]]
    rows.append(
        ["CHEESE-1", "Gouda young", "Food/Dairy", "H87", "11.1111", "EUR", gtin13("871234500100")]
    )
    for n in range(2, 7):
        rows.append(
            [
                f"CHEESE-{n}",
                f"Cheese {n}",
                "Food/Dairy",
                "H87",
                f"{n}.05",
                "EUR",
                gtin13(f"87123450010{n}"),
            ]
        )
    before = AuditEntry.objects.count()
    last_event = OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    result = run_import(
        SYSTEM, PRODUCTS, "big.csv", csv_bytes(rows), dry_run=False, bulk_threshold=2
    )

    assert (result.ok, result.created, result.updated) == (True, 5, 1)
    entries = list(AuditEntry.objects.filter(sequence__gt=before).order_by("sequence"))
    assert [e.action for e in entries] == ["import", "import"]
    assert entries[0].after["updated"] == {"CHEESE-1": {"list_price": "11.1111"}}
    assert entries[0].before["updated"] == {"CHEESE-1": {"list_price": "10.0000"}}
    assert len(entries[0].after["created"]) + len(entries[1].after["created"]) == 5
    cheese.refresh_from_db()
    assert (cheese.list_price, cheese.version) == (Decimal("11.1111"), 2)
    assert Product.objects.get(sku="CHEESE-6").list_price == Decimal("6.05")
    assert ProductBarcode.objects.filter(product__sku__startswith="CHEESE-").count() == 6
    published = OutboxEvent.objects.filter(pk__gt=last_event).values_list("name", flat=True)
    assert sorted(published) == ["masterdata.product.created"] * 5 + ["masterdata.product.updated"]
    assert verify_chain() == []


def test_bulk_partner_import_audits_per_company_and_publishes_each_row(company_a, company_b):
    factories.partner(company_b, code="B1", name="Before")
    rows = [
        ["company", "code", "name", "is_supplier", "supplier_risk_class", "payment_term"],
        ["ACME", "A1", "Supplier one", "yes", "low", ""],
        ["ACME", "A2", "Supplier two", "yes", "high", ""],
        ["BETA", "B1", "After", "yes", "", ""],
    ]
    before = AuditEntry.objects.count()
    result = run_import(SYSTEM, PARTNERS, "p.csv", csv_bytes(rows), dry_run=False, bulk_threshold=0)
    assert (result.ok, result.created, result.updated) == (True, 2, 1)
    entries = AuditEntry.objects.filter(sequence__gt=before, action="import")
    assert [e.company_id for e in entries.order_by("sequence")] == [company_a.pk, company_b.pk]
    new_suppliers = {str(p.pk) for p in Partner.objects.filter(code__in=["A1", "A2"])}
    onboarded = AuditEntry.objects.filter(sequence__gt=before, action__startswith="approvals.")
    # each new supplier went through vendor onboarding, as through the services
    assert set(onboarded.values_list("object_id", flat=True)) == new_suppliers
    changed = Partner.objects.get(company=company_b, code="B1")
    assert (changed.name, changed.is_supplier, changed.version) == ("After", True, 2)
    assert Partner.objects.get(company=company_a, code="A2").supplier_risk_class == "high"


def test_command_line_import(tmp_path, dairy):
    path = tmp_path / "products.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["sku", "name", "category", "unit", "price", "currency"],
                ["CLI-1", "From the shell", "Food/Dairy", "H87", "2.50", "EUR"],
            ]
        )
    )
    out = io.StringIO()
    call_command("import", "products", str(path), "--dry-run", stdout=out)
    assert "would create 1" in out.getvalue()
    assert not Product.objects.filter(sku="CLI-1").exists()
    call_command("import", "products", str(path), stdout=out)
    assert Product.objects.get(sku="CLI-1").list_price == Decimal("2.50")

    path.write_bytes(csv_bytes([["sku", "name"], ["CLI-2", ""]]))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "products", str(path), stdout=out)
    assert "row 2" in out.getvalue()
