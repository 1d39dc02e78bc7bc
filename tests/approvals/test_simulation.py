"""Simulating a draft policy on a fixed history, and the approval metrics."""

import datetime
from decimal import Decimal

from django.utils import timezone

from crossdock.approvals import selectors, services
from crossdock.approvals.documents import VENDOR_ONBOARDING
from crossdock.approvals.models import ApprovalRequest, ApprovalStep
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.context import Actor
from crossdock.masterdata.models import Partner
from tests.approvals.conftest import HIGH_RISK


def test_simulation_on_the_last_days_of_suppliers(company_a, people, new_supplier):
    for code, risk in (("A", "high"), ("B", "low"), ("C", "high"), ("D", "medium")):
        new_supplier(people["buyer"], code=code, risk=risk)
    new_supplier(people["head"], code="E", risk="high")
    draft = PolicyDraft(
        company_a.pk,
        VENDOR_ONBOARDING,
        "Try",
        HIGH_RISK,
        [
            LevelDraft(name="Manager", rule="manager"),
            LevelDraft(
                name="Controller",
                rule="user",
                user_id=people["controller"].pk,
                sla_hours=8,
                escalate_to_id=people["director"].pk,
            ),
        ],
    )
    history = selectors.documents_since(VENDOR_ONBOARDING, company_a.pk, days=30)
    assert len(history) == 5
    result = selectors.simulate(draft, history)
    assert result.documents == 5
    assert sorted(m["document"].split()[0] for m in result.matched) == ["A", "C", "E"]
    assert result.requests_per_approver == {
        "controller-1": 3,
        "director": 1,
        "head-of-purchasing": 2,
    }
    # No decision history yet: one day for the manager level, the SLA for the controller.
    assert result.expected_added_hours == 24 + 8
    assert not ApprovalRequest.objects.exists()  # nothing written


def test_metrics_per_policy_and_approver(company_a, people, make_policy, new_supplier):
    make_policy(HIGH_RISK, LevelDraft(name="Head", rule="user", user_id=people["head"].pk))
    approved = services.request_for(VENDOR_ONBOARDING, new_supplier(people["buyer"], "M1").pk)
    rejected = services.request_for(VENDOR_ONBOARDING, new_supplier(people["buyer"], "M2").pk)
    new_supplier(people["buyer"], "M3")
    start = timezone.now() - datetime.timedelta(hours=10)
    ApprovalRequest.objects.filter(pk__in=[approved.pk, rejected.pk]).update(submitted_at=start)
    ApprovalStep.objects.filter(request__in=[approved, rejected]).update(opened_at=start)
    services.decide(Actor.of(people["head"]), approved.pk, approve=True)
    services.decide(Actor.of(people["head"]), rejected.pk, approve=False, comment="no")
    requests = ApprovalRequest.objects.all()
    (metrics,) = selectors.policy_metrics(requests)
    assert (metrics.requests, metrics.approved, metrics.rejected, metrics.pending) == (3, 1, 1, 1)
    assert metrics.rejection_rate == 0.5
    assert round(Decimal(str(metrics.median_cycle_hours))) == 10
    (head,) = selectors.approver_metrics(requests)
    assert (head.approver, head.decided, head.open) == ("head-of-purchasing", 2, 1)
    assert selectors.aging(requests)["< 1 day"] == 1
    assert Partner.objects.filter(approval_status="pending").count() == 1
