"""The statement screens render the figures, drill down from an aged balance to the open items,
and download what they show as CSV and XLSX."""

import datetime
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from crossdock.core.roles import Role
from tests import factories
from tests.accounting.test_payments import document


@pytest.fixture
def controller(company_a):
    user = factories.user(Role.CONTROLLER, companies=[company_a])
    client = Client()
    client.force_login(user)
    return client


def test_statement_pages_render_and_export(controller, books):
    today = datetime.date.today()
    books.post(("1000", "75", "0"), ("3000", "0", "75"), date=today)
    for url in ("balance-sheet", "profit-and-loss", "consolidated/balance-sheet",
                "consolidated/profit-and-loss", "aged-payables", "grni"):  # fmt: skip
        page = controller.get(f"/accounting/{url}/")
        assert page.status_code == 200, url
    html = controller.get("/accounting/balance-sheet/").content.decode()
    assert "75.0000" in html
    xlsx = controller.get("/accounting/balance-sheet/", {"company": books.company.pk,
                                                          "format": "xlsx"})  # fmt: skip
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["B2"].value == "1000"


def test_aged_receivables_drill_down_to_open_items(controller, books):
    customer = factories.partner(books.company, name="Corner Shop")
    invoice = document(books, customer, "64.00", due_date=datetime.date(2026, 1, 5))
    page = controller.get("/accounting/aged-receivables/").content.decode()
    assert "Corner Shop" in page
    assert f"partner={customer.pk}" in page
    drill = controller.get("/accounting/aged-receivables/", {"partner": customer.pk}).content
    assert invoice.number in drill.decode()
    csv = controller.get("/accounting/aged-receivables/", {"format": "csv"}).content.decode()
    assert "Corner Shop" in csv
