"""The payables queue: bills that do not match their order and suspected duplicate bills."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.accounting.models.invoices import InvoiceKind
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    cancel_invoice,
    create_invoice,
)
from crossdock.purchasing.services import matching, orders
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from tests import factories
from tests.insight.queues.conftest import (
    assert_closed_by_refresh,
    open_items,
    refresh,
    the_open_item,
)
from tests.inventory.conftest import SYSTEM

D = Decimal


@pytest.fixture
def approved(buying):
    order = buying.order((factories.product(sku="AP-A"), "10", "4.00"))
    return orders.submit_purchase_order(buying.actor, order.pk)


def _bill(buying, reference, amount, date):
    product = factories.product()
    return create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=buying.company.pk,
            kind=InvoiceKind.VENDOR_BILL,
            partner_id=buying.supplier.pk,
            date=date,
            partner_reference=reference,
            lines=[InvoiceLineInput("Goods", D(1), D(amount), product_id=product.pk)],
        ),
    )


def test_a_price_variance_is_a_mismatch_until_the_bill_is_cancelled(buying, approved):
    line = approved.lines.get()
    receive_purchase_order(SYSTEM, approved.pk, [ReceiptLine(line.pk, D(10))])
    bill = matching.bill_purchase_order(
        SYSTEM, approved.pk, "INV-HIGH", prices={line.pk: D("4.50")}
    )

    refresh("invoice_mismatch")

    item = the_open_item("invoice_mismatch")
    assert (item.queue, item.owner_role, item.key, item.severity) == (
        "payables",
        "ap-clerk",
        f"bill:{bill.pk}",
        2,
    )
    assert item.context["status"] == "price_variance"
    assert "AP-A: billed 4.5, ordered at 4" in item.context["reason"]
    assert item.context["order"] == approved.reference
    assert item.document_url == f"/accounting/invoices/{bill.pk}/"
    cancel_invoice(SYSTEM, bill.pk)
    assert_closed_by_refresh(item)


def test_same_bill_number_written_differently_is_a_duplicate_suspect(buying):
    today = datetime.date.today()
    first = _bill(buying, "INV-0042", "100.00", today - datetime.timedelta(days=30))
    second = _bill(buying, "inv 42", "120.00", today)
    _bill(buying, "INV-43", "80.00", today)  # another number, another amount

    refresh("duplicate_bill")

    item = the_open_item("duplicate_bill")
    assert item.key == f"bills:{first.pk}-{second.pk}"
    assert (item.owner_role, item.severity) == ("ap-clerk", 3)
    assert item.context["why"] == "the same bill number"
    assert [b["id"] for b in item.context["bills"]] == [first.pk, second.pk]
    cancel_invoice(SYSTEM, second.pk)
    assert_closed_by_refresh(item)


def test_same_total_within_the_window_is_a_suspect_but_not_further_apart(buying):
    today = datetime.date.today()
    near = _bill(buying, "A-1", "250.00", today - datetime.timedelta(days=3))
    again = _bill(buying, "B-7", "250.00", today)
    _bill(buying, "C-9", "250.00", today - datetime.timedelta(days=40))  # too far apart

    refresh("duplicate_bill")

    item = the_open_item("duplicate_bill")
    assert item.key == f"bills:{near.pk}-{again.pk}"
    assert item.context["why"] == "the same total within 7 days"
    cancel_invoice(SYSTEM, near.pk)
    assert_closed_by_refresh(item)
    assert open_items("duplicate_bill") == []
