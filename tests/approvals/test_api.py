"""The approvals REST API: policies, simulation, decisions, bulk, delegations, isolation."""

import datetime

import pytest
from django.utils import timezone

from crossdock.approvals import services
from crossdock.approvals.documents import VENDOR_ONBOARDING
from crossdock.approvals.models import (
    ApprovalPolicy,
    ApprovalRequest,
    ApprovalStep,
    BudgetOwner,
    Delegation,
)
from crossdock.approvals.policies import LevelDraft
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.masterdata.models import Partner
from tests import factories
from tests.api.conftest import ApiClient
from tests.approvals.conftest import HIGH_RISK

HEAD_ONLY = "head"


@pytest.fixture
def api(people):
    """``api("head")`` → a token client acting as one of the ``people``."""
    return lambda name: ApiClient(people[name])


@pytest.fixture
def head_policy(people, make_policy):
    return make_policy(HIGH_RISK, LevelDraft(name="Head", rule="user", user_id=people["head"].pk))


def policy_body(owner, **changes):
    body = {
        "company": owner.pk,
        "document_type": VENDOR_ONBOARDING,
        "name": "High-risk suppliers",
        "condition": HIGH_RISK,
        "levels": [
            {"name": "Purchasing", "rule": "role", "role": "purchasing-manager"},
            {"name": "Controller", "rule": "role", "role": "controller", "mode": "sequential"},
        ],
    }
    return body | changes


def pending_request(new_supplier, people, code="S1", risk="high"):
    supplier = new_supplier(people["buyer"], code=code, risk=risk)
    return services.request_for(VENDOR_ONBOARDING, supplier.pk)


# -- policies --------------------------------------------------------------------------------


def test_policy_lifecycle_create_read_replace_activate_retire(api, company_a, people):
    controller = api("controller")
    created = controller.post("approval-policies", policy_body(company_a))
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["version"], created["ETag"]) == ("draft", 1, '"1"')
    assert [(lv["sequence"], lv["name"], lv["mode"]) for lv in body["levels"]] == [
        (1, "Purchasing", "parallel"),
        (2, "Controller", "sequential"),
    ]
    policy_id = body["id"]

    listed = controller.get("approval-policies", {"status": "draft"}).json()
    assert [p["id"] for p in listed["items"]] == [policy_id]
    assert controller.get(f"approval-policies/{policy_id}").json() == body

    changed = policy_body(company_a, name="Risky suppliers", levels=body["levels"][:1])
    changed["levels"] = [{k: v for k, v in changed["levels"][0].items() if k != "sequence"}]
    replaced = controller.put(f"approval-policies/{policy_id}", changed, HTTP_IF_MATCH='"1"')
    assert replaced.status_code == 200, replaced.content
    assert (replaced.json()["name"], replaced.json()["version"]) == ("Risky suppliers", 2)
    assert len(replaced.json()["levels"]) == 1

    stale = controller.put(f"approval-policies/{policy_id}", changed, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale-version"

    activated = controller.post(f"approval-policies/{policy_id}/activate")
    assert (activated.status_code, activated.json()["status"]) == (200, "active")
    retired = controller.post(f"approval-policies/{policy_id}/retire")
    assert (retired.status_code, retired.json()["status"]) == (200, "retired")
    actions = list(
        AuditEntry.objects.filter(object_type="approvals.approvalpolicy")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "create",
        "approvals.policy.save",
        "approvals.policy.active",
        "approvals.policy.retired",
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"condition": {"field": "amount", "op": ">", "value": "1"}},
            "condition",
            "condition.field: unknown field 'amount'",
        ),
        (
            {"condition": {"all": [HIGH_RISK, {"field": "currency", "op": ">", "value": "E"}]}},
            "condition",
            "condition.all[1].op: '>' does not apply to currency",
        ),
        (
            {"condition": {"field": "supplier_risk_class", "op": "==", "value": 1.5}},
            "condition",
            "condition.value:",
        ),
        (
            {"condition": {"all": [HIGH_RISK, {"not": HIGH_RISK}]}},
            "condition",
            "No document can ever match this condition.",
        ),
        (
            {"levels": [{"name": "x", "rule": "role", "role": "pilot"}]},
            "levels[0]",
            "Unknown role 'pilot'.",
        ),
        (
            {"levels": [{"name": "x", "rule": "robot"}]},
            "levels[0].rule",
            "Input should be",
        ),
        (
            {"levels": [{"name": "x", "rule": "user", "user": 999999}]},
            "levels[0]",
            "No user could ever approve this level",
        ),
        (
            {"levels": [{"name": "x", "rule": "manager", "sla_hours": 8, "escalate_to": 999999}]},
            "levels[0]",
            "The user to escalate to is inactive or has no access to the company.",
        ),
        ({"levels": []}, "levels", "A policy needs at least one level."),
        ({"document_type": "spaceship"}, "document_type", "Unknown document type."),
        ({"company": 999999}, "company", "No company with id 999999."),
    ],
)
def test_a_bad_policy_is_a_422_naming_the_field_and_nothing_is_written(
    api, company_a, people, changes, field, message
):
    before = (ApprovalPolicy.objects.count(), AuditEntry.objects.count())
    response = api("controller").post("approval-policies", policy_body(company_a, **changes))
    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["code"] == "invalid"
    assert any(message in text for text in problem["errors"][field]), problem
    assert (ApprovalPolicy.objects.count(), AuditEntry.objects.count()) == before


