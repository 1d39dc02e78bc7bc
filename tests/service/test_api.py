"""The service API: the case flow, refusals as problem+json naming the field, Idempotency-Key,
If-Match, filters and pages — and the permission matrix of every "Service" endpoint × role."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.service.models import ServiceCase, SLAPolicy
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM
from tests.permission_matrix import allows_all, assert_answer, tagged_operations
from tests.service.conftest import hours, make_case

CASE = "service.servicecase"
SLA = "service.slapolicy"


@pytest.fixture
def agent_api(agent):
    return ApiClient(agent)


def test_a_case_from_opening_to_closing(agent_api, customer_a, policies):
    opened = agent_api.post(
        "service-cases",
        {"customer": customer_a.pk, "subject": "Wrong colour", "category": "complaint"},
        HTTP_IDEMPOTENCY_KEY="case-1",
    )
    assert opened.status_code == 201, opened.content
    body = opened.json()
    assert (body["number"], body["status"], body["priority"]) == (
        "SC/ACME/000001",
        "open",
        "normal",
    )
    assert opened["ETag"] == '"1"'
    replay = agent_api.post(
        "service-cases",
        {"customer": customer_a.pk, "subject": "Wrong colour", "category": "complaint"},
        HTTP_IDEMPOTENCY_KEY="case-1",
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert ServiceCase.objects.count() == 1
    pk = body["id"]
    answered = agent_api.post(
        f"service-cases/{pk}/respond", {"note": "Sorry!"}, HTTP_IF_MATCH='"1"'
    )
    assert answered.json()["status"] == "in_progress"
    assert answered.json()["first_response_at"] is not None
    stale = agent_api.post(f"service-cases/{pk}/resolve", {"note": "x"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert ServiceCase.objects.get(pk=pk).status == "in_progress"
    resolved = agent_api.post(f"service-cases/{pk}/resolve", {"note": "Swapped", "version": 2})
    assert (resolved.json()["status"], resolved.json()["resolution"]) == ("resolved", "Swapped")
    closed = agent_api.post(f"service-cases/{pk}/close", {})
    assert closed.json()["status"] == "closed"
    again = agent_api.post(f"service-cases/{pk}/close", {})
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")
    assert "status" in again.json()["errors"]
    assert agent_api.post(f"service-cases/{pk}/reopen", {"note": "Back"}).json()["status"] == "open"


def test_bad_input_names_the_field_and_writes_nothing(agent_api, customer_a):
    entries = AuditEntry.objects.count()
    for body, field in (
        ({"customer": customer_a.pk, "subject": "x", "category": "gossip"}, "category"),
        ({"customer": customer_a.pk, "subject": "x", "category": "enquiry", "sales_order": 99999},
         "sales_order"),
        ({"customer": 99999, "subject": "x", "category": "enquiry"}, "customer"),
    ):  # fmt: skip
        refused = agent_api.post("service-cases", body)
        assert refused.status_code == 422, refused.content
        assert field in str(refused.json()["errors"]), refused.json()
    assert (ServiceCase.objects.count(), AuditEntry.objects.count()) == (0, entries)


def test_patch_changes_what_was_sent_and_moves_due_times(
    agent_api, agent_actor, customer_a, policies
):
    case = make_case(agent_actor, customer_a)
    changed = agent_api.patch(
        f"service-cases/{case.pk}", {"priority": "urgent"}, HTTP_IF_MATCH='"1"'
    )
    assert changed.status_code == 200, changed.content
    data = changed.json()
    assert (data["priority"], data["subject"], data["version"]) == ("urgent", case.subject, 2)
    assert data["resolve_due"] == (case.opened_at + hours(8)).isoformat()
    stale = agent_api.patch(f"service-cases/{case.pk}", {"subject": "New"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert ServiceCase.objects.get(pk=case.pk).subject == case.subject


def test_filters_and_pages(agent_api, agent_actor, agent, customer_a, policies):
    now = timezone.now()
    late = make_case(agent_actor, customer_a, opened_at=now - hours(30))
    fresh = make_case(agent_actor, customer_a, opened_at=now, priority="urgent")
    agent_api.post(f"service-cases/{fresh.pk}/assign", {"owner": agent.pk})

    def ids(query: str) -> list[int]:
        response = agent_api.get(f"service-cases?{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids("overdue=true") == [late.pk]
    assert ids("overdue=false") == [fresh.pk]
    assert ids(f"owner={agent.pk}") == [fresh.pk]
    assert ids("priority=urgent") == [fresh.pk]
    assert ids("status=open&ordering=opened_at") == [late.pk, fresh.pk]
    first = agent_api.get("service-cases?limit=1").json()
    assert [i["id"] for i in first["items"]] == [fresh.pk]
    second = agent_api.get(f"service-cases?limit=1&cursor={first['next_cursor']}").json()
    assert ([i["id"] for i in second["items"]], second["next_cursor"]) == ([late.pk], None)
    refused = agent_api.get("service-cases?status=lost")
    assert (refused.status_code, list(refused.json()["errors"])) == (422, ["status"])
    assert agent_api.get("service-cases?colour=red").status_code == 422


def test_sla_policies_are_kept_by_the_sales_manager(company_a, agent_api):
    manager = ApiClient(factories.user(Role.SALES_MANAGER, companies=[company_a]))
    body = {
        "company": company_a.pk,
        "priority": "high",
        "response_hours": 2,
        "resolution_hours": 12,
    }
    assert agent_api.post("sla-policies", body).status_code == 403
    created = manager.post("sla-policies", body)
    assert created.status_code == 201, created.content
    twice = manager.post("sla-policies", body)
    assert (twice.status_code, list(twice.json()["errors"])) == (422, ["priority"])
    pk = created.json()["id"]
    bad = manager.patch(f"sla-policies/{pk}", {"resolution_hours": 1})
    assert (bad.status_code, list(bad.json()["errors"])) == (422, ["resolution_hours"])
    assert manager.patch(f"sla-policies/{pk}", {"resolution_hours": 10}).json()["version"] == 2
    assert SLAPolicy.objects.get(pk=pk).resolution_hours == 10


# -- the permission matrix -------------------------------------------------------------------

ROLES = list(Role)


class Matrix:
    def __init__(self) -> None:
        self.company = factories.company("SVX", name="Service matrix")
        self.customer = factories.partner(self.company)
        self.case = make_case(SYSTEM, self.customer)
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[self.company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}
        self.policy = self.new_policy("low")

    def fresh(self, *steps: str) -> int:
        case = make_case(SYSTEM, self.customer)
        from crossdock.service.services.status import change_status

        for step in steps:
            change_status(SYSTEM, case.pk, step)
        return case.pk

    def new_policy(self, priority: str) -> int:
        from crossdock.service.services.policies import PolicyDraft, save_policy

        SLAPolicy.objects.filter(company=self.company, priority=priority).delete()
        return save_policy(SYSTEM, PolicyDraft(self.company.pk, priority, 1, 2)).pk

    def policy_body(self) -> dict[str, Any]:
        SLAPolicy.objects.filter(company=self.company, priority="urgent").delete()
        return {"company": self.company.pk, "priority": "urgent", "response_hours": 1,
                "resolution_hours": 4}  # fmt: skip


# name: (method, OpenAPI path, permissions needed, status when allowed, call)
ENDPOINTS: dict[str, tuple[str, str, list[tuple[str, str]], int, Any]] = {
    "list": ("get", "/api/v1/service-cases", [(CASE, "view")], 200,
             lambda c, m: c.get("service-cases")),
    "open": ("post", "/api/v1/service-cases", [(CASE, "add")], 201,
             lambda c, m: c.post("service-cases", {"customer": m.customer.pk, "subject": "Hi",
                                                   "category": "enquiry"})),
    "get": ("get", "/api/v1/service-cases/{id}", [(CASE, "view")], 200,
            lambda c, m: c.get(f"service-cases/{m.case.pk}")),
    "patch": ("patch", "/api/v1/service-cases/{id}", [(CASE, "change")], 200,
              lambda c, m: c.patch(f"service-cases/{m.fresh()}", {"priority": "high"})),
    "assign": ("post", "/api/v1/service-cases/{id}/assign", [(CASE, "change")], 200,
               lambda c, m: c.post(f"service-cases/{m.fresh()}/assign", {"owner": None})),
    "respond": ("post", "/api/v1/service-cases/{id}/respond", [(CASE, "change")], 200,
                lambda c, m: c.post(f"service-cases/{m.fresh()}/respond", {})),
    "status": ("post", "/api/v1/service-cases/{id}/status", [(CASE, "change")], 200,
               lambda c, m: c.post(f"service-cases/{m.fresh()}/status", {"status": "waiting"})),
    "resolve": ("post", "/api/v1/service-cases/{id}/resolve", [(CASE, "change")], 200,
                lambda c, m: c.post(f"service-cases/{m.fresh()}/resolve", {})),
    "close": ("post", "/api/v1/service-cases/{id}/close", [(CASE, "change")], 200,
              lambda c, m: c.post(f"service-cases/{m.fresh('resolved')}/close", {})),
    "reopen": ("post", "/api/v1/service-cases/{id}/reopen", [(CASE, "change")], 200,
               lambda c, m: c.post(f"service-cases/{m.fresh('resolved')}/reopen", {})),
    "list-policies": ("get", "/api/v1/sla-policies", [(SLA, "view")], 200,
                      lambda c, m: c.get("sla-policies")),
    "create-policy": ("post", "/api/v1/sla-policies", [(SLA, "add")], 201,
                      lambda c, m: c.post("sla-policies", m.policy_body())),
    "get-policy": ("get", "/api/v1/sla-policies/{id}", [(SLA, "view")], 200,
                   lambda c, m: c.get(f"sla-policies/{m.policy}")),
    "patch-policy": ("patch", "/api/v1/sla-policies/{id}", [(SLA, "change")], 200,
                     lambda c, m: c.patch(f"sla-policies/{m.policy}", {"response_hours": 2})),
    "delete-policy": ("delete", "/api/v1/sla-policies/{id}", [(SLA, "delete")], 204,
                      lambda c, m: c.delete(f"sla-policies/{m.new_policy('high')}")),
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_permission_matrix(db, role):
    matrix = Matrix()
    for endpoint, (_method, _path, needs, allowed, call) in ENDPOINTS.items():
        response = call(matrix.clients[role], matrix)
        assert_answer(
            response, allowed=allowed, permitted=allows_all(role, needs), case=(role, endpoint)
        )


def test_the_matrix_covers_every_service_endpoint(db):
    assert tagged_operations("Service") == {
        (method, path) for method, path, *_ in ENDPOINTS.values()
    }


def test_a_case_of_another_company_is_not_found(agent_api, company_b):
    theirs = make_case(SYSTEM, factories.partner(company_b))
    assert agent_api.get(f"service-cases/{theirs.pk}").status_code == 404
    assert agent_api.post(f"service-cases/{theirs.pk}/resolve", {}).status_code == 404
    assert ServiceCase.objects.get(pk=theirs.pk).status == "open"
