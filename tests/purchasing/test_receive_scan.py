"""Receiving an order by scanning GS1 labels: each scan adds its count, lot and expiry."""

from __future__ import annotations

import datetime
from decimal import Decimal

from crossdock.core.roles import Role
from crossdock.inventory.models import MoveLine
from crossdock.masterdata.models import ProductBarcode, Tracking
from crossdock.purchasing.models import OrderState, PurchaseOrder
from crossdock.purchasing.services import orders
from tests import factories

GTIN = "09506000134352"  # GS1's own example GTIN


def _scan(client, order, text, rows):
    data = {"action": "scan", "scan": text, "lines-TOTAL_FORMS": str(len(rows)),
            "lines-INITIAL_FORMS": "0", "reason": "Truck 7"}  # fmt: skip
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"lines-{index}-{name}"] = value
    return client.post(f"/purchasing/orders/{order.pk}/receive/", data)


def _rows(page) -> list[dict[str, str]]:
    form = page.context["formset"]
    return [
        {name: str(form.initial.get(name, "") or "") for name in ("line", "quantity", "lot",
                                                                   "expires_on")}
        for form in form.forms
    ]  # fmt: skip


def test_scans_fill_the_receipt_then_it_is_received(buying, client):
    cheese = factories.product(tracking=Tracking.LOT)
    ProductBarcode.objects.create(product=cheese, gtin=GTIN, unit=cheese.base_unit)
    order = orders.submit_purchase_order(buying.actor, buying.order((cheese, "5", "3.00")).pk)
    operator = factories.user(
        Role.WAREHOUSE_OPERATOR, companies=[buying.company], warehouses=[buying.warehouse]
    )
    client.force_login(operator)
    line = order.lines.get()
    rows = [{"line": str(line.pk), "quantity": "", "lot": "", "expires_on": ""}]
    page = _scan(client, order, f"(01){GTIN}(10)L-7(17)301231(30)3", rows)
    assert page.status_code == 200
    assert "Added 3 × " in page.content.decode()
    rows = _rows(page)
    assert rows == [{"line": str(line.pk), "quantity": "3", "lot": "L-7",
                     "expires_on": "2030-12-31"}]  # fmt: skip
    page = _scan(client, order, f"(01){GTIN}(10)L-8(17)301130(30)2", rows)
    rows = _rows(page)
    assert [(r["quantity"], r["lot"]) for r in rows] == [("3", "L-7"), ("2", "L-8")]
    assert PurchaseOrder.objects.get(pk=order.pk).state == OrderState.APPROVED  # nothing yet
    data = {"action": "receive", "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
            "reason": "Truck 7"}  # fmt: skip
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"lines-{index}-{name}"] = value
    done = client.post(f"/purchasing/orders/{order.pk}/receive/", data)
    assert done.status_code == 302
    line.refresh_from_db()
    assert line.received_quantity == Decimal(5)
    lots = dict(
        MoveLine.objects.filter(move__purchase_line_link__line=line).values_list(
            "lot__name", "lot__expires_on"
        )
    )
    assert lots == {"L-7": datetime.date(2030, 12, 31), "L-8": datetime.date(2030, 11, 30)}


def test_a_label_of_a_product_not_on_the_order_is_explained(buying, client):
    other = factories.product()
    ProductBarcode.objects.create(product=other, gtin=GTIN, unit=other.base_unit)
    order = orders.submit_purchase_order(
        buying.actor, buying.order((factories.product(), "5", "3.00")).pk
    )
    client.force_login(buying.buyer)
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[buying.company])
    client.force_login(manager)
    line = order.lines.get()
    page = _scan(client, order, GTIN, [{"line": str(line.pk), "quantity": "", "lot": "",
                                         "expires_on": ""}])  # fmt: skip
    assert f"{other.sku} is not on {order}" in page.content.decode()
    page = _scan(client, order, "(01)12345678901234", [])
    assert page.status_code == 200
    assert "scan-message" in page.content.decode()
