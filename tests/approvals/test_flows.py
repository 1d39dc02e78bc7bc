"""Approval flows end to end through vendor onboarding: levels, rejection, SoD, delegation."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from crossdock.approvals import services
from crossdock.approvals.documents import VENDOR_ONBOARDING
from crossdock.approvals.models import ApprovalRequest, ApprovalStep, InboxMessage
from crossdock.approvals.policies import LevelDraft
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, PermissionDeniedError, SegregationOfDutiesError
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.records import update_record
from crossdock.masterdata.models import Partner
from tests.approvals.conftest import HIGH_RISK

PURCHASING = LevelDraft(name="Purchasing", rule="role", role="purchasing-manager")


def request_of(partner):
    return services.request_for(VENDOR_ONBOARDING, partner.pk)


def status_of(partner):
    return Partner.objects.get(pk=partner.pk).approval_status


def test_supplier_matching_no_policy_is_approved_at_once(people, make_policy, new_supplier):
    make_policy(HIGH_RISK, PURCHASING)
    supplier = new_supplier(people["buyer"], risk="low")
    assert status_of(supplier) == "approved"
    assert request_of(supplier) is None
    assert OutboxEvent.objects.filter(name="approvals.granted").count() == 1


def test_parallel_level_needs_its_minimum_then_approves(
    people, make_policy, new_supplier, django_capture_on_commit_callbacks
):
    make_policy(
        HIGH_RISK,
        LevelDraft(name="Two managers", rule="role", role="purchasing-manager", min_approvals=2),
    )
    with django_capture_on_commit_callbacks(execute=True):
        supplier = new_supplier(people["buyer"])
    request = request_of(supplier)
    assert status_of(supplier) == "pending"
    assert set(request.steps.values_list("approver__username", flat=True)) == {
        "head-of-purchasing",
        "deputy-purchasing",
    }
    services.decide(Actor.of(people["head"]), request.pk, approve=True)
    assert status_of(supplier) == "pending"
    services.decide(Actor.of(people["second"]), request.pk, approve=True, comment="fine")
    request.refresh_from_db()
    assert (request.status, status_of(supplier)) == ("approved", "approved")
    assert InboxMessage.objects.filter(recipient=people["buyer"], subject__startswith="Approved")
    assert any("deputy-purchasing@example.com" in m.to for m in mail.outbox)


def test_sequential_manager_chain_then_controller(people, make_policy, new_supplier):
    make_policy(
        HIGH_RISK,
        LevelDraft(name="Managers", rule="manager", mode="sequential", manager_depth=2),
        LevelDraft(name="Controller", rule="user", user_id=people["controller"].pk),
    )
    supplier = new_supplier(people["buyer"])
    request = request_of(supplier)
    steps = {s.approver.username: s.status for s in request.steps.all()}
    assert steps == {"head-of-purchasing": "pending", "director": "waiting"}
    with pytest.raises(PermissionDeniedError):
        services.decide(Actor.of(people["director"]), request.pk, approve=True)
    services.decide(Actor.of(people["head"]), request.pk, approve=True)
    services.decide(Actor.of(people["director"]), request.pk, approve=True)
    request.refresh_from_db()
    assert request.current_level == 2
    assert status_of(supplier) == "pending"
    services.decide(Actor.of(people["controller"]), request.pk, approve=True)
    assert status_of(supplier) == "approved"
    actions = list(
        AuditEntry.objects.filter(
            object_type="approvals.approvalrequest", object_id=str(request.pk)
        )
        .order_by("sequence")
        .values_list("action", "actor_label")
    )
    assert actions == [
        ("approvals.submit", "buyer-1"),
        ("approvals.approve", "head-of-purchasing"),
        ("approvals.approve", "director"),
        ("approvals.approve", "controller-1"),
    ]


def test_rejection_returns_to_requester_and_resubmission_reevaluates(
    people, make_policy, new_supplier
):
    make_policy(HIGH_RISK, PURCHASING)
    supplier = new_supplier(people["buyer"])
    first = request_of(supplier)
    with pytest.raises(DomainError, match="say why"):
        services.decide(Actor.of(people["head"]), first.pk, approve=False)
    services.decide(Actor.of(people["head"]), first.pk, approve=False, comment="No tax id")
    assert status_of(supplier) == "rejected"
    assert InboxMessage.objects.filter(recipient=people["buyer"], subject__contains="No tax id")
    # The buyer fixes the supplier (now medium risk) and submits again: no policy matches.
    update_record(
        Actor.of(people["buyer"]),
        Partner,
        supplier.pk,
        {"supplier_risk_class": "medium", "tax_id": "BE0123456789"},
    )
    outcome = services.submit(Actor.of(people["buyer"]), Partner.objects.get(pk=supplier.pk))
    assert outcome.approved
    assert status_of(supplier) == "approved"


def test_resubmitting_a_pending_document_cancels_the_old_request(people, make_policy, new_supplier):
    make_policy(HIGH_RISK, PURCHASING)
    supplier = new_supplier(people["buyer"])
    old = request_of(supplier)
    new = services.submit(Actor.of(people["buyer"]), supplier).request
    old.refresh_from_db()
    assert old.status == "cancelled"
    assert set(old.steps.values_list("status", flat=True)) == {"skipped"}
    assert new.status == "pending"
    assert new.pk != old.pk


def test_decisions_are_guarded(people, make_policy, new_supplier):
    make_policy(HIGH_RISK, PURCHASING)
    supplier = new_supplier(people["head"])  # a manager requests: they may not approve it
    request = request_of(supplier)
    assert not request.steps.filter(approver=people["head"]).exists()
    with pytest.raises(SegregationOfDutiesError):
        services.decide(Actor.of(people["head"]), request.pk, approve=True)
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDeniedError):
        services.decide(Actor.of(people["controller"]), request.pk, approve=True)
    assert AuditEntry.objects.count() == before
    services.decide(Actor.of(people["second"]), request.pk, approve=True)
    after_first = AuditEntry.objects.count()
    again = services.decide(Actor.of(people["second"]), request.pk, approve=True)
    assert again.status == "approved"
    assert AuditEntry.objects.count() == after_first  # approving twice changes nothing


def test_delegation_routes_to_the_delegate_only_inside_its_window(
    people, make_policy, new_supplier
):
    make_policy(HIGH_RISK, LevelDraft(name="Head", rule="user", user_id=people["head"].pk))
    today = timezone.now().date()
    with pytest.raises(DomainError, match="end on or after"):
        services.set_delegation(
            Actor.of(people["head"]),
            delegator=people["head"],
            delegate=people["second"],
            starts_on=today,
            ends_on=today - datetime.timedelta(days=1),
        )
    with pytest.raises(PermissionDeniedError):
        services.set_delegation(
            Actor.of(people["buyer"]),
            delegator=people["head"],
            delegate=people["buyer"],
            starts_on=today,
            ends_on=today,
        )
    services.set_delegation(
        Actor.of(people["head"]),
        delegator=people["head"],
        delegate=people["second"],
        starts_on=today + datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=9),
    )
    outside = request_of(new_supplier(people["buyer"], code="S-OUT"))
    assert list(outside.steps.values_list("approver__username", flat=True)) == [
        "head-of-purchasing"
    ]
    services.set_delegation(
        Actor.of(people["head"]),
        delegator=people["head"],
        delegate=people["second"],
        starts_on=today,
        ends_on=today,
        reason="Trade fair",
    )
    inside = request_of(new_supplier(people["buyer"], code="S-IN"))
    step = inside.steps.get()
    assert (step.approver, step.on_behalf_of) == (people["second"], people["head"])
    # The delegate may also act on the step opened before the delegation started.
    services.decide(Actor.of(people["second"]), outside.pk, approve=True)
    assert ApprovalStep.objects.get(request=outside).on_behalf_of == people["head"]
    assert AuditEntry.objects.filter(object_type="approvals.delegation").count() == 2


def test_escalation_moves_overdue_steps_to_the_fallback(people, make_policy, new_supplier):
    make_policy(
        HIGH_RISK,
        LevelDraft(
            name="Head",
            rule="user",
            user_id=people["head"].pk,
            sla_hours=4,
            escalate_to_id=people["director"].pk,
        ),
    )
    supplier = new_supplier(people["buyer"])
    request = request_of(supplier)
    assert services.escalate_overdue(timezone.now() + datetime.timedelta(hours=3)) == 0
    assert services.escalate_overdue(timezone.now() + datetime.timedelta(hours=5)) == 1
    steps = {s.approver.username: s.status for s in request.steps.all()}
    assert steps == {"head-of-purchasing": "escalated", "director": "pending"}
    assert InboxMessage.objects.filter(
        recipient=people["director"], subject__startswith="Escalated to you"
    )
    services.decide(Actor.of(people["director"]), request.pk, approve=True)
    assert status_of(supplier) == "approved"
    assert OutboxEvent.objects.filter(name="approvals.escalated").count() == 1


def test_bulk_approve_reports_each_request(people, make_policy, new_supplier):
    make_policy(HIGH_RISK, PURCHASING)
    ids = [request_of(new_supplier(people["buyer"], code=f"B{i}")).pk for i in range(3)]
    results = services.bulk_approve(Actor.of(people["head"]), [*ids, 999999])
    assert [r.ok for r in results] == [True, True, True, False]
    assert ApprovalRequest.objects.filter(pk__in=ids, status="approved").count() == 3
