"""The customer return screens with Django's test client: a new RMA picked from delivered
lines, submit, receive with inspection, resolve; bad input and other companies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.core.roles import Role
from crossdock.sales.models import ReturnAuthorization, ReturnState
from tests import factories
from tests.browser import client_for
from tests.sales.test_returns import Returns, on_hand

D = Decimal


@pytest.fixture
def returns(selling):
    return Returns(selling)


def test_an_rma_from_the_screens(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "5", None), invoice=True)
    move = returns.delivered(order, product)
    agent = client_for(returns.agent.user)
    create = reverse("sales_returns:create")
    page = agent.get(create, {"customer": returns.selling.customer.pk})
    assert page.status_code == 200
    assert order.reference in page.content.decode()
    response = agent.post(
        create,
        {
            "customer": returns.selling.customer.pk,
            f"quantity-{move.pk}": "3",
            "reason": "damaged",
            "resolution": "credit_note",
            "note": "Crushed boxes",
        },
    )
    rma = ReturnAuthorization.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales_returns:detail", args=[rma.pk])
    assert rma.lines.get().quantity == D(3)
    assert agent.post(reverse("sales_returns:submit", args=[rma.pk])).status_code == 302
    rma.refresh_from_db()
    assert rma.state == ReturnState.TO_APPROVE
    returns.approve(rma)

    warehouse = client_for(returns.operator.user)
    detail = warehouse.get(reverse("sales_returns:detail", args=[rma.pk])).content.decode()
    assert 'id="receive-form"' in detail
    line = rma.lines.get()
    warehouse.post(
        reverse("sales_returns:receive", args=[rma.pk]),
        {f"received-{line.pk}": "3", f"restocked-{line.pk}": "2", f"scrapped-{line.pk}": "1"},
    )
    rma.refresh_from_db()
    assert rma.state == ReturnState.RECEIVED
    assert on_hand(product, returns.stock) == D(2)

    clerk = client_for(returns.clerk.user)
    clerk.post(reverse("sales_returns:resolve", args=[rma.pk]))
    rma.refresh_from_db()
    assert rma.state == ReturnState.CLOSED
    assert rma.credit_notes.count() == 1
    closed = agent.get(reverse("sales_returns:detail", args=[rma.pk])).content.decode()
    assert "Credited on" in closed
    assert 'id="receive-form"' not in closed
    listing = agent.get(reverse("sales_returns:list")).content.decode()
    assert rma.reference in listing


def test_bad_form_input_is_shown_on_its_line_and_nothing_is_written(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "2", None))
    move = returns.delivered(order, product)
    agent = client_for(returns.agent.user)
    response = agent.post(
        reverse("sales_returns:create"),
        {
            "customer": returns.selling.customer.pk,
            f"quantity-{move.pk}": "9",
            "reason": "damaged",
            "resolution": "credit_note",
        },
    )
    assert response.status_code == 422
    assert "At most 2" in response.content.decode()
    assert not ReturnAuthorization.objects.exists()


def test_receiving_outcomes_that_do_not_add_up_show_the_reason(returns):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "2", None))
    rma = returns.authorized((returns.delivered(order, product), "2"))
    line = rma.lines.get()
    warehouse = client_for(returns.operator.user)
    response = warehouse.post(
        reverse("sales_returns:receive", args=[rma.pk]),
        {f"received-{line.pk}": "2", f"restocked-{line.pk}": "1"},
        follow=True,
    )
    assert "must add up" in response.content.decode()
    rma.refresh_from_db()
    assert rma.state == ReturnState.AUTHORIZED


def test_screens_are_for_roles_and_companies(returns, company_b):
    product = factories.product()
    returns.selling.price(product, "12.50")
    order = returns.shipped((product, "2", None))
    rma = returns.authorized((returns.delivered(order, product), "1"))
    stranger = client_for(factories.user(Role.SALES_MANAGER, companies=[company_b]))
    assert stranger.get(reverse("sales_returns:detail", args=[rma.pk])).status_code == 404
    buyer = client_for(factories.user(Role.BUYER, companies=[returns.company]))
    assert buyer.get(reverse("sales_returns:list")).status_code == 403
    warehouse = client_for(returns.operator.user)
    assert warehouse.get(reverse("sales_returns:create")).status_code == 403
    assert warehouse.post(reverse("sales_returns:cancel", args=[rma.pk])).status_code == 403
    rma.refresh_from_db()
    assert rma.state == ReturnState.AUTHORIZED
