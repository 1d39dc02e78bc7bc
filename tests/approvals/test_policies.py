"""Policies are validated on save: bad conditions, unreachable levels, ambiguous overlaps."""

import pytest

from crossdock.approvals import policies
from crossdock.approvals.documents import VENDOR_ONBOARDING
from crossdock.approvals.models import ApprovalPolicy
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.errors import DomainError
from crossdock.core.models import AuditEntry
from tests.approvals.conftest import HIGH_RISK, SYSTEM

PURCHASING = LevelDraft(name="Purchasing", rule="role", role="purchasing-manager")


def draft(company, condition, *levels, name="P"):
    return PolicyDraft(company.pk, VENDOR_ONBOARDING, name, condition, list(levels))


def refused(company, condition, *levels, **kwargs):
    before = (ApprovalPolicy.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as error:
        policies.save_policy(SYSTEM, draft(company, condition, *levels), **kwargs)
    assert (ApprovalPolicy.objects.count(), AuditEntry.objects.count()) == before
    return error.value


def test_invalid_condition_and_levels_are_refused_with_reasons(company_a, people):
    error = refused(company_a, {"field": "amount", "op": ">", "value": "1"}, PURCHASING)
    assert "unknown field 'amount'" in error.fields["condition"][0]
    error = refused(company_a, HIGH_RISK, LevelDraft(name="x", rule="role", role="pilot"))
    assert error.fields["levels[0]"] == ["Unknown role 'pilot'."]
    error = refused(company_a, HIGH_RISK)
    assert error.fields["levels"] == ["A policy needs at least one level."]
    error = refused(company_a, HIGH_RISK, LevelDraft(name="x", rule="role", role="sales-rep"))
    assert "No user could ever approve" in error.fields["levels[0]"][0]
    error = refused(
        company_a,
        HIGH_RISK,
        LevelDraft(name="x", rule="role", role="purchasing-manager", min_approvals=3),
    )
    assert "only 2 user(s)" in error.fields["levels[0]"][0]
    error = refused(
        company_a,
        HIGH_RISK,
        LevelDraft(name="x", rule="role", role="purchasing-manager", sla_hours=8),
    )
    assert "escalate" in error.fields["levels[0]"][0]
    error = refused(company_a, {"all": [HIGH_RISK, {"not": HIGH_RISK}]}, PURCHASING)
    assert error.fields["condition"] == ["No document can ever match this condition."]


def test_overlapping_active_policies_with_different_outcomes_are_refused(company_a, people):
    policy = policies.save_policy(SYSTEM, draft(company_a, HIGH_RISK, PURCHASING, name="High"))
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    risky = {"field": "supplier_risk_class", "op": "in", "value": ["medium", "high"]}
    other = policies.save_policy(
        SYSTEM,
        draft(
            company_a,
            risky,
            LevelDraft(name="C", rule="user", user_id=people["controller"].pk),
            name="Mid",
        ),
    )  # a draft may overlap ...
    with pytest.raises(DomainError, match="overlaps the active policy “High”"):
        policies.set_policy_status(SYSTEM, other.pk, "active")  # ... but cannot go live
    assert ApprovalPolicy.objects.get(pk=other.pk).status == "draft"
    same_outcome = policies.save_policy(SYSTEM, draft(company_a, risky, PURCHASING, name="Same"))
    policies.set_policy_status(SYSTEM, same_outcome.pk, "active")  # same approvers: harmless
    medium = {"field": "supplier_risk_class", "op": "==", "value": "medium"}
    policies.save_policy(
        SYSTEM, draft(company_a, medium, PURCHASING, name="Mid"), policy_id=other.pk
    )


def test_policy_changes_are_audited_with_levels(company_a, people):
    policy = policies.save_policy(SYSTEM, draft(company_a, HIGH_RISK, PURCHASING, name="High"))
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    entries = AuditEntry.objects.filter(
        object_type="approvals.approvalpolicy", object_id=str(policy.pk)
    ).order_by("sequence")
    assert [e.action for e in entries] == ["create", "approvals.policy.active"]
    assert entries[0].after["levels"][0]["role"] == "purchasing-manager"
