"""The approvals demo on the small master-data demo: policies, a filled inbox, audit intact."""

from decimal import Decimal

import pytest
from django.db import transaction

from crossdock.approvals import selectors
from crossdock.approvals.demo import load_approvals_demo
from crossdock.approvals.models import ApprovalPolicy, ApprovalRequest
from crossdock.core.checks import run_checks
from crossdock.core.models import AuditEntry, User
from crossdock.core.roles import sync_roles
from crossdock.masterdata.demo import load_demo
from crossdock.masterdata.models import Partner
from crossdock.masterdata.reference import ensure_reference_data


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Both demos, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data()
        sync_roles()
        load_demo("small", seed=7)
        yield load_approvals_demo()
        transaction.set_rollback(True)


def inbox_of(username):
    steps = selectors.decidable_steps(User.objects.get(username=username))
    return sorted(step.request.document_label for step in steps)


def test_policies_and_requests(demo, db):
    assert (demo.policies, demo.pending_requests, demo.approved_at_once) == (6, 6, 1)
    active = ApprovalPolicy.objects.filter(status="active")
    assert sorted(active.values_list("company__code", "name")) == [
        ("NSE", "High-risk vendor onboarding"),
        ("NSE", "Price cuts above 10 %"),
        ("NSE", "Vendor bank-detail change"),
        ("NSUK", "High-risk vendor onboarding"),
        ("NSUK", "Price cuts above 10 %"),
        ("NSUK", "Vendor bank-detail change"),
    ]
    first = active.get(company__code="NSE", name="High-risk vendor onboarding").levels.first()
    assert (first.role, first.sla_hours, first.escalate_to.username) == (
        "purchasing-manager",
        24,
        "executive",
    )
    assert inbox_of("purchasing-manager") == [
        "S-ONB-1 Shenzhen Brightway Electronics Co., Ltd.",
        "S-ONB-2 Baltic Timber Trading UAB",
    ]
    controller = inbox_of("controller")
    assert controller[0] == "S-ONB-4 Anatolia Steel Sanayi A.S."
    assert len(controller) == 3  # and two bank-detail changes
    assert Partner.objects.get(code="S-ONB-3").approval_status == "approved"
    flagged = [
        bool(selectors.risk_flags(r.facts))
        for r in ApprovalRequest.objects.filter(document_type="vendor-bank-change").order_by("pk")
    ]
    assert flagged == [False, True]  # an account at home, then one abroad
    (price_cut,) = inbox_of("sales-manager")
    assert price_cut.startswith("PRICE/NSE-STD/")
    request = ApprovalRequest.objects.get(document_type="price-list-change")
    assert Decimal("14.9") < Decimal(request.facts["discount_pct"]) < Decimal("15.1")
    assert request.facts["lines"] == "3"
    assert request.requester is not None
    assert request.requester.username == "sales-rep"


def test_the_story_is_in_the_audit_trail_and_checks_pass(demo, db):
    actors = set(
        AuditEntry.objects.filter(action__startswith="approvals.").values_list(
            "action", "actor_label"
        )
    )
    assert ("approvals.submit", "buyer") in actors
    assert ("approvals.approve", "purchasing-manager") in actors
    assert ("approvals.policy.active", "controller") in actors
    _names, findings = run_checks()
    assert findings == [], findings


def test_loading_again_changes_nothing(demo, db):
    before = (ApprovalPolicy.objects.count(), ApprovalRequest.objects.count())
    again = load_approvals_demo()
    assert (again.policies, again.pending_requests) == (0, 0)
    assert (ApprovalPolicy.objects.count(), ApprovalRequest.objects.count()) == before
