"""A warehouse operator records an inspection's results on a phone, in real Chromium."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from crossdock.core.roles import Role
from crossdock.quality.models import Inspection, InspectionState, Nonconformance
from tests import factories
from tests.browser import PHONE, expect
from tests.purchasing.conftest import Buying
from tests.quality.conftest import damaged, make_plan, receive, stock

pytestmark = [
    pytest.mark.browser,
    # The live server reads committed data; tests/conftest.py reloads the reference data.
    pytest.mark.django_db(transaction=True),
]
D = Decimal


def test_operator_records_results_on_a_phone(browser, warehouse_a, company_a):
    buying = Buying(warehouse_a)
    product = factories.product("QC-PHONE", name="Bolts M8")
    make_plan(company_a, product_id=product.pk, sampling="percent", sample_percent=D(15))
    receipt = receive(buying, product, "10")
    inspection = Inspection.objects.get(receipt=receipt)
    operator = factories.user(
        Role.WAREHOUSE_OPERATOR, companies=[company_a], warehouses=[warehouse_a]
    )

    page = browser.page(operator, viewport=PHONE)
    page.goto("/quality/")
    expect(page.locator("#pending-count")).to_contain_text("1 waiting")
    page.get_by_role("link", name=str(inspection)).click()
    expect(page).to_have_url(re.compile(rf"/quality/inspections/{inspection.pk}/$"))
    expect(page.locator("[data-sample]")).to_have_text("2")  # 15 % of 10, rounded up

    # The weight just over the tolerance, and the quantities not adding up: refused.
    page.get_by_label("Pass").first.check()
    page.get_by_label("Weight").fill("505.5")
    page.get_by_label("Accepted").fill("8")
    page.get_by_label("Rejected", exact=True).fill("1")
    page.get_by_role("button", name="Record results").click()
    expect(page.get_by_role("status")).to_contain_text("must add up to the 10 inspected")
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.PENDING

    page.get_by_label("Rejected", exact=True).fill("2")
    page.get_by_label("Rejected goods").select_option("damaged")
    page.get_by_label("What is wrong").fill("Bent threads")
    page.get_by_role("button", name="Record results").click()
    expect(page.get_by_role("status")).to_contain_text(f"{inspection} recorded")
    expect(page.locator("#verdict")).to_contain_text("Accepted 8")
    expect(page.locator("#results")).to_contain_text("Fail · 505.5")
    # The form fits the phone: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert browser.js_errors == []

    inspection.refresh_from_db()
    assert (inspection.accepted_quantity, inspection.rejected_quantity) == (D(8), D(2))
    assert stock(product, warehouse_a) == D(8)
    assert damaged(product, warehouse_a) == D(2)
    assert Nonconformance.objects.get().description == "Bent threads"
