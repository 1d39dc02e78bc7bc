"""The planner workbench screens: the suggestions grid and its bulk actions, one item's
chart and policy, and the exception queue."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.planning.charts import item_chart
from crossdock.planning.models import (
    DemandDay,
    ForecastOverride,
    PlanningException,
    PlanningItem,
    ReorderPolicy,
    Suggestion,
)
from crossdock.purchasing.models import PurchaseOrder, PurchaseRequisition
from tests import factories
from tests.planning.test_suggestions import Plan

D = Decimal


@pytest.fixture
def plan(warehouse_a):
    return Plan(warehouse_a)


def _client(*roles, company):
    client = Client()
    client.force_login(factories.user(*roles, companies=[company]))
    return client


def _ids(response):
    return [int(x) for x in re.findall(r'<tr data-id="(\d+)"', response.content.decode())]


def test_grid_shows_the_latest_run_filtered_and_sorted(plan):
    bolts, nuts = factories.product(sku="BOLT-1"), factories.product(sku="NUT-1")
    first = plan.buy(bolts, "20", plan.supplier)
    second = plan.transfer(nuts, "5")
    third = plan.buy(nuts, "7", plan.other_supplier)
    PlanningItem.objects.create(
        company=plan.company, product=nuts, warehouse=plan.central, abc="A", pattern="lumpy"
    )
    client = _client(Role.PLANNER, company=plan.company)

    everything = client.get("/planning/", {"company": plan.company.pk, "sort": "quantity"})
    buys = client.get("/planning/", {"company": plan.company.pk, "action": "buy"})
    class_a = client.get("/planning/", {"company": plan.company.pk, "abc": "A"})
    supplier = client.get(
        "/planning/", {"company": plan.company.pk, "supplier": plan.other_supplier.pk}
    )
    by_product_desc = client.get("/planning/", {"company": plan.company.pk, "sort": "-product"})

    assert everything.status_code == 200
    assert _ids(everything) == [second.pk, third.pk, first.pk]
    assert sorted(_ids(buys)) == sorted([first.pk, third.pk])
    assert _ids(class_a) == [third.pk]
    assert _ids(supplier) == [third.pk]
    assert _ids(by_product_desc) == [second.pk, third.pk, first.pk]


def test_stockout_risk_filter_keeps_items_with_an_open_risk(plan):
    bolts, nuts = factories.product(), factories.product()
    risky = plan.buy(bolts, "20", plan.supplier)
    plan.buy(nuts, "20", plan.supplier)
    PlanningException.objects.create(
        company=plan.company,
        kind="stockout_risk",
        product=bolts,
        warehouse=plan.central,
        message="Runs out in 3 days.",
        opened_at=timezone.now(),
    )
    client = _client(Role.BUYER, company=plan.company)

    response = client.get("/planning/", {"company": plan.company.pk, "risk": "1"})

    assert _ids(response) == [risky.pk]


def test_grid_pages_fifty_rows(plan):
    product = factories.product()
    for _ in range(53):
        plan.buy(product, "1", plan.supplier)
    client = _client(Role.PLANNER, company=plan.company)

    first = client.get("/planning/", {"company": plan.company.pk})
    second = client.get("/planning/", {"company": plan.company.pk, "page": "2"})

    assert len(_ids(first)) == 50
    assert len(_ids(second)) == 3
    assert "Page 1 of 2" in first.content.decode()


def test_bulk_approve_then_convert_into_purchase_order_links_the_document(plan):
    bolts = factories.product()
    plan.buying.offer(bolts, ("0", "2.50"))
    row = plan.buy(bolts, "20", plan.supplier)
    client = _client(Role.BUYER, company=plan.company)

    approved = client.post(
        f"/planning/?company={plan.company.pk}", {"ids": [row.pk], "bulk": "approve"}
    )
    converted = client.post(
        f"/planning/?company={plan.company.pk}", {"ids": [row.pk], "bulk": "purchase_order"}
    )

    assert approved.status_code == 200
    assert "1 suggestion(s) approved." in approved.content.decode()
    assert converted.status_code == 200
    order = PurchaseOrder.objects.get(supplier=plan.supplier)
    assert f"Converted into 1 document(s): {order.reference}." in converted.content.decode()
    row.refresh_from_db()
    assert (row.state, row.document_type, row.document_id) == (
        "converted",
        "purchase_order",
        order.pk,
    )
    assert [(x.product_id, x.quantity) for x in order.lines.all()] == [(bolts.pk, D("20"))]


def test_select_all_filtered_approves_only_the_filtered_rows(plan):
    bolts = factories.product()
    buys = [plan.buy(bolts, "1", plan.supplier) for _ in range(3)]
    transfer = plan.transfer(bolts, "2")
    client = _client(Role.BUYER, Role.WAREHOUSE_MANAGER, company=plan.company)

    response = client.post(
        f"/planning/?company={plan.company.pk}",
        {"all_filtered": "1", "action": "buy", "bulk": "approve"},
    )

    assert "3 suggestion(s) approved." in response.content.decode()
    states = dict(Suggestion.objects.values_list("pk", "state"))
    assert [states[b.pk] for b in buys] == ["approved"] * 3
    assert states[transfer.pk] == "proposed"


def test_reject_without_reason_is_refused_inline_and_changes_nothing(plan):
    row = plan.buy(factories.product(), "20", plan.supplier)
    client = _client(Role.BUYER, company=plan.company)
    audits = AuditEntry.objects.count()

    response = client.post(
        f"/planning/?company={plan.company.pk}", {"ids": [row.pk], "bulk": "reject"}
    )

    assert response.status_code == 422
    assert "reason: Say why." in response.content.decode()
    row.refresh_from_db()
    assert row.state == "proposed"
    assert AuditEntry.objects.count() == audits


def test_converting_a_suggestion_without_supplier_into_an_order_names_it(plan):
    row = plan.buy(factories.product(sku="LOOSE-1"), "20", None, state="approved")
    client = _client(Role.BUYER, company=plan.company)

    response = client.post(
        f"/planning/?company={plan.company.pk}", {"ids": [row.pk], "bulk": "purchase_order"}
    )

    assert response.status_code == 422
    assert "has no supplier; convert it into a requisition." in response.content.decode()
    assert PurchaseOrder.objects.count() == 0
    row.refresh_from_db()
    assert row.state == "approved"


def test_convert_into_requisition_through_the_grid(plan):
    bolts = factories.product()
    row = plan.buy(bolts, "20", None, state="approved")
    client = _client(Role.BUYER, company=plan.company)

    response = client.post(
        f"/planning/?company={plan.company.pk}", {"ids": [row.pk], "bulk": "requisition"}
    )

    assert response.status_code == 200
    requisition = PurchaseRequisition.objects.get()
    row.refresh_from_db()
    assert (row.state, row.document_type, row.document_id) == (
        "converted",
        "requisition",
        requisition.pk,
    )


def test_empty_selection_and_unknown_action_are_named(plan):
    plan.buy(factories.product(), "20", plan.supplier)
    client = _client(Role.BUYER, company=plan.company)

    nothing = client.post(f"/planning/?company={plan.company.pk}", {"bulk": "approve"})
    unknown = client.post(f"/planning/?company={plan.company.pk}", {"ids": ["1"], "bulk": "x"})

    assert nothing.status_code == 422
    assert "Select at least one suggestion." in nothing.content.decode()
    assert unknown.status_code == 422
    assert "Choose an action." in unknown.content.decode()
    assert set(Suggestion.objects.values_list("state", flat=True)) == {"proposed"}


def test_readers_see_the_grid_without_actions_and_cannot_post(plan):
    row = plan.buy(factories.product(), "20", plan.supplier)
    reader = _client(Role.AUDITOR, company=plan.company)
    stranger = _client(Role.SALES_REP, company=plan.company)

    page = reader.get("/planning/", {"company": plan.company.pk})
    post = reader.post(
        f"/planning/?company={plan.company.pk}", {"ids": [row.pk], "bulk": "approve"}
    )

    assert page.status_code == 200
    assert _ids(page) == [row.pk]
    assert 'id="bulk-apply"' not in page.content.decode()
    assert post.status_code == 403
    assert stranger.get("/planning/").status_code == 403
    row.refresh_from_db()
    assert row.state == "proposed"


def test_item_detail_draws_history_forecast_band_and_projected_stock(plan):
    bolts = factories.product(sku="BOLT-9")
    end = timezone.localdate()
    for back in (1, 8, 15):
        DemandDay.objects.create(
            company=plan.company,
            product=bolts,
            warehouse=plan.central,
            day=end - datetime.timedelta(days=back),
            quantity=D("4"),
            shipped=D("4"),
        )
    PlanningItem.objects.create(
        company=plan.company,
        product=bolts,
        warehouse=plan.central,
        abc="B",
        pattern="smooth",
        forecast_model="ets",
        forecast=["10.000", "12.000", "8.000"],
        forecast_sd=D("2"),
        on_hand=D("30"),
        open_supply=D("5"),
        reorder_point=D("15"),
        safety_stock=D("6"),
        history_end=end,
    )
    client = _client(Role.PLANNER, company=plan.company)

    response = client.get(f"/planning/items/{bolts.pk}/{plan.central.pk}/")

    text = response.content.decode()
    assert response.status_code == 200
    assert 'class="history"' in text
    assert 'class="forecast"' in text
    assert 'class="band"' in text
    assert 'class="projected"' in text
    assert "Reorder point 15" in text
    assert "Safety stock 6" in text
    assert "BOLT-9 at" in text


def test_item_chart_coordinates():
    chart = item_chart(
        [D(0), D(10)],
        [D(10)],
        D(0),
        [D(0)],
        reorder_point=D(5),
        safety_stock=D(0),
    )
    # three buckets over 700 px, values 0..10 over 220 px from the top at 12
    assert chart.history == "48.0,232.0 398.0,12.0"
    assert chart.forecast == "748.0,12.0"
    assert chart.projected == "748.0,232.0"
    assert [r.y for r in chart.references] == [122.0, 232.0, 232.0]


def test_policy_is_set_and_a_bad_one_is_refused_with_its_field(plan):
    bolts = factories.product()
    client = _client(Role.PLANNER, company=plan.company)
    url = f"/planning/items/{bolts.pk}/{plan.central.pk}/"

    bad = client.post(
        url, {"form": "policy", "method": "manual", "min_quantity": "9", "max_quantity": "3"}
    )
    assert bad.status_code == 422
    assert 'data-field="max_quantity"' in bad.content.decode() or (
        'data-field="min_quantity"' in bad.content.decode()
    )
    assert ReorderPolicy.objects.count() == 0

    good = client.post(
        url, {"form": "policy", "method": "manual", "min_quantity": "3", "max_quantity": "9"}
    )
    assert good.status_code == 302
    policy = ReorderPolicy.objects.get()
    assert (policy.method, policy.min_quantity, policy.max_quantity) == ("manual", D(3), D(9))


def test_override_needs_a_reason(plan):
    bolts = factories.product()
    client = _client(Role.PLANNER, company=plan.company)
    url = f"/planning/items/{bolts.pk}/{plan.central.pk}/"
    today = timezone.localdate()
    data = {
        "form": "override",
        "starts_on": str(today),
        "ends_on": str(today + datetime.timedelta(days=6)),
        "daily_quantity": "4",
    }

    refused = client.post(url, {**data, "reason": " "})
    saved = client.post(url, {**data, "reason": "Trade fair"})

    assert refused.status_code == 422
    assert 'data-field="reason"' in refused.content.decode()
    assert saved.status_code == 302
    override = ForecastOverride.objects.get()
    assert (override.daily_quantity, override.reason) == (D(4), "Trade fair")


def test_item_of_another_company_is_not_found(plan, warehouse_b):
    client = _client(Role.PLANNER, company=plan.company)

    response = client.get(f"/planning/items/{factories.product().pk}/{warehouse_b.pk}/")

    assert response.status_code == 404


def test_exception_queue_filters_by_kind_and_severity(plan):
    bolts, nuts = factories.product(sku="B-1"), factories.product(sku="N-1")
    now = timezone.now()
    PlanningException.objects.create(
        company=plan.company, kind="excess", product=bolts, warehouse=plan.central,
        severity=1, message="Too much.", opened_at=now - datetime.timedelta(days=4),
    )  # fmt: skip
    PlanningException.objects.create(
        company=plan.company, kind="stockout_risk", product=nuts, warehouse=plan.central,
        severity=3, message="Runs out.", suggested_action="Expedite.", opened_at=now,
    )  # fmt: skip
    client = _client(Role.PLANNER, company=plan.company)

    everything = client.get("/planning/exceptions/", {"company": plan.company.pk})
    excess = client.get("/planning/exceptions/", {"company": plan.company.pk, "kind": "excess"})
    high = client.get("/planning/exceptions/", {"company": plan.company.pk, "severity": "3"})

    text = everything.content.decode()
    assert text.index("Runs out.") < text.index("Too much.")
    assert "Too much." in excess.content.decode()
    assert "Runs out." not in excess.content.decode()
    assert "Runs out." in high.content.decode()
    assert "Too much." not in high.content.decode()
    assert f"/planning/items/{nuts.pk}/{plan.central.pk}/" in text


def test_run_now_queues_the_company_run_and_readers_cannot(plan):
    from django_tasks_db.models import DBTaskResult

    reader = _client(Role.AUDITOR, company=plan.company)
    refused = reader.post("/planning/run/", {"company": plan.company.pk})
    assert refused.status_code == 403
    assert DBTaskResult.objects.count() == 0

    client = _client(Role.PLANNER, company=plan.company)
    response = client.post("/planning/run/", {"company": plan.company.pk})

    assert response.status_code == 302
    task = DBTaskResult.objects.get(task_path__endswith="run_company_replenishment")
    assert task.args_kwargs["args"][0] == plan.company.pk
