"""The planner workbench in real Chromium: filter the grid, select a suggestion, approve it,
and open the item's chart."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.core.roles import Role
from crossdock.planning.models import DemandDay, PlanningItem, Suggestion
from tests import factories
from tests.browser import expect
from tests.planning.test_suggestions import Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

D = Decimal


def test_planner_filters_selects_approves_and_opens_the_chart(browser, warehouse_a):
    plan = Plan(warehouse_a)
    bolts = factories.product("BOLT-W1", name="Bolts")
    nuts = factories.product("NUT-W1", name="Nuts")
    bought = plan.buy(bolts, "20", plan.supplier)
    moved = plan.transfer(nuts, "5")
    end = timezone.localdate()
    for back in range(1, 60, 3):
        DemandDay.objects.create(
            company=plan.company, product=bolts, warehouse=plan.central,
            day=end - datetime.timedelta(days=back), quantity=D(4), shipped=D(4),
        )  # fmt: skip
    PlanningItem.objects.create(
        company=plan.company, product=bolts, warehouse=plan.central, abc="A",
        forecast=["9.000", "11.000", "10.000"], forecast_sd=D(2), on_hand=D(25),
        reorder_point=D(12), safety_stock=D(5), history_end=end,
    )  # fmt: skip
    planner = factories.user(Role.PLANNER, companies=[plan.company])

    page = browser.page(planner)
    page.goto(f"/planning/?company={plan.company.pk}")
    grid = page.locator("#suggestions tbody")
    expect(grid.locator("tr[data-id]")).to_have_count(2)
    page.get_by_label("Action", exact=True).first.select_option("buy")
    expect(grid.locator("tr[data-id]")).to_have_count(1)
    expect(grid.locator(f"tr[data-id='{bought.pk}']")).to_be_visible()

    page.get_by_label("Select BOLT-W1 at").check()
    page.locator("#bulk").select_option("approve")
    page.locator("#bulk-apply").click()
    expect(page.locator("#bulk-notice")).to_have_text("1 suggestion(s) approved.")
    expect(page.locator(f"tr[data-id='{bought.pk}'] .state")).to_have_text("Approved")
    assert Suggestion.objects.get(pk=bought.pk).state == "approved"
    assert Suggestion.objects.get(pk=moved.pk).state == "proposed"

    page.get_by_role("link", name="BOLT-W1").click()
    chart = page.locator("svg#item-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("polyline.history")).to_have_count(1)
    expect(chart.locator("polyline.forecast")).to_have_count(1)
    expect(chart.locator("polygon.band")).to_have_count(1)
