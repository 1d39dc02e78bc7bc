"""Inspection plans: which plan applies, how many units are sampled, validation by field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.core.errors import DomainError
from crossdock.quality.models import InspectionCheck, InspectionPlan
from crossdock.quality.selectors import plan_for
from crossdock.quality.services.plans import CheckDraft, PlanDraft, delete_plan, save_plan
from tests import factories
from tests.inventory.conftest import SYSTEM
from tests.quality.conftest import make_plan

D = Decimal


def test_product_beats_category_beats_supplier(buying):
    company = buying.company
    parent = factories.category("Fasteners")
    child = factories.category("Screws", parent=parent)
    screw = factories.product(category=child)
    other = factories.product()
    by_supplier = make_plan(company, supplier_id=buying.supplier.pk, name="Supplier")
    assert plan_for(company.pk, screw, buying.supplier.pk) == by_supplier
    by_parent = make_plan(company, category_id=parent.pk, name="Fasteners")
    assert plan_for(company.pk, screw, buying.supplier.pk) == by_parent  # sub-category covered
    by_child = make_plan(company, category_id=child.pk, name="Screws")
    assert plan_for(company.pk, screw, buying.supplier.pk) == by_child  # closest category wins
    by_product = make_plan(company, product_id=screw.pk, name="This screw")
    assert plan_for(company.pk, screw, buying.supplier.pk) == by_product
    assert plan_for(company.pk, other, buying.supplier.pk) == by_supplier
    assert plan_for(company.pk, other, None) is None
    # another company's plans never apply
    assert plan_for(factories.company().pk, screw, buying.supplier.pk) is None


def test_an_inactive_plan_does_not_apply(buying):
    product = factories.product()
    plan = make_plan(buying.company, product_id=product.pk)
    save_plan(
        SYSTEM,
        PlanDraft(
            company_id=buying.company.pk,
            name=plan.name,
            product_id=product.pk,
            active=False,
            checks=[CheckDraft("Packaging intact")],
        ),
        plan_id=plan.pk,
    )
    assert plan_for(buying.company.pk, product, None) is None


@pytest.mark.parametrize(
    ("sampling", "size", "percent", "received", "sampled"),
    [
        ("all", None, None, "10", "10"),
        ("fixed", "3", None, "10", "3"),
        ("fixed", "30", None, "10", "10"),  # never more than arrived
        ("percent", None, "15", "10", "2"),  # 1.5 → 2
        ("percent", None, "10", "7", "1"),  # 0.7 → 1
        ("percent", None, "20", "10", "2"),  # exactly 2
        ("percent", None, "0.5", "10", "1"),  # at least one unit
    ],
)
def test_sample_sizes_round_up(buying, sampling, size, percent, received, sampled):
    plan = make_plan(
        buying.company,
        product_id=factories.product().pk,
        sampling=sampling,
        sample_size=None if size is None else D(size),
        sample_percent=None if percent is None else D(percent),
    )
    assert plan.sample_size_for(D(received)) == D(sampled)


def test_percent_rounds_up_to_the_unit_decimals(buying):
    plan = make_plan(
        buying.company,
        product_id=factories.product().pk,
        sampling="percent",
        sample_percent=D("15"),
    )
    assert plan.sample_size_for(D("10.5"), D("0.01")) == D("1.58")  # 1.575 → 1.58


@pytest.mark.parametrize(
    ("scope", "draft", "field"),
    [
        ({}, {"sampling": "all"}, "product"),
        ({"with_category": True}, {"sampling": "fixed"}, "sample_size"),
        ({}, {"sampling": "fixed", "sample_size": D(0)}, "sample_size"),
        ({}, {"sampling": "percent", "sample_percent": D(101)}, "sample_percent"),
        ({}, {"sampling": "percent"}, "sample_percent"),
        ({}, {"sampling": "all", "sample_size": D(3)}, "sample_size"),
        ({}, {"checks": []}, "checks"),
        ({}, {"checks": [CheckDraft("Weight", "measured", D(5))]}, "checks[0].min_value"),
        ({}, {"checks": [CheckDraft("Weight", "measured", None, D(1), D(2))]}, "checks[0].target"),
        (
            {},
            {"checks": [CheckDraft("Weight", "measured", D(5), D(6), D(7))]},
            "checks[0].min_value",
        ),
        (
            {},
            {"checks": [CheckDraft("Weight", "measured", D(5), D(1), D(4))]},
            "checks[0].max_value",
        ),
        ({}, {"checks": [CheckDraft("Seal", "pass_fail", D(5))]}, "checks[0].target"),
        ({}, {"checks": [CheckDraft("  ")]}, "checks[0].name"),
    ],
)
def test_bad_plans_are_refused_by_field_and_write_nothing(buying, scope, draft, field):
    product = factories.product()
    base = {
        "company_id": buying.company.pk,
        "name": "Plan",
        "checks": [CheckDraft("Packaging intact")],
    }
    if scope.get("with_category"):
        base["category_id"] = product.category_id
    elif draft.get("sampling") != "all" or "sample_size" in draft or "checks" in draft:
        base["product_id"] = product.pk
    if draft == {"sampling": "all"}:
        base.pop("product_id", None)
    with pytest.raises(DomainError) as raised:
        save_plan(SYSTEM, PlanDraft(**{**base, **draft}))
    assert field in raised.value.fields, raised.value.fields
    assert not InspectionPlan.objects.exists()
    assert not InspectionCheck.objects.exists()


def test_two_scopes_are_refused(buying):
    product = factories.product()
    with pytest.raises(DomainError) as raised:
        make_plan(buying.company, product_id=product.pk, supplier_id=buying.supplier.pk)
    assert "product" in raised.value.fields


def test_a_customer_is_not_a_supplier_to_plan_for(buying):
    customer = factories.partner(buying.company)
    with pytest.raises(DomainError) as raised:
        make_plan(buying.company, supplier_id=customer.pk)
    assert "supplier" in raised.value.fields


def test_saving_replaces_checks_and_delete_removes_an_unused_plan(buying):
    product = factories.product()
    plan = make_plan(buying.company, product_id=product.pk)
    assert plan.checks.count() == 2
    save_plan(
        SYSTEM,
        PlanDraft(
            company_id=buying.company.pk,
            name="Renamed",
            product_id=product.pk,
            checks=[CheckDraft("Label readable")],
        ),
        plan_id=plan.pk,
        version=plan.version,
    )
    plan.refresh_from_db()
    assert plan.name == "Renamed"
    assert plan.version == 2
    assert list(plan.checks.values_list("name", flat=True)) == ["Label readable"]
    delete_plan(SYSTEM, plan.pk)
    assert not InspectionPlan.objects.exists()
