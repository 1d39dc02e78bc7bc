"""``crossdock demo`` loads every module's demo in order: stock, policies and inboxes that work."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from crossdock.approvals import selectors
from crossdock.approvals.models import ApprovalPolicy, ApprovalRequest
from crossdock.core.checks import run_checks
from crossdock.core.models import User
from crossdock.core.roles import sync_roles
from crossdock.inventory.demo import ADJUSTMENT_POLICY, ADJUSTMENT_THRESHOLD
from crossdock.inventory.models import MoveState, Transfer, TransferKind
from crossdock.masterdata.models import PriceList, PriceListItem
from crossdock.masterdata.reference import ensure_reference_data


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The command's JSON output, with the database it built rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data()
        sync_roles()
        out = io.StringIO()
        call_command("demo", "--scale", "small", "--json", stdout=out)
        yield json.loads(out.getvalue())
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _reference_data():
    """Overrides the suite-wide fixture: the module fixture loaded it."""


def test_counts_cover_every_module(loaded, db):
    counts = loaded["counts"]
    assert counts["products"] == 200
    assert counts["approval_policies"] == ApprovalPolicy.objects.filter(status="active").count()
    # with one purchase-order and one credit-release policy per operating company
    assert counts["approval_policies"] == 14
    assert counts["price_lists"] == PriceList.objects.count() == 2
    assert counts["price_list_items"] == PriceListItem.objects.count()
    assert 100 < counts["price_list_items"] <= 400  # modest: a few hundred prices at most
    assert counts["pending_approvals"] == ApprovalRequest.objects.filter(status="pending").count()
    assert counts["stock_adjustments"] == 2
    assert Transfer.objects.filter(kind=TransferKind.RECEIPT, state=MoveState.DONE).count() > 0
    assert counts["purchase_orders"] == 8
    assert counts["catalogue_entries"] == 12


def test_purchase_orders_in_every_stage_and_a_bill_in_the_match_queue(loaded, db):
    from crossdock.purchasing.models import BillMatch, PurchaseOrder

    states = sorted(
        PurchaseOrder.objects.filter(company__code="NSE").values_list("state", flat=True)
    )
    assert states == ["billed", "partial", "received", "to_approve"]
    waiting = PurchaseOrder.objects.get(company__code="NSE", state="to_approve")
    manager = User.objects.get(username="purchasing-manager")
    inbox = [step.request.document_id for step in selectors.decidable_steps(manager)]
    assert str(waiting.pk) in inbox
    held = BillMatch.objects.get(company__code="NSE", status="price_variance")
    assert held.invoice.payment_hold is True


def test_large_adjustment_waits_for_the_warehouse_manager_small_one_is_booked(loaded, db):
    adjustments = Transfer.objects.filter(kind=TransferKind.ADJUSTMENT).order_by("pk")
    assert [a.state for a in adjustments] == [MoveState.DONE, MoveState.WAITING_APPROVAL]
    waiting = adjustments[1]
    request = ApprovalRequest.objects.get(document_type="stock-adjustment", status="pending")
    assert request.document_id == str(waiting.pk)
    assert request.policy.name == ADJUSTMENT_POLICY
    assert Decimal(request.facts["amount"]) > ADJUSTMENT_THRESHOLD
    manager = User.objects.get(username="warehouse-manager")
    inbox = [step.request_id for step in selectors.decidable_steps(manager)]
    assert request.pk in inbox
    operator = User.objects.get(username="warehouse-operator")
    assert request.pk not in [step.request_id for step in selectors.decidable_steps(operator)]


def test_the_books_balance_after_the_whole_demo(loaded, db):
    names, findings = run_checks()
    assert "inventory.quants" in names or len(names) >= 2
    assert findings == []


def test_an_open_blind_count_waits_in_venlo(loaded, db):
    from crossdock.inventory.models import CountSheet

    assert loaded["counts"]["count_sheets"] == 1
    sheet = CountSheet.objects.select_related("warehouse").get()
    assert (sheet.warehouse.code, sheet.state, sheet.blind, sheet.scope) == (
        "VENLO",
        "counting",
        True,
        "locations",
    )
    assert sheet.lines.exists()
    assert not sheet.lines.filter(counted__isnull=False).exists()


def test_the_books_hold_invoices_payments_a_landed_cost_and_a_run_waiting(loaded, db):
    from crossdock.accounting.models import (
        Invoice,
        InvoiceKind,
        LandedCost,
        Payment,
        PaymentRun,
        PaymentState,
    )
    from crossdock.accounting.statements import aged_balances

    counts = loaded["counts"]
    assert counts["invoices_and_bills"] == Invoice.objects.count() > 0
    assert counts["payments"] == Payment.objects.count() == 4
    assert counts["landed_costs"] == LandedCost.objects.filter(state="posted").count() == 2
    for code in ("NSE", "NSUK"):
        invoices = Invoice.objects.filter(company__code=code, kind=InvoiceKind.CUSTOMER_INVOICE)
        states = set(invoices.values_list("payment_state", flat=True))
        assert {PaymentState.PAID, PaymentState.PARTIAL, PaymentState.NOT_PAID} <= states
        assert (
            Invoice.objects.filter(
                company__code=code, kind=InvoiceKind.VENDOR_BILL, state="posted"
            ).count()
            >= 2
        )
    runs = PaymentRun.objects.filter(state="to_approve")
    assert runs.count() == counts["payment_runs"] == 2
    controller = User.objects.get(username="controller")
    waiting = {step.request.document_id for step in selectors.decidable_steps(controller)}
    assert {str(run.pk) for run in runs} <= waiting
    # the handling fees fall in the overdue buckets of the aged receivables
    from crossdock.masterdata.models import Company

    nse = Company.objects.get(code="NSE")
    rows = aged_balances(nse.pk, "receivable", datetime.date.today())
    overdue = [sum(row.buckets[i] for row in rows) for i in range(1, 5)]
    assert sum(1 for amount in overdue if amount > 0) >= 3, overdue


def test_the_demo_companies_have_a_dunning_ladder_and_draft_letters(loaded, db):
    from crossdock.accounting.models import DunningLetter, DunningLevel

    for code in ("NSE", "NSUK"):
        ladder = DunningLevel.objects.filter(company__code=code).order_by("level")
        assert [(x.level, x.days_overdue) for x in ladder] == [(1, 7), (2, 21), (3, 45)]
        letters = DunningLetter.objects.filter(company__code=code, state="draft")
        # the handling fees 12, 45 and 100 days overdue: a friendly reminder, two final notices
        assert sorted(letters.values_list("level", flat=True)) == [1, 3, 3]
    assert run_checks()[1] == []


def test_sales_orders_quoted_confirmed_invoiced_and_on_credit_hold(loaded, db):
    from crossdock.masterdata.models import Partner
    from crossdock.sales.models import MarginFloor, SalesOrder

    counts = loaded["counts"]
    assert counts["sales_orders"] == SalesOrder.objects.count() == 9
    assert counts["margin_floors"] == MarginFloor.objects.count() == 2
    for code in ("NSE", "NSUK"):
        company_orders = SalesOrder.objects.filter(
            company__code=code, mirrored_purchase_order__isnull=True
        )
        states = sorted(company_orders.values_list("state", flat=True))
        assert states == ["confirmed", "credit_hold", "invoiced", "quotation"], (code, states)
        assert all(order.customer.price_list_id for order in company_orders)
        customers = Partner.objects.filter(company__code=code, is_customer=True)
        assert not customers.filter(price_list__isnull=True, group_company__isnull=True).exists()
        invoiced = company_orders.get(state="invoiced")
        assert invoiced.lines.exclude(invoiced_quantity=0).exists()
    # NSE's intercompany order to NSUK: invoiced; NSUK's mirror billed, its arrival in transit
    intercompany = SalesOrder.objects.get(mirrored_purchase_order__isnull=False)
    mirrored = intercompany.mirrored_purchase_order
    assert (intercompany.company.code, intercompany.state) == ("NSE", "invoiced")
    assert (mirrored.company.code, mirrored.intercompany_origin) == ("NSUK", intercompany.reference)
    assert mirrored.lines.get().billed_quantity == intercompany.lines.get().quantity
    arrival = Transfer.objects.get(origin=intercompany.reference, kind=TransferKind.TRANSIT_IN)
    assert (arrival.company_id, arrival.state) == (mirrored.company_id, MoveState.CONFIRMED)
    held = SalesOrder.objects.get(company__code="NSE", state="credit_hold")
    assert held.amount_company > held.credit_limit
    controller = User.objects.get(username="credit-controller")
    assert str(held.pk) in [
        step.request.document_id for step in selectors.decidable_steps(controller)
    ]
    assert run_checks()[1] == []


def test_service_cases_at_every_stage_some_past_their_sla(loaded, db):
    from crossdock.service.models import ServiceCase, SLAPolicy

    counts = loaded["counts"]
    assert counts["service_cases"] == ServiceCase.objects.count() == 30
    assert counts["sla_policies"] == SLAPolicy.objects.count() == 8
    statuses = set(ServiceCase.objects.values_list("status", flat=True))
    assert statuses == {"open", "in_progress", "waiting", "resolved", "closed"}
    assert ServiceCase.objects.filter(escalation_level__gt=0).exists()
    assert ServiceCase.objects.filter(sales_order__isnull=False).exists()
