"""The exception-queue API: the permission matrix (every role against the role table and the
sources' owner roles and document permissions), filters, company scope, working an item,
idempotent retries and bad input that writes nothing."""

from __future__ import annotations

import pytest

from crossdock.core.roles import Role, role_allows
from crossdock.insight.models import ExceptionItem
from crossdock.insight.queues.registry import SOURCES
from tests import factories
from tests.api.conftest import ApiClient
from tests.insight.queues.conftest import refresh
from tests.inventory.conftest import Site

ROLES = list(Role)


def _sees(role: Role, kind: str) -> bool:
    source = SOURCES[kind]
    if not role_allows(role, "insight.exceptionitem", "view"):
        return False
    if source.owner_role == role.value:
        return True
    if not source.reads:
        return False
    app, codename = source.reads.split(".")
    action, model = codename.split("_", 1)
    return role_allows(role, f"{app}.{model}", action)


@pytest.fixture
def items(warehouse_a, warehouse_b):
    """A blocked delivery in each company."""
    for warehouse in (warehouse_a, warehouse_b):
        Site(warehouse).deliver(factories.product(), "5")
    refresh("blocked_shipment")
    return {item.company_id: item for item in ExceptionItem.objects.filter(kind="blocked_shipment")}


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_sees_and_works_what_the_role_table_allows(items, company_a, role):
    client = ApiClient(factories.user(role, companies=[company_a]))
    mine = items[company_a.pk]
    sees = _sees(role, "blocked_shipment")

    queues = client.get("exception-queues")
    assert queues.status_code == 200, queues.content
    expected_queues = {SOURCES[k].queue for k in SOURCES if _sees(role, k)}
    assert {q["queue"] for q in queues.json()["items"]} == expected_queues
    listed = client.get("exception-items")
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["items"]] == ([mine.pk] if sees else [])
    assert client.get(f"exception-items/{mine.pk}").status_code == (200 if sees else 404)

    dismissed = client.post(f"exception-items/{mine.pk}/dismiss", {"note": "Collected"})
    works = sees and role_allows(role, "insight.exceptionitem", "change")
    want = 200 if works else 403 if role == Role.AUDITOR else 404
    assert dismissed.status_code == want, dismissed.content
    mine.refresh_from_db()
    assert mine.is_open is not works


def test_filters_and_company_scope(items, company_a, company_b):
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a])
    client = ApiClient(manager)
    a, b = items[company_a.pk], items[company_b.pk]

    def ids(**query):
        response = client.get("exception-items", query)
        assert response.status_code == 200, response.content
        return [i["id"] for i in response.json()["items"]]

    assert ids() == [a.pk]  # company B's item is not there
    assert ids(queue="warehouse", kind="blocked_shipment", severity=a.severity) == [a.pk]
    assert ids(queue="payables") == []
    assert ids(company=company_b.pk) == []
    assert ids(mine="true") == []
    assert ids(state="closed") == []
    assert ids(owner_role="warehouse-manager", warehouse=a.warehouse_id) == [a.pk]
    assert client.get(f"exception-items/{b.pk}").status_code == 404

    assigned = client.post(f"exception-items/{a.pk}/assign", {"owner": manager.pk})
    assert (assigned.status_code, assigned.json()["owner"]) == (200, manager.pk)
    assert ids(mine="true") == [a.pk]

    queues = {q["queue"]: q for q in client.get("exception-queues").json()["items"]}
    queue = queues.pop("warehouse")
    assert (queue["open"], queue["label"]) == (1, "Warehouse")
    assert {q["open"] for q in queues.values()} == {0}
    assert queue[{1: "low", 2: "medium", 3: "high"}[a.severity]] == 1

    everyone = ApiClient(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a, company_b]))
    assert len(everyone.get("exception-items").json()["items"]) == 2
    page = everyone.get("exception-items", {"limit": 1}).json()
    second = everyone.get("exception-items", {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert {page["items"][0]["id"], second["items"][0]["id"]} == {a.pk, b.pk}


def test_bad_input_is_refused_naming_the_field_and_writes_nothing(items, company_a):
    client = ApiClient(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a]))
    item = items[company_a.pk]
    empty = client.post(f"exception-items/{item.pk}/dismiss", {"note": ""})
    assert empty.status_code == 422
    no_action = client.post(f"exception-items/{item.pk}/run-action", {})
    assert no_action.status_code == 422
    assert "action" in no_action.json()["errors"]
    past = client.post(f"exception-items/{item.pk}/snooze", {"until": "2001-01-01T00:00:00Z"})
    assert (past.status_code, list(past.json()["errors"])) == (422, ["until"])
    unknown = client.get("exception-items", {"colour": "red"})
    assert unknown.status_code in (400, 422)
    assert client.get("exception-items", {"severity": 4}).status_code == 422
    item.refresh_from_db()
    assert (item.is_open, item.snoozed_until, item.last_outcome) == (True, None, "")


def test_a_retried_dismiss_replays_the_first_answer(items, company_a):
    client = ApiClient(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a]))
    item = items[company_a.pk]
    first = client.post(
        f"exception-items/{item.pk}/dismiss", {"note": "Collected"}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        f"exception-items/{item.pk}/dismiss", {"note": "Collected"}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    fresh = client.post(f"exception-items/{item.pk}/dismiss", {"note": "Collected"})
    assert fresh.status_code == 409


def test_running_an_action_through_the_api(warehouse_a):
    from crossdock.sales.models import SalesOrder
    from tests.insight.queues.test_sales import _held, tight

    selling = tight.__wrapped__(warehouse_a)
    order = _held(selling)
    refresh("credit_hold")
    item = ExceptionItem.objects.get(kind="credit_hold")
    rep = ApiClient(selling.actor.user)
    refused = rep.post(f"exception-items/{item.pk}/run-action", {"params": {"comment": "ok"}})
    assert refused.status_code == 403
    controller = ApiClient(selling.controller.user)
    ran = controller.post(f"exception-items/{item.pk}/run-action", {"params": {"comment": "ok"}})
    assert ran.status_code == 200, ran.content
    assert ran.json()["item"]["close_reason"] == "resolved"
    assert SalesOrder.objects.get(pk=order.pk).state == "confirmed"
