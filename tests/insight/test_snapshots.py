"""The nightly KPI snapshot: exact rows, re-running a day replaces it, all or nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from crossdock.core.models import OutboxEvent
from crossdock.insight.models import KpiSnapshot
from crossdock.insight.registry import KPIS
from crossdock.insight.services.snapshots import take_snapshot

D = Decimal


def _rows(day):
    return sorted(
        KpiSnapshot.objects.filter(day=day).values_list(
            "kpi", "company_id", "dimension", "dimension_value", "value", "numerator", "denominator"
        ),
        key=repr,
    )


def test_a_snapshot_records_every_kpi_per_company_and_dimension(sold):
    today = sold.today
    result = take_snapshot(today)
    assert result.kpis == len(KPIS)
    assert result.rows == KpiSnapshot.objects.filter(day=today).count() > 0
    # the day itself: only O2 was ordered today, and it is short → 0 of 1 filled
    fill = KpiSnapshot.objects.get(kpi="order_fill_rate", day=today, dimension="")
    assert (fill.company_id, fill.window_start) == (sold.company.pk, today)
    assert (fill.value, fill.numerator, fill.denominator) == (D(0), D(0), D(1))
    by_warehouse = KpiSnapshot.objects.get(kpi="order_fill_rate", day=today, dimension="warehouse")
    assert by_warehouse.dimension_value == str(sold.warehouse.pk)
    # stock ratios cover the 30 days up to the day
    turnover = KpiSnapshot.objects.get(kpi="inventory_turnover", day=today, dimension="")
    assert turnover.window_start == today - datetime.timedelta(days=29)
    assert (turnover.value, turnover.numerator, turnover.denominator) == (
        D("1.9077"),
        D(124),
        D(65),
    )
    aged = KpiSnapshot.objects.get(kpi="aged_inventory", day=today, dimension="")
    assert aged.value == D(20)
    margin = KpiSnapshot.objects.get(kpi="gross_margin", day=today, dimension="category",
                                     dimension_value=str(sold.cat2.pk))  # fmt: skip
    assert (margin.value, margin.numerator, margin.denominator) == (D(60), D(60), D(100))
    event = OutboxEvent.objects.get(name="insight.kpi-snapshot.taken")
    assert event.payload == {"day": today.isoformat(), "rows": result.rows, "replaced": 0}


def test_re_running_a_day_replaces_its_rows(sold):
    today = sold.today
    first = take_snapshot(today)
    before = _rows(today)
    stale = KpiSnapshot.objects.create(
        company=sold.company, kpi="order_fill_rate", day=today, window_start=today,
        dimension="warehouse", dimension_value="999999", value=D(1), numerator=D(1),
        denominator=D(100), taken_at=timezone.now(),
    )  # fmt: skip
    second = take_snapshot(today)
    assert second.replaced == first.rows + 1
    assert second.rows == first.rows
    assert _rows(today) == before
    assert not KpiSnapshot.objects.filter(pk=stale.pk).exists()


def test_other_days_are_left_alone(sold):
    yesterday = sold.today - datetime.timedelta(days=1)
    take_snapshot(yesterday)
    kept = _rows(yesterday)
    take_snapshot(sold.today)
    assert _rows(yesterday) == kept


def test_a_failed_snapshot_keeps_the_day_as_it_was(sold, monkeypatch):
    today = sold.today
    take_snapshot(today)
    before = _rows(today)
    events_before = OutboxEvent.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(KpiSnapshot.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        take_snapshot(today)
    assert _rows(today) == before
    assert OutboxEvent.objects.count() == events_before


def test_figures_of_the_present_are_not_recorded_for_past_days(sold):
    long_ago = sold.today - datetime.timedelta(days=5)
    yesterday = sold.today - datetime.timedelta(days=1)
    take_snapshot(long_ago)
    take_snapshot(yesterday)
    recorded = set(KpiSnapshot.objects.filter(day=long_ago).values_list("kpi", flat=True))
    assert not recorded & {"aged_inventory", "stockout_rate"}
    recorded = set(KpiSnapshot.objects.filter(day=yesterday).values_list("kpi", flat=True))
    assert {"aged_inventory", "stockout_rate"} <= recorded


def test_a_future_day_is_refused_and_nothing_is_written(sold):
    with pytest.raises(ValueError, match="future"):
        take_snapshot(sold.today + datetime.timedelta(days=1))
    assert not KpiSnapshot.objects.exists()


def test_the_command_runs_now_or_enqueues_for_the_worker(sold):
    out = StringIO()
    call_command("kpi-snapshot", "--now", "--day", sold.today.isoformat(), stdout=out)
    assert f"{sold.today}: " in out.getvalue()
    assert KpiSnapshot.objects.filter(day=sold.today).exists()
    out = StringIO()
    call_command("kpi-snapshot", stdout=out)
    assert "enqueued KPI snapshot of" in out.getvalue()
    with pytest.raises(CommandError, match="--day"):
        call_command("kpi-snapshot", "--day", "yesterday")
