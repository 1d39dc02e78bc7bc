"""The sales dashboard in real Chromium: open it, click a figure, land on the documents
behind it, and follow one to its order."""

from __future__ import annotations

import re

import pytest

from crossdock.core.roles import Role
from crossdock.insight.services.snapshots import take_snapshot
from tests import factories
from tests.browser import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# The first request builds the URL configuration (the API's schemas): seconds on a busy
# machine, longer than a page's default timeout.
FIRST_LOAD_MS = 120_000


def test_a_tile_drills_down_to_the_orders_it_counts(browser, sold):
    take_snapshot(sold.today)
    executive = factories.user(Role.EXECUTIVE, companies=[sold.company])
    o1, o2, o3 = sold.orders

    page = browser.page(executive)
    page.goto("/", timeout=FIRST_LOAD_MS)
    page.get_by_role("link", name="Sales", exact=True).first.click()
    expect(page.get_by_role("heading", name="Sales", exact=True)).to_be_visible()
    tile = page.locator("a.tile[data-kpi='line_fill_rate']")
    expect(tile.locator(".tile-value")).to_have_text("66.7 %")

    tile.click()
    expect(page).to_have_url(re.compile(r"/insight/kpis/line_fill_rate/documents/"))
    expect(page.locator("#figure")).to_contain_text("numerator 2")
    rows = page.locator("table.documents tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="numerator and denominator")).to_have_count(2)
    expect(page.get_by_role("link", name=o1.reference)).to_have_count(1)
    expect(page.get_by_role("link", name=o2.reference)).to_have_count(2)
    expect(page.get_by_role("link", name=o3.reference)).to_have_count(0)

    page.get_by_role("link", name=o1.reference).click()
    expect(page).to_have_url(re.compile(rf"/sales/orders/{o1.pk}/$"))
    assert not browser.js_errors


def test_a_bar_drills_down_to_its_slice(browser, sold):
    executive = factories.user(Role.EXECUTIVE, companies=[sold.company])
    page = browser.page(executive)
    page.goto(f"/insight/sales/?company={sold.company.pk}&period=90d", timeout=FIRST_LOAD_MS)
    bar = page.locator("[data-chart='line_fill_rate-by-customer_tier'] a.bar-link")
    expect(bar).to_have_count(1)
    bar.click()
    expect(page).to_have_url(re.compile(r"customer_tier=standard"))
    expect(page.locator("table.documents tbody tr")).to_have_count(3)
    assert not browser.js_errors
