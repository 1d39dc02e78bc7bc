"""The sourcing screens with Django's test client: requisition form, actions, the RFQ page
with quote entry, the comparison table and the award; bad input and other companies."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from crossdock.core.roles import Role
from crossdock.purchasing.models import (
    PurchaseOrder,
    PurchaseRequisition,
    RequisitionState,
    RfqState,
    SupplierQuote,
)
from crossdock.purchasing.services import sourcing
from tests import factories
from tests.browser import client_for
from tests.inventory.conftest import SYSTEM

D = Decimal


def _needed() -> str:
    return (timezone.localdate() + datetime.timedelta(days=7)).isoformat()


def test_a_warehouse_manager_requests_goods_from_the_form(buying):
    product = factories.product()
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[buying.company])
    client = client_for(manager)
    assert client.get(reverse("purchasing:requisition_create")).status_code == 200
    response = client.post(
        reverse("purchasing:requisition_create"),
        {
            "warehouse": buying.warehouse.pk, "needed_by": _needed(), "note": "",
            "sku": [product.sku, ""], "quantity": ["12", ""],
        },
    )  # fmt: skip
    requisition = PurchaseRequisition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("purchasing:requisition_detail", args=[requisition.pk])
    assert requisition.requested_by == manager
    assert [(x.product, x.quantity) for x in requisition.lines.all()] == [(product, D(12))]
    page = client.get(response["Location"])
    assert requisition.reference in page.content.decode()
    listing = client.get(reverse("purchasing:requisition_list")).content.decode()
    assert requisition.reference in listing


def test_bad_requisition_form_input_is_shown_and_nothing_is_written(buying):
    client = client_for(buying.buyer)
    response = client.post(
        reverse("purchasing:requisition_create"),
        {"warehouse": buying.warehouse.pk, "needed_by": _needed(),
         "sku": ["NO-SUCH-SKU", factories.product().sku], "quantity": ["1", "-4"]},
    )  # fmt: skip
    assert response.status_code == 422
    text = response.content.decode()
    assert "No product with SKU NO-SUCH-SKU." in text
    assert PurchaseRequisition.objects.count() == 0


def test_submit_and_convert_from_the_detail_page(buying):
    product = factories.product()
    buying.offer(product, ("0", "3.00"))
    draft = sourcing.RequisitionDraft(
        buying.warehouse.pk,
        timezone.localdate(),
        [sourcing.RequisitionLineDraft(product.pk, D(4))],
    )
    requisition = sourcing.create_requisition(buying.actor, draft)
    client = client_for(buying.buyer)
    action = "purchasing:requisition_action"
    client.post(reverse(action, args=[requisition.pk, "submit"]))
    requisition.refresh_from_db()
    assert requisition.state == RequisitionState.APPROVED
    page = client.get(reverse("purchasing:requisition_detail", args=[requisition.pk]))
    assert "Convert to purchase orders" in page.content.decode()
    client.post(reverse(action, args=[requisition.pk, "convert"]))
    requisition.refresh_from_db()
    assert requisition.state == RequisitionState.ORDERED
    assert PurchaseOrder.objects.get().amount == D("12.00")


def _sent(buying, *suppliers):
    draft = sourcing.RfqDraft(
        warehouse_id=buying.warehouse.pk,
        supplier_ids=[s.pk for s in suppliers],
        lines=[sourcing.RfqLineDraft(factories.product().pk, D(20))],
    )
    rfq = sourcing.create_rfq(SYSTEM, draft)
    return sourcing.send_rfq(SYSTEM, rfq.pk)


def test_quotes_are_entered_compared_and_awarded_on_the_rfq_page(buying):
    other = factories.partner(buying.company, is_customer=False, is_supplier=True)
    rfq = _sent(buying, buying.supplier, other)
    line = rfq.lines.get()
    client = client_for(buying.buyer)
    quote_url = reverse("purchasing:rfq_action", args=[rfq.pk, "quote"])
    bad = {"line": line.pk, "supplier": other.pk, "unit_price": "-1", "lead_time_days": "3"}
    client.post(quote_url, bad)
    assert SupplierQuote.objects.count() == 0
    for supplier, price, lead in ((buying.supplier, "5.00", "9"), (other, "4.50", "20")):
        body = {"line": line.pk, "supplier": supplier.pk, "unit_price": price,
                "lead_time_days": lead, "landed_percent": "10"}  # fmt: skip
        client.post(quote_url, body)
    assert SupplierQuote.objects.count() == 2
    page = client.get(reverse("purchasing:rfq_detail", args=[rfq.pk])).content.decode()
    assert "4.950000" in page  # 4.50 + 10 %
    assert "99.00" in page  # 20 × 4.95
    assert "cheapest" in page
    assert "fastest" in page
    cheap = SupplierQuote.objects.get(supplier=other)
    client.post(
        reverse("purchasing:rfq_action", args=[rfq.pk, "award"]),
        {f"award-{line.pk}": cheap.pk, "supplier": ""},
    )
    rfq.refresh_from_db()
    assert rfq.state == RfqState.CLOSED
    order = PurchaseOrder.objects.get()
    assert (order.supplier, order.lines.get().unit_price) == (other, D("4.50"))


def test_pages_of_another_company_are_404_and_roles_without_rights_are_403(buying, company_b):
    rfq = _sent(buying, buying.supplier)
    stranger = client_for(factories.user(Role.BUYER, companies=[company_b]))
    assert stranger.get(reverse("purchasing:rfq_detail", args=[rfq.pk])).status_code == 404
    assert stranger.post(reverse("purchasing:rfq_action", args=[rfq.pk, "send"])).status_code == 404
    clerk = client_for(factories.user(Role.AP_CLERK, companies=[buying.company]))
    assert clerk.get(reverse("purchasing:rfq_list")).status_code == 403
    assert clerk.get(reverse("purchasing:requisition_create")).status_code == 403
    auditor = client_for(factories.user(Role.AUDITOR, companies=[buying.company]))
    page = auditor.get(reverse("purchasing:rfq_detail", args=[rfq.pk]))
    assert page.status_code == 200
    assert "Award and write purchase orders" not in page.content.decode()