def test_too_complex_a_condition_is_refused_not_a_crash(api, company_a, people):
    either = {"any": [HIGH_RISK, {"field": "currency", "op": "==", "value": "EUR"}]}
    response = api("controller").post(
        "approval-policies", policy_body(company_a, condition={"all": [either] * 10})
    )
    assert response.status_code == 422
    assert "too complex" in response.json()["errors"]["condition"][0]


def test_activating_an_overlapping_policy_is_refused(api, company_a, people, make_policy):
    make_policy(HIGH_RISK, LevelDraft(name="Head", rule="user", user_id=people["head"].pk))
    controller = api("controller")
    body = policy_body(
        company_a,
        name="Medium and high",
        condition={"field": "supplier_risk_class", "op": "in", "value": ["medium", "high"]},
    )
    draft = controller.post("approval-policies", body).json()
    response = controller.post(f"approval-policies/{draft['id']}/activate")
    assert response.status_code == 422
    assert "Overlaps" in response.json()["errors"]["condition"][0]
    assert ApprovalPolicy.objects.get(pk=draft["id"]).status == "draft"


def test_simulation_shows_matches_and_load_without_writing(api, company_a, people, new_supplier):
    for code, risk in (("A", "high"), ("B", "low"), ("C", "high")):
        new_supplier(people["buyer"], code=code, risk=risk)
    body = policy_body(company_a, days=30)
    body["levels"] = [
        {"name": "Manager", "rule": "manager"},
        {
            "name": "Controller",
            "rule": "user",
            "user": people["controller"].pk,
            "sla_hours": 8,
            "escalate_to": people["director"].pk,
        },
    ]
    response = api("head").post("approval-policies/simulate", body)
    assert response.status_code == 200, response.content
    result = response.json()
    assert (result["days"], result["documents"], result["unroutable"]) == (30, 3, 0)
    assert sorted(m["document"] for m in result["matched"]) == ["A Supplier A", "C Supplier C"]
    assert result["matched"][0]["route"][0] == {
        "level": "Manager",
        "approvers": ["head-of-purchasing"],
    }
    assert result["requests_per_approver"] == {"controller-1": 2, "head-of-purchasing": 2}
    assert result["expected_added_hours"] == 24 + 8
    assert not ApprovalPolicy.objects.exists()
    assert not ApprovalRequest.objects.exists()


def test_simulation_validates_the_draft_too(api, company_a, people):
    body = policy_body(company_a, condition={"field": "nope", "op": "==", "value": "x"})
    response = api("head").post("approval-policies/simulate", body | {"days": 0})
    assert response.status_code == 422
    assert "days" in response.json()["errors"]
    response = api("head").post("approval-policies/simulate", body)
    assert response.status_code == 422
    assert "unknown field 'nope'" in response.json()["errors"]["condition"][0]


# -- requests and decisions ------------------------------------------------------------------


def test_my_inbox_lists_only_what_waits_for_me(api, people, head_policy, new_supplier):
    request = pending_request(new_supplier, people)
    mine = api("head").get("approval-requests", {"mine": "true"}).json()
    assert [r["id"] for r in mine["items"]] == [request.pk]
    assert mine["items"][0]["facts"]["supplier_risk_class"] == "high"
    assert api("second").get("approval-requests", {"mine": "true"}).json()["items"] == []
    # Everyone in the company sees the request itself.
    everything = api("second").get("approval-requests", {"status": "pending"}).json()
    assert [r["id"] for r in everything["items"]] == [request.pk]
    assert api("second").get("approval-requests", {"status": "approved"}).json()["items"] == []


