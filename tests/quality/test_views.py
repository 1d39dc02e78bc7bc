"""Quality screens: the queue, the results form, plans and the return-to-vendor action."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.core.roles import Role
from crossdock.quality.models import (
    Disposition,
    Inspection,
    InspectionPlan,
    InspectionResult,
    InspectionState,
    Nonconformance,
)
from crossdock.quality.services.inspections import (
    CheckOutcome,
    InspectionOutcome,
    record_results,
)
from crossdock.web.navigation import navigation_for
from tests import factories
from tests.browser import client_for
from tests.inventory.conftest import SYSTEM
from tests.quality.conftest import damaged, held, make_plan, receive, stock

D = Decimal


@pytest.fixture
def operator(buying):
    return factories.user(Role.WAREHOUSE_OPERATOR, companies=[buying.company])


@pytest.fixture
def product(buying):
    product = factories.product(sku="QV-1")
    make_plan(buying.company, product_id=product.pk)
    return product


def _checks(inspection):
    return list(inspection.plan.checks.order_by("sequence"))


def test_the_queue_shows_pending_first(buying, operator, product):
    receive(buying, product, "4")
    receive(buying, product, "6")
    first, second = Inspection.objects.order_by("pk")
    packaging, weight = _checks(first)
    record_results(
        SYSTEM,
        first.pk,
        InspectionOutcome(
            [CheckOutcome(packaging.pk, True), CheckOutcome(weight.pk, value=D(500))], "4", "0"
        ),
    )
    response = client_for(operator).get("/quality/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(f'data-inspection="{second.pk}"') < html.index(
        f'data-inspection="{first.pk}"'
    )
    assert "1 waiting for inspection" in html


def test_the_form_records_results_and_damages_the_rejected(buying, operator, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    packaging, weight = _checks(inspection)
    client = client_for(operator)
    page = client.get(f"/quality/inspections/{inspection.pk}/")
    assert b"Record results" in page.content
    response = client.post(
        f"/quality/inspections/{inspection.pk}/",
        {
            f"check-{packaging.pk}": "fail",
            f"check-{weight.pk}": "499.5",
            "accepted_quantity": "9",
            "rejected_quantity": "1",
            "disposition": Disposition.DAMAGED,
            "description": "Torn bag",
            "version": inspection.version,
        },
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.DONE
    assert stock(product, buying.warehouse) == D(9)
    assert damaged(product, buying.warehouse) == D(1)
    assert Nonconformance.objects.get().description == "Torn bag"


def test_bad_results_show_the_field_and_write_nothing(buying, operator, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    packaging, weight = _checks(inspection)
    response = client_for(operator).post(
        f"/quality/inspections/{inspection.pk}/",
        {
            f"check-{packaging.pk}": "pass",
            f"check-{weight.pk}": "abc",
            "accepted_quantity": "8",
            "rejected_quantity": "1",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not a number" in html
    assert "must add up to the 10 inspected" in html
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.PENDING
    assert not InspectionResult.objects.exists()
    assert held(product, buying.warehouse) == D(10)


def test_a_plan_is_made_on_the_form_and_refused_by_field(buying):
    manager = factories.user(Role.PURCHASING_MANAGER, companies=[buying.company])
    client = client_for(manager)
    product = factories.product()
    body = {
        "company": buying.company.pk,
        "name": "Screws",
        "product": product.pk,
        "sampling": "percent",
        "sample_percent": "",
        "active": "on",
        "checks-TOTAL_FORMS": "2",
        "checks-INITIAL_FORMS": "0",
        "checks-0-name": "Length",
        "checks-0-kind": "measured",
        "checks-0-target": "40",
        "checks-0-min_value": "39.5",
        "checks-0-max_value": "39",
        "checks-1-name": "",
        "checks-1-kind": "pass_fail",
    }
    response = client.post("/quality/plans/new/", body)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Give a percentage above 0 and at most 100." in html
    assert "The maximum cannot be below the target." in html
    assert not InspectionPlan.objects.exists()
    body["sample_percent"] = "10"
    body["checks-0-max_value"] = "40.5"
    response = client.post("/quality/plans/new/", body)
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = InspectionPlan.objects.get()
    assert plan.checks.get().max_value == D("40.5")
    assert client.get(f"/quality/plans/{plan.pk}/").status_code == 200
    assert b"Screws" in client.get("/quality/plans/").content


def test_an_operator_may_not_edit_plans(buying, operator):
    assert client_for(operator).get("/quality/plans/new/").status_code == 403
    assert client_for(operator).get("/quality/plans/").status_code == 200


def test_return_to_vendor_from_the_nonconformance(buying, operator, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    packaging, weight = _checks(inspection)
    record_results(
        SYSTEM,
        inspection.pk,
        InspectionOutcome(
            [CheckOutcome(packaging.pk, False), CheckOutcome(weight.pk, value=D(500))],
            "6",
            "4",
            disposition=Disposition.RETURN,
            description="Wrong colour",
        ),
    )
    nonconformance = Nonconformance.objects.get()
    client = client_for(operator)
    assert (
        b"Return to vendor" in client.get(f"/quality/nonconformances/{nonconformance.pk}/").content
    )
    response = client.post(f"/quality/nonconformances/{nonconformance.pk}/return/")
    assert response.status_code == 302
    nonconformance.refresh_from_db()
    assert nonconformance.return_transfer is not None
    assert nonconformance.credit_note.untaxed_amount == D("16.00")
    page = client.get(f"/quality/nonconformances/{nonconformance.pk}/").content.decode()
    assert "Return to vendor</button>" not in page
    assert nonconformance.return_transfer.reference in page
    assert client.get("/quality/nonconformances/").status_code == 200


def test_another_companys_inspection_is_not_found(buying, product):
    receive(buying, product, "2")
    inspection = Inspection.objects.get()
    stranger = factories.user(Role.WAREHOUSE_OPERATOR, companies=[factories.company()])
    assert client_for(stranger).get(f"/quality/inspections/{inspection.pk}/").status_code == 404


def test_the_sidebar_has_a_quality_group(buying, operator):
    groups = {group.label: group for group in navigation_for(operator)}
    assert [e.key for e in groups["Quality"].entries] == [
        "quality-queue",
        "quality-nonconformances",
        "quality-plans",
    ]
    sales = factories.user(Role.SALES_REP, companies=[buying.company])
    assert "Quality" not in {group.label for group in navigation_for(sales)}
