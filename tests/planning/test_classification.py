"""Classification on known series (exact classes), outlier and promotion flags, and the
service that classifies stored history into planning items."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pytest

from crossdock.planning import classification as cls
from crossdock.planning.models import DemandDay, PlanningItem, PlanningSettings, Promotion
from crossdock.planning.services.classify import classify_items, flag_demand, outlier_mask
from tests import factories

D = Decimal
AS_OF = datetime.date(2026, 6, 30)
WEEKS = 52


def daily(series: int, ages, sizes):
    ages = np.asarray(list(ages), dtype=np.int64)
    sizes = np.broadcast_to(np.asarray(sizes, dtype=np.int64), ages.shape)
    return (
        np.full(len(ages), series, dtype=np.int64),
        AS_OF.toordinal() - ages,
        sizes * 1_000_000,
    )


def run(*parts, values=None, **rules):
    series = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts])
    quantity = np.concatenate([p[2] for p in parts])
    count = len(parts)
    unit_value = np.ones(count) if values is None else np.asarray(values, dtype=float)
    settings = {"history_days": WEEKS * 7, **rules}
    return cls.classify(
        series, day, quantity, unit_value, cls.Rules(as_of=AS_OF.toordinal(), **settings)
    )


def weekly(series: int, weeks, sizes):
    """One demand day (the first day of the week) in each of ``weeks`` (0 = latest)."""
    return daily(series, [w * 7 for w in weeks], sizes)


def test_the_four_demand_patterns_and_their_variability():
    smooth = daily(0, range(WEEKS * 7), 10)
    erratic = weekly(1, range(WEEKS), [1, 19] * (WEEKS // 2))
    intermittent = weekly(2, range(1, WEEKS, 2), 5)
    lumpy_sizes = np.tile([1, 30], 7)[:13]
    lumpy = weekly(3, range(3, WEEKS, 4), lumpy_sizes)
    result = run(smooth, erratic, intermittent, lumpy)
    assert list(result.pattern) == ["smooth", "erratic", "intermittent", "lumpy"]
    assert list(result.adi) == [1.0, 1.0, 2.0, 4.0]
    assert result.cv2[0] == 0.0
    assert result.cv2[1] == 0.81  # sizes 1 and 19: variance 81 over mean 10 squared
    assert result.cv2[2] == 0.0
    expected = float(np.var(lumpy_sizes) / np.mean(lumpy_sizes) ** 2)
    assert result.cv2[3] == pytest.approx(expected, abs=1e-6)
    assert expected > cls.CV2_LIMIT
    # weekly CV: 0; 0.9; every other week 5 → std 2.5 / mean 2.5 = 1.0; lumpy above 1
    assert list(result.cv[:3]) == [0.0, 0.9, 1.0]
    assert list(result.xyz) == ["X", "Y", "Z", "Z"]
    assert list(result.annual_quantity[:1]) == [WEEKS * 7 * 10 * 1_000_000]


def test_quadrant_and_xyz_limits_belong_to_the_upper_class():
    adi = np.array([1.31, 1.32, 1.31, 1.32, np.nan])
    cv2 = np.array([0.48, 0.48, 0.49, 0.49, np.nan])
    assert list(cls.patterns(adi, cv2)) == ["smooth", "intermittent", "erratic", "lumpy", ""]
    cv = np.array([0.49, 0.5, 0.99, 1.0, np.nan])
    assert list(cls.xyz_classes(cv)) == ["X", "Y", "Y", "Z", "Z"]


def test_abc_by_cumulative_share_of_annual_value():
    value = np.array([15.0, 50.0, 5.0, 30.0, 0.0])
    # ranked 50 (0 % before), 30 (50 %), 15 (80 %), 5 (95 %), 0
    assert list(cls.abc_classes(value, 0.8, 0.95)) == ["B", "A", "C", "A", "C"]
    same = [daily(i, range(WEEKS * 7), 1) for i in range(4)]
    result = run(*same, values=[15, 50, 5, 30])
    assert list(result.abc) == ["B", "A", "C", "A"]
    assert result.annual_value[1] == WEEKS * 7 * 50


def test_lifecycles():
    active = daily(0, range(WEEKS * 7), 10)
    new = daily(1, range(30), 10)
    obsolete = daily(2, range(200, 300), 10)
    declining = (
        np.concatenate([daily(3, range(182), 2)[i], daily(3, range(182, 364), 10)[i]])
        for i in range(3)
    )
    result = run(active, new, obsolete, tuple(declining), dead_stock_days=180)
    assert list(result.lifecycle) == ["active", "new", "obsolete", "declining"]
    assert result.first_day[1] == (AS_OF - datetime.timedelta(days=29)).toordinal()
    assert result.last_day[2] == (AS_OF - datetime.timedelta(days=200)).toordinal()


def test_a_series_without_demand_is_obsolete_c_z_without_pattern():
    result = run(daily(0, range(WEEKS * 7), 1), (np.array([1]), np.array([0]), np.array([0])))
    assert (result.abc[1], result.xyz[1], result.pattern[1], result.lifecycle[1]) == (
        "C",
        "Z",
        "",
        "obsolete",
    )


def test_outliers_are_above_median_plus_k_mad_in_series_with_enough_points():
    quantities = np.array([10, 12, 8, 10, 11, 9, 10, 13, 7, 10, 60, 18, 10, 60], dtype=float)
    series = np.array([0] * 12 + [1] * 2)
    mask = outlier_mask(series, quantities, 2, 5.0)
    # series 0: median 10, MAD 1.5 → above 17.5 is an outlier (60 and 18); series 1: 2 points
    assert list(np.flatnonzero(mask)) == [10, 11]
    constant = np.array([5.0] * 15 + [90.0])
    assert list(np.flatnonzero(outlier_mask(np.zeros(16, dtype=int), constant, 1, 5.0))) == [15]


# -- the services on stored history ---------------------------------------------------------


def store(company, warehouse, product, ages, size, as_of=AS_OF):
    DemandDay.objects.bulk_create(
        DemandDay(
            company=company,
            product=product,
            warehouse=warehouse,
            day=as_of - datetime.timedelta(days=age),
            shipped=D(size),
            quantity=D(size),
        )
        for age in ages
    )


def test_classify_items_writes_one_item_per_series_with_exact_value(warehouse_a):
    company = warehouse_a.company
    fast, slow = factories.product(), factories.product(standard_cost=D("2.50"))
    store(company, warehouse_a, fast, range(364), 3)
    store(company, warehouse_a, slow, range(10, 364, 14), 4)
    assert classify_items(company.pk, AS_OF) == 2
    items = {i.product_id: i for i in PlanningItem.objects.filter(company=company)}
    assert (items[fast.pk].abc, items[fast.pk].pattern, items[fast.pk].lifecycle) == (
        "A",
        "smooth",
        "active",
    )
    assert items[fast.pk].annual_quantity == D(1092)
    assert items[fast.pk].annual_value == D("6552.0000")  # 1,092 × standard cost 6.00
    assert items[slow.pk].annual_quantity == D(104)
    assert items[slow.pk].annual_value == D("260.0000")
    assert items[slow.pk].pattern == "intermittent"
    assert items[slow.pk].adi == D(2)
    assert items[fast.pk].first_demand_on == AS_OF - datetime.timedelta(days=363)
    # classifying again updates in place
    assert classify_items(company.pk, AS_OF) == 2
    assert PlanningItem.objects.filter(company=company).count() == 2


def test_flags_mark_outliers_and_promotion_days_in_the_category_tree(warehouse_a):
    company = warehouse_a.company
    other = factories.warehouse(company)
    parent = factories.category()
    child = factories.category(parent=parent)
    promoted = factories.product(category=child)
    plain = factories.product()
    for warehouse in (warehouse_a, other):
        store(company, warehouse, promoted, range(1, 30), 10)
    store(company, warehouse_a, plain, range(1, 30), 10)
    DemandDay.objects.filter(product=plain, day=AS_OF - datetime.timedelta(days=5)).update(
        shipped=D(400), quantity=D(400)
    )
    Promotion.objects.create(
        company=company,
        name="Summer",
        category=parent,
        warehouse=warehouse_a,
        starts_on=AS_OF - datetime.timedelta(days=10),
        ends_on=AS_OF - datetime.timedelta(days=8),
    )
    PlanningSettings.objects.create(company=company, outlier_limit=D(5))
    result = flag_demand(company.pk)
    assert (result.outliers, result.promotion_days) == (1, 3)
    assert list(DemandDay.objects.filter(is_outlier=True).values_list("product_id", "day")) == [
        (plain.pk, AS_OF - datetime.timedelta(days=5))
    ]
    flagged = set(
        DemandDay.objects.filter(is_promotion=True).values_list("product_id", "warehouse_id")
    )
    assert flagged == {(promoted.pk, warehouse_a.pk)}
    # flagging again finds the same, and clears what no longer applies
    Promotion.objects.all().delete()
    assert flag_demand(company.pk).promotion_days == 0
    assert not DemandDay.objects.filter(is_promotion=True).exists()