def test_request_detail_carries_the_decision_context(api, people, head_policy, new_supplier):
    request = pending_request(new_supplier, people)
    response = api("head").get(f"approval-requests/{request.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["document_type_label"] == "Vendor onboarding"
    assert body["summary"]["Supplier"] == "S1 Supplier S1"
    assert body["facts_labelled"]["Supplier risk class"] == "high"
    assert [(s["approver_label"], s["status"]) for s in body["steps"]] == [
        ("head-of-purchasing", "pending")
    ]
    assert body["can_decide"] is True
    assert "object_type=approvals.approvalrequest" in body["audit_url"]
    assert api("second").get(f"approval-requests/{request.pk}").json()["can_decide"] is False


def test_approve_is_idempotent_and_honours_the_idempotency_key(
    api, people, head_policy, new_supplier
):
    request = pending_request(new_supplier, people)
    head = api("head")
    first = head.post(f"approval-requests/{request.pk}/approve", {"comment": "ok"})
    assert first.status_code == 200, first.content
    assert (first.json()["status"], first.json()["steps"][0]["comment"]) == ("approved", "ok")
    assert Partner.objects.get(code="S1").approval_status == "approved"
    entries = AuditEntry.objects.count()
    again = head.post(f"approval-requests/{request.pk}/approve", {"comment": "ok"})
    assert (again.status_code, again.json()["status"]) == (200, "approved")
    assert AuditEntry.objects.count() == entries  # acting twice changes nothing

    other = pending_request(new_supplier, people, code="S2")
    keyed = head.post(f"approval-requests/{other.pk}/approve", {}, HTTP_IDEMPOTENCY_KEY="k-1")
    replay = head.post(f"approval-requests/{other.pk}/approve", {}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == keyed.content


def test_someone_without_an_open_step_gets_403_and_nothing_changes(
    api, people, head_policy, new_supplier
):
    request = pending_request(new_supplier, people)
    before = (
        AuditEntry.objects.count(),
        list(ApprovalStep.objects.values_list("status", "approver_id")),
    )
    for name in ("second", "controller", "director"):
        for action, body in (("approve", {}), ("reject", {"comment": "no"})):
            response = api(name).post(f"approval-requests/{request.pk}/{action}", body)
            assert response.status_code == 403, (name, action, response.content)
            assert response.json()["code"] == "forbidden"
    # The requester may not decide on their own request (segregation of duties).
    response = api("buyer").post(f"approval-requests/{request.pk}/approve")
    assert (response.status_code, response.json()["code"]) == (403, "segregation-of-duties")
    after = (
        AuditEntry.objects.count(),
        list(ApprovalStep.objects.values_list("status", "approver_id")),
    )
    assert after == before
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"


def test_reject_needs_a_comment_and_returns_the_supplier(api, people, head_policy, new_supplier):
    request = pending_request(new_supplier, people)
    head = api("head")
    refused = head.post(f"approval-requests/{request.pk}/reject", {"comment": "  "})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"comment": ["Required."]}
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"
    rejected = head.post(f"approval-requests/{request.pk}/reject", {"comment": "no tax id"})
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    assert Partner.objects.get(code="S1").approval_status == "rejected"
    unknown = head.post(f"approval-requests/{request.pk}/reject", {"comment": "x", "extra": 1})
    assert unknown.status_code == 422
    assert "extra" in unknown.json()["errors"]


def test_bulk_approve_reports_each_request(api, people, head_policy, new_supplier, company_a):
    first = pending_request(new_supplier, people, code="B1")
    second = pending_request(new_supplier, people, code="B2")
    response = api("head").post(
        "approval-requests/bulk-approve", {"ids": [first.pk, second.pk, first.pk, 999999]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["results"] == [
        {"request": first.pk, "ok": True, "message": "approved"},
        {"request": second.pk, "ok": True, "message": "approved"},
        {"request": 999999, "ok": False, "message": "No approval request with id 999999."},
    ]
    assert set(Partner.objects.filter(code__in=["B1", "B2"]).values_list("approval_status")) == {
        ("approved",)
    }
    empty = api("head").post("approval-requests/bulk-approve", {"ids": []})
    assert empty.status_code == 422


def test_other_companies_requests_are_not_found(
    api, people, head_policy, new_supplier, company_b, make_policy
):
    request = pending_request(new_supplier, people)
    outsider = factories.user(Role.PURCHASING_MANAGER, companies=[company_b])
    client = ApiClient(outsider)
    assert client.get(f"approval-requests/{request.pk}").status_code == 404
    response = client.post(f"approval-requests/{request.pk}/approve")
    assert (response.status_code, response.json()["code"]) == (404, "not-found")
    assert client.get("approval-requests").json()["items"] == []
    assert client.get("approval-policies").json()["items"] == []
    assert client.get(f"approval-policies/{head_policy.pk}").status_code == 404
    response = client.put(f"approval-policies/{head_policy.pk}", policy_body(company_b))
    assert response.status_code in (403, 404)  # 403: a purchasing manager may not change policies
    foreign = ApiClient(factories.user(Role.CONTROLLER, companies=[company_b]))
    assert foreign.post(f"approval-policies/{head_policy.pk}/retire").status_code == 404
    # Naming another company in a new policy is refused as an unknown reference.
    response = foreign.post("approval-policies", policy_body(people["head"].access.companies.get()))
    assert response.status_code == 422
    assert "company" in response.json()["errors"]
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"


def test_list_filters_and_cursor_pagination(api, people, head_policy, new_supplier):
    ids = [pending_request(new_supplier, people, code=f"P{n}").pk for n in range(3)]
    head = api("head")
    page = head.get("approval-requests", {"limit": 2, "ordering": "submitted_at"}).json()
    assert [r["id"] for r in page["items"]] == ids[:2]
    rest = head.get(
        "approval-requests", {"limit": 2, "ordering": "submitted_at", "cursor": page["next_cursor"]}
    ).json()
    assert ([r["id"] for r in rest["items"]], rest["next_cursor"]) == (ids[2:], None)
    assert head.get("approval-requests", {"document_type": "other"}).json()["items"] == []
    bad = head.get("approval-requests", {"colour": "red"})
    assert (bad.status_code, list(bad.json()["errors"])) == (422, ["colour"])


# -- delegations, budget owners, metrics ------------------------------------------------------


def test_delegating_my_approvals(api, people, company_b):
    head = api("head")
    today = timezone.now().date()
    body = {
        "delegate": people["second"].pk,
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=7)).isoformat(),
        "reason": "Holiday",
    }
    created = head.post("delegations", body)
    assert created.status_code == 201, created.content
    assert created.json()["delegate_label"] == "deputy-purchasing"
    assert [d["id"] for d in head.get("delegations").json()["items"]] == [created.json()["id"]]
    assert len(api("second").get("delegations").json()["items"]) == 1  # the delegate sees it
    assert api("controller").get("delegations").json()["items"] == []

    backwards = head.post("delegations", body | {"ends_on": "2000-01-01"})
    assert (backwards.status_code, list(backwards.json()["errors"])) == (422, ["ends_on"])
    stranger = factories.user(Role.PURCHASING_MANAGER, companies=[company_b])
    elsewhere = head.post("delegations", body | {"delegate": stranger.pk})
    assert (elsewhere.status_code, list(elsewhere.json()["errors"])) == (422, ["delegate"])
    for_someone_else = head.post("delegations", body | {"delegator": people["buyer"].pk})
    assert for_someone_else.status_code == 403
    assert Delegation.objects.count() == 1


def test_delegate_sees_and_decides_steps_opened_before_the_delegation(
    api, people, head_policy, new_supplier
):
    request = pending_request(new_supplier, people)
    today = timezone.now().date()
    services.set_delegation(
        services.Actor.of(people["head"]),
        delegator=people["head"],
        delegate=people["second"],
        starts_on=today,
        ends_on=today,
    )
    deputy = api("second")
    assert [r["id"] for r in deputy.get("approval-requests", {"mine": True}).json()["items"]] == [
        request.pk
    ]
    response = deputy.post(f"approval-requests/{request.pk}/approve")
    assert (response.status_code, response.json()["status"]) == (200, "approved")


def test_budget_owners_are_set_and_replaced(api, people, company_a):
    category = factories.category()
    controller = api("controller")
    body = {"company": company_a.pk, "category": category.pk, "owner": people["head"].pk}
    created = controller.post("budget-owners", body)
    assert created.status_code == 201, created.content
    replaced = controller.post("budget-owners", body | {"owner": people["second"].pk})
    assert (replaced.status_code, replaced.json()["owner_label"]) == (200, "deputy-purchasing")
    assert BudgetOwner.objects.get().owner == people["second"]
    listed = api("head").get("budget-owners").json()["items"]
    assert [(b["category_path"], b["version"]) for b in listed] == [(category.path, 2)]
    assert api("buyer").post("budget-owners", body).status_code == 403
    bad = controller.post("budget-owners", body | {"owner": 999999})
    assert (bad.status_code, list(bad.json()["errors"])) == (422, ["owner"])


def test_metrics(api, people, head_policy, new_supplier):
    approved = pending_request(new_supplier, people, code="M1")
    pending_request(new_supplier, people, code="M2")
    api("head").post(f"approval-requests/{approved.pk}/approve")
    response = api("controller").get("approval-metrics")
    assert response.status_code == 200, response.content
    body = response.json()
    (policy,) = body["policies"]
    assert (policy["requests"], policy["approved"], policy["pending"]) == (2, 1, 1)
    assert [(a["approver"], a["decided"], a["open"]) for a in body["approvers"]] == [
        ("head-of-purchasing", 1, 1)
    ]
    assert body["aging"]["< 1 day"] == 1
    assert api("buyer").get("approval-metrics").status_code == 403
