"""Reorder policies and forecast overrides: checked field by field, audited, nothing half-set."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError, StaleVersionError
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role
from crossdock.planning.models import ForecastOverride, ReorderPolicy
from crossdock.planning.services.policies import (
    OverrideDraft,
    PolicyDraft,
    clear_reorder_policy,
    create_forecast_override,
    end_forecast_override,
    set_reorder_policy,
)
from tests import factories

pytest.importorskip("crossdock.planning.policy")

D = Decimal


@pytest.fixture
def planner(company_a):
    return Actor.of(factories.user(Role.BUYER, companies=[company_a]))


def test_a_manual_policy_is_set_changed_and_cleared(planner, warehouse_a):
    product = factories.product()
    draft = PolicyDraft(
        product.pk, warehouse_a.pk, "manual", "5", "40", pack_multiple="6", note="Shelf of 40"
    )

    policy = set_reorder_policy(planner, draft)

    assert (policy.method, policy.min_quantity, policy.max_quantity, policy.pack_multiple) == (
        "manual",
        D(5),
        D(40),
        D(6),
    )
    assert policy.company_id == warehouse_a.company_id
    changed = set_reorder_policy(
        planner,
        PolicyDraft(product.pk, warehouse_a.pk, "s_S", service_level="99.5"),
        expected_version=1,
    )
    assert changed.pk == policy.pk
    assert (changed.method, changed.service_level, changed.version) == ("s_S", D("99.5"), 2)
    with pytest.raises(StaleVersionError):
        set_reorder_policy(planner, PolicyDraft(product.pk, warehouse_a.pk), expected_version=1)

    clear_reorder_policy(planner, policy.pk)

    assert not ReorderPolicy.objects.exists()
    actions = list(
        AuditEntry.objects.filter(object_type="planning.reorderpolicy")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["planning.policy.set", "planning.policy.change", "planning.policy.clear"]
    assert OutboxEvent.objects.filter(name__startswith="planning.policy.").count() == 3


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"min_quantity": "50", "max_quantity": "40"}, "min_quantity", "above the maximum"),
        ({"min_quantity": "-1", "max_quantity": "40"}, "min_quantity", "Cannot be negative."),
        ({"min_quantity": "1", "max_quantity": "4", "pack_multiple": "0"}, "pack_multiple", ""),
        ({"min_quantity": "1"}, "max_quantity", "needs a maximum"),
        ({"min_quantity": 1.5, "max_quantity": "4"}, "min_quantity", "exact decimal"),
    ],
)
def test_a_bad_manual_policy_names_the_field_and_writes_nothing(
    planner, warehouse_a, given, field, message
):
    product = factories.product()

    with pytest.raises(DomainError) as refused:
        set_reorder_policy(planner, PolicyDraft(product.pk, warehouse_a.pk, "manual", **given))

    assert field in refused.value.fields
    assert message in refused.value.fields[field][0]
    assert not ReorderPolicy.objects.exists()
    assert not AuditEntry.objects.filter(object_type="planning.reorderpolicy").exists()


def test_other_fields_are_checked(planner, warehouse_a, warehouse_b):
    product = factories.product()
    with pytest.raises(DomainError) as refused:
        set_reorder_policy(
            planner,
            PolicyDraft(
                product.pk,
                warehouse_a.pk,
                "weekly",
                service_level="100",
                review_period_days=0,
                service_measure="luck",
            ),
        )
    assert set(refused.value.fields) == {
        "method",
        "service_level",
        "review_period_days",
        "service_measure",
    }
    with pytest.raises(DomainError) as refused:  # another company's warehouse is not found
        set_reorder_policy(planner, PolicyDraft(product.pk, warehouse_b.pk))
    assert refused.value.fields == {"warehouse": ["Unknown warehouse."]}


def test_an_override_is_recorded_with_its_reason_and_ended(planner, warehouse_a):
    product = factories.product()
    draft = OverrideDraft(
        product.pk, warehouse_a.pk, "2026-07-01", "2026-07-31", "Trade fair", change_percent="-25"
    )

    override = create_forecast_override(planner, draft)

    assert (override.change_percent, override.daily_quantity, override.reason) == (
        D(-25),
        None,
        "Trade fair",
    )
    assert override.created_by == planner.user
    ended = end_forecast_override(planner, override.pk)
    assert not ended.is_active
    assert list(
        AuditEntry.objects.filter(object_type="planning.forecastoverride")
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == ["planning.override.create", "planning.override.end"]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"ends_on": "2026-06-01"}, "ends_on"),
        ({"starts_on": "July"}, "starts_on"),
        ({"change_percent": "-100"}, "change_percent"),
        ({"change_percent": None}, "daily_quantity"),
        ({"daily_quantity": "3"}, "daily_quantity"),
    ],
)
def test_a_bad_override_writes_nothing(planner, warehouse_a, given, field):
    product = factories.product()
    values = {
        "starts_on": "2026-07-01",
        "ends_on": "2026-07-31",
        "reason": "Fair",
        "change_percent": "10",
        **given,
    }
    with pytest.raises(DomainError) as refused:
        create_forecast_override(planner, OverrideDraft(product.pk, warehouse_a.pk, **values))
    assert field in refused.value.fields
    assert not ForecastOverride.objects.exists()


def test_ending_an_unknown_override_is_not_found(planner):
    with pytest.raises(NotFoundError):
        end_forecast_override(planner, 12345)
    assert not AuditEntry.objects.filter(object_type="planning.forecastoverride").exists()
