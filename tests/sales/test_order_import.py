"""Importing sales orders from CSV or XLSX: rows grouped into quotations by customer and
customer reference, every bad row reported with its row and column, all orders or none."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from crossdock.core.roles import Role
from crossdock.sales.models import SalesOrder, SalesOrderLine
from crossdock.sales.order_import import import_sales_orders
from tests import factories
from tests.api.conftest import ApiClient

D = Decimal
HEADER = (
    "customer,customer_reference,product,quantity,unit_price,discount_percent,warehouse,channel"
)


@pytest.fixture(autouse=True)
def _fast_passwords():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def goods(selling):
    first, second = factories.product(), factories.product()
    selling.price(first, "12.50")
    selling.price(second, "4.00")
    selling.stock(first, "50")
    selling.stock(second, "50")
    return first, second


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _import(selling, content: bytes, *, dry_run=False, filename="orders.csv"):
    return import_sales_orders(
        selling.actor, selling.company.pk, filename, content, dry_run=dry_run
    )


def _errors(result):
    return [(e.row, e.field) for e in result.errors]


def test_rows_become_one_quotation_per_customer_and_reference(selling, goods):
    first, second = goods
    other = factories.partner(selling.company, credit_limit=D(1000), customer_tier="standard")
    content = _csv(
        f"{selling.customer.code},PO-1,{first.sku},2,,,,",
        f"{selling.customer.code},PO-2,{first.sku},1,10.00,,,phone",
        f"{selling.customer.code},PO-1,{second.sku},3,,,{selling.warehouse.code},",
        f"{other.code},PO-1,{second.sku},5,,,,",
        ",,,,,,,",
    )
    dry = _import(selling, content, dry_run=True)
    assert dry.ok, dry.errors
    assert [(o.customer_reference, o.rows, o.lines, o.amount, o.order_id) for o in dry.orders] == [
        ("PO-1", [2, 4], 2, D("37.00"), None),
        ("PO-2", [3], 1, D("10.00"), None),
        ("PO-1", [5], 1, D("20.00"), None),
    ]
    assert SalesOrder.objects.count() == 0

    done = _import(selling, content)
    assert done.ok, done.errors
    orders = {o.reference: o for o in SalesOrder.objects.all()}
    assert sorted(o.reference for o in done.orders) == sorted(orders)
    po1 = SalesOrder.objects.get(customer=selling.customer, customer_reference="PO-1")
    assert (po1.state, po1.amount, po1.channel) == ("quotation", D("37.00"), "field")
    assert [(ln.product_id, ln.quantity) for ln in po1.lines.order_by("sequence")] == [
        (first.pk, D(2)),
        (second.pk, D(3)),
    ]
    assert SalesOrder.objects.get(customer_reference="PO-2").channel == "phone"


def test_every_bad_row_is_reported_and_nothing_written(selling, goods):
    first, _ = goods
    content = _csv(
        f"NOPE,PO-1,{first.sku},2,,,,",
        f"{selling.customer.code},PO-1,NO-SUCH-SKU,1,,,,",
        f"{selling.customer.code},PO-1,{first.sku},two,,,,",
        f"{selling.customer.code},PO-1,{first.sku},1,cheap,,,",
        f"{selling.customer.code},PO-1,{first.sku},1,,,NO-WH,",
        f"{selling.customer.code},PO-1,{first.sku},1,,,,fax",
        f"{selling.customer.code},PO-1,{first.sku},1,,,,",
    )
    result = _import(selling, content)
    assert not result.ok
    assert _errors(result) == [
        (2, "customer"),
        (3, "product"),
        (4, "quantity"),
        (5, "unit_price"),
        (6, "warehouse"),
        (7, "channel"),
    ]
    assert all(e.message for e in result.errors)
    assert SalesOrder.objects.count() == SalesOrderLine.objects.count() == 0


def test_the_services_refusals_land_on_the_rows_they_came_from(selling, goods):
    first, _ = goods
    unpriced = factories.product()
    content = _csv(
        f"{selling.customer.code},PO-1,{first.sku},2,,,,",
        f"{selling.customer.code},PO-1,{first.sku},1.5,,,,",
        f"{selling.customer.code},PO-2,{first.sku},1,,,,",
        f"{selling.customer.code},PO-3,{first.sku},1,,,,",
        f"{selling.customer.code},PO-3,{unpriced.sku},1,,,,",
        f"{selling.customer.code},PO-4,{first.sku},1,,150,,",
    )
    result = _import(selling, content)
    assert not result.ok
    assert _errors(result) == [(3, "quantity"), (6, "unit_price"), (7, "discount_percent")]
    assert "decimal places" in result.errors[0].message
    assert SalesOrder.objects.count() == 0


def test_an_order_may_not_mix_channels(selling, goods):
    first, second = goods
    content = _csv(
        f"{selling.customer.code},PO-1,{first.sku},2,,,,edi",
        f"{selling.customer.code},PO-1,{second.sku},2,,,,phone",
    )
    result = _import(selling, content)
    assert _errors(result) == [(3, "channel")]
    assert "row 2" in result.errors[0].message


def test_columns_are_checked_first(selling, goods):
    result = _import(selling, _csv("x,1", header="customer,colour"))
    assert sorted(_errors(result)) == [(1, "colour"), (1, "product"), (1, "quantity")]
    aliases = _import(
        selling,
        _csv(f"{selling.customer.code},{goods[0].sku},4", header="Customer Code,SKU,Qty"),
    )
    assert aliases.ok, aliases.errors


def test_an_xlsx_workbook_imports_like_a_csv(selling, goods):
    from openpyxl import Workbook

    first, _ = goods
    book = Workbook()
    sheet = book.active
    sheet.append(["customer", "customer_reference", "product", "quantity", "unit_price"])
    sheet.append([selling.customer.code, "PO-X", first.sku, 3, 12.99])
    buffer = io.BytesIO()
    book.save(buffer)
    result = _import(selling, buffer.getvalue(), filename="orders.xlsx")
    assert result.ok, result.errors
    line = SalesOrderLine.objects.get()
    assert (line.quantity, line.unit_price) == (D(3), D("12.99"))


# -- through the API ---------------------------------------------------------------------------


def _upload(client, company_id, content, *, dry_run=False, name="orders.csv", **headers):
    url = ApiClient.url(
        f"sales-orders/import?company={company_id}" + ("&dry_run=true" if dry_run else "")
    )
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.client.post(url, {"file": upload}, **headers)


def test_importing_through_the_api(selling, goods, warehouse_b):
    first, _ = goods
    rep = ApiClient(selling.rep)
    good = _csv(f"{selling.customer.code},PO-1,{first.sku},2,,,,")
    dry = _upload(rep, selling.company.pk, good, dry_run=True)
    assert dry.status_code == 200, dry.content
    assert D(dry.json()["orders"][0]["amount"]) == D("25.00")
    assert SalesOrder.objects.count() == 0

    created = _upload(rep, selling.company.pk, good, HTTP_IDEMPOTENCY_KEY="import-1")
    assert created.status_code == 201, created.content
    replay = _upload(rep, selling.company.pk, good, HTTP_IDEMPOTENCY_KEY="import-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == created.json()
    (made,) = created.json()["orders"]
    assert SalesOrder.objects.get().pk == made["order"]

    bad = _upload(rep, selling.company.pk, _csv(f"NOPE,PO-9,{first.sku},2,,,,"))
    assert bad.status_code == 422, bad.content
    assert bad["Content-Type"] == "application/problem+json"
    body = bad.json()
    assert body["errors"] == {"rows[2].customer": ["No customer 'NOPE' in this company."]}
    assert body["row_errors"] == [
        {"row": 2, "field": "customer", "message": "No customer 'NOPE' in this company."}
    ]
    assert SalesOrder.objects.count() == 1

    wrong = _upload(rep, selling.company.pk, good, name="orders.pdf")
    assert wrong.status_code == 422
    assert "file" in wrong.json()["errors"]
    assert _upload(rep, warehouse_b.company.pk, good).status_code == 404
    operator = ApiClient(factories.user(Role.WAREHOUSE_OPERATOR, companies=[selling.company]))
    assert _upload(operator, selling.company.pk, good).status_code == 403
    assert SalesOrder.objects.count() == 1
