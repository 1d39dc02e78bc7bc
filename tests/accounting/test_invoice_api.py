"""The invoice API: invoice a delivery, post, read, credit, PDF; refusals name the field."""

import pytest

from crossdock.accounting.models import Invoice
from crossdock.inventory import services as inventory
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


def test_invoice_a_delivery_post_it_read_it_credit_it_and_print_it(api, books, site):
    customer = factories.partner(books.company)
    product = factories.product(costing_method="fifo", list_price="12.50")
    site.receive(product, "10", cost="4.00")
    delivery = inventory.validate_transfer(
        SYSTEM, site.deliver(product, "2", partner_id=customer.pk).pk
    )
    made = api.post("invoices/from-delivery", {"transfer": delivery.pk, "date": "2026-03-10"})
    assert made.status_code == 201, made.content
    draft = made.json()
    assert (draft["state"], draft["total_amount"]) == ("draft", "25.0000")
    posted = api.post(f"invoices/{draft['id']}/post")
    assert posted.status_code == 200, posted.content
    detail = api.get(f"invoices/{draft['id']}").json()
    assert detail["number"].startswith("SAL/2026/")
    assert detail["entry_number"] == detail["number"]
    assert [(i["amount"], i["open_amount"]) for i in detail["installments"]] == [
        ("25.0000", "25.0000")
    ]
    pdf = api.get(f"invoices/{draft['id']}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    credit = api.post(f"invoices/{draft['id']}/credit-note", {"date": "2026-03-11"})
    assert credit.status_code == 201, credit.content
    assert (credit.json()["kind"], credit.json()["credit_of"]) == ("customer_credit", draft["id"])


def test_a_transfer_that_is_not_a_delivery_is_a_422_naming_it_and_writes_nothing(api, books, site):
    receipt = site.receive(factories.product(), "2", cost="1.00")
    response = api.post("invoices/from-delivery", {"transfer": receipt.pk})
    assert response.status_code == 422, response.content
    assert "not a delivery" in response.json()["errors"]["transfer"][0]
    missing = api.post("invoices/from-delivery", {"transfer": 999999})
    assert missing.status_code == 404
    assert "transfer" in missing.json()["errors"]
    assert Invoice.objects.count() == 0
