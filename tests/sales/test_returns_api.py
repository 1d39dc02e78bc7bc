"""The returns API: the RMA flow end to end, bad input, roles and company isolation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.core.roles import Role
from crossdock.sales.models import ReturnAuthorization, ReturnState
from tests import factories
from tests.api.conftest import ApiClient
from tests.sales.test_returns import Returns, on_hand

D = Decimal


@pytest.fixture
def returns(selling):
    return Returns(selling)


@pytest.fixture
def shipped(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "5", None), invoice=True)
    return product, order, returns.delivered(order, product)


def _body(returns, move, quantity="2"):
    return {
        "customer": returns.selling.customer.pk,
        "reason": "defective",
        "resolution": "credit_note",
        "lines": [{"move": move.pk, "quantity": quantity}],
        "note": "Cracked housings",
    }


def test_the_rma_flow_through_the_api(returns, shipped):
    product, order, move = shipped
    agent = ApiClient(returns.agent.user)
    listed = agent.get("/returns/returnable", {"customer": returns.selling.customer.pk})
    assert listed.status_code == 200
    [row] = listed.json()["items"]
    assert (row["move"], row["returnable"], row["sales_order_reference"]) == (
        move.pk,
        "5.000000",
        order.reference,
    )
    created = agent.post("/returns", _body(returns, move), HTTP_IDEMPOTENCY_KEY="rma-1")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["state"] == "draft"
    assert D(data["lines"][0]["quantity"]) == D(2)
    assert data["lines"][0]["sales_order"] == order.pk
    replay = agent.post("/returns", _body(returns, move), HTTP_IDEMPOTENCY_KEY="rma-1")
    assert replay.json()["id"] == data["id"]
    assert ReturnAuthorization.objects.count() == 1
    submitted = agent.post(f"/returns/{data['id']}/submit")
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "to_approve"
    assert submitted.json()["approval_request"] is not None
    returns.approve(ReturnAuthorization.objects.get())
    detail = agent.get(f"/returns/{data['id']}").json()
    assert detail["state"] == "authorized"
    assert len(detail["open_return_transfers"]) == 1
    line_id = detail["lines"][0]["id"]

    warehouse = ApiClient(returns.operator.user)
    received = warehouse.post(
        f"/returns/{data['id']}/receive",
        {"lines": [{"line": line_id, "received": "2", "restocked": "1", "held": "1"}]},
    )
    assert received.status_code == 200, received.content
    assert received.json()["state"] == "received"
    assert D(received.json()["lines"][0]["held_quantity"]) == D(1)
    assert on_hand(product, returns.stock) == D(1)
    assert on_hand(product, returns.hold) == D(1)

    resolved = ApiClient(returns.clerk.user).post(f"/returns/{data['id']}/resolve")
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["state"] == "closed"
    assert len(resolved.json()["credit_notes"]) == 1
    page = agent.get("/returns", {"state": "closed"}).json()
    assert [r["id"] for r in page["items"]] == [data["id"]]


def test_bad_input_is_refused_with_the_field_and_nothing_is_written(returns, shipped):
    _, _, move = shipped
    agent = ApiClient(returns.agent.user)
    over = agent.post("/returns", _body(returns, move, "6"))
    assert over.status_code == 422
    assert "lines[0].quantity" in over.json()["errors"]
    floated = agent.post(
        "/returns", {**_body(returns, move), "lines": [{"move": move.pk, "quantity": 1.5}]}
    )
    assert floated.status_code == 422
    reason = agent.post("/returns", {**_body(returns, move), "reason": "bored"})
    assert reason.status_code == 422
    assert agent.get("/returns", {"state": "nonsense"}).status_code == 422
    assert not ReturnAuthorization.objects.exists()


def test_roles_and_companies(returns, shipped, company_b):
    _, _, move = shipped
    operator = ApiClient(returns.operator.user)
    assert operator.post("/returns", _body(returns, move)).status_code == 403
    created = ApiClient(returns.agent.user).post("/returns", _body(returns, move)).json()
    stranger = ApiClient(factories.user(Role.SALES_MANAGER, companies=[company_b]))
    assert stranger.get(f"/returns/{created['id']}").status_code == 404
    assert stranger.get("/returns").json()["items"] == []
    assert operator.post(f"/returns/{created['id']}/submit").status_code == 403
    cancelled = ApiClient(returns.agent.user).post(
        f"/returns/{created['id']}/cancel", {"reason": "Duplicate"}
    )
    assert cancelled.json()["state"] == ReturnState.CANCELLED
    assert (
        ApiClient(returns.clerk.user).post(f"/returns/{created['id']}/resolve").status_code == 409
    )
