"""``crossdock demo-history`` on the small demo: counts as asked, audit clean, KPIs with
figures, the same seed giving the same history."""

from __future__ import annotations

import datetime
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from crossdock.accounting.models import Invoice, JournalLine
from crossdock.core.checks import run_checks
from crossdock.core.roles import sync_roles
from crossdock.insight.registry import KPIS, Scope
from crossdock.inventory.models import StockMove
from crossdock.masterdata.reference import ensure_reference_data
from crossdock.sales.models import SalesOrder, SalesOrderLine

LINES = 1500


def _digest() -> str:
    rows = [
        list(SalesOrderLine.objects.filter(order__reference__contains="/H").order_by("pk")
             .values_list("product_id", "quantity", "shipped_quantity", "order__customer_id")),
        list(StockMove.objects.filter(origin__contains="/H").order_by("pk")
             .values_list("product_id", "quantity", "done_at")),
        list(JournalLine.objects.filter(entry__number__contains="/H").order_by("pk")
             .values_list("account_id", "debit", "credit")),
    ]  # fmt: skip
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The small demo with history; the JSON report and the digest of a first build."""
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data()
        sync_roles()
        call_command("demo", "--scale", "small", stdout=io.StringIO())
        with transaction.atomic():
            call_command("demo_history", "--lines", str(LINES), "--seed", "7", stdout=io.StringIO())
            first = _digest()
            transaction.set_rollback(True)
        out = io.StringIO()
        call_command("demo_history", "--lines", str(LINES), "--seed", "7", "--json", stdout=out)
        yield json.loads(out.getvalue()), first
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _reference_data():
    """Overrides the suite-wide fixture: the module fixture loaded it."""


def test_counts_are_as_asked(built, db):
    report, _ = built
    history = SalesOrderLine.objects.filter(order__reference__contains="/H")
    assert report["sales"]["lines"] == history.count() == LINES
    assert report["sales"]["orders"] == SalesOrder.objects.filter(reference__contains="/H").count()
    assert (
        report["sales"]["invoices"]
        == Invoice.objects.filter(kind="customer_invoice", number__contains="/H").count()
    )
    assert 0 < report["sales"]["payments"] <= report["sales"]["invoices"]
    assert report["purchases"]["bills"] == report["purchases"]["orders"] > 0
    # history spans the two years before today
    days = history.values_list("order__order_date", flat=True)
    assert min(days) < timezone.localdate() - datetime.timedelta(days=600)


def test_audit_passes(built, db):
    _, findings = run_checks()
    assert [f"{f.check}: {f.problem}" for f in findings] == []


def test_same_seed_same_history(built, db):
    _, first = built
    assert _digest() == first


def test_every_flow_kpi_has_figures(built, db):
    today = timezone.localdate()
    scope = Scope(start=today - datetime.timedelta(days=729), end=today, by=None, today=today)
    empty = [
        code
        for code, kpi in sorted(KPIS.items())
        if code not in ("approval_cycle_time", "procurement_cycle_time")
        and not any(f.denominator or f.numerator for f in kpi.figures(scope))
    ]
    assert empty == []


def test_refuses_a_second_history(built, db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already holds"):
        call_command("demo_history", "--lines", "10", stdout=io.StringIO())
