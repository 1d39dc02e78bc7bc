"""Service cases past their SLA land in the service queue and leave it when resolved."""

from __future__ import annotations

from django.utils import timezone

from crossdock.insight.queues.selectors import queue_label
from crossdock.service.services.cases import record_response
from crossdock.service.services.status import resolve_case
from tests.insight.queues.conftest import (
    assert_closed_by_refresh,
    open_items,
    refresh,
    the_open_item,
)
from tests.service.conftest import agent, agent_actor, customer_a, hours, make_case, policies

__all__ = ["agent", "agent_actor", "customer_a", "policies"]  # the service fixtures used here


def test_a_case_past_its_due_time_is_an_item_until_resolved(
    agent_actor, agent, customer_a, policies
):
    now = timezone.now()
    late = make_case(agent_actor, customer_a, opened_at=now - hours(5), subject="No answer yet")
    answered = make_case(agent_actor, customer_a, opened_at=now - hours(5))
    record_response(agent_actor, answered.pk, at=now - hours(4))
    make_case(agent_actor, customer_a, opened_at=now - hours(1))  # due in 3 hours

    refresh("service_case_past_sla")

    item = the_open_item("service_case_past_sla")
    assert (item.queue, item.owner_role, item.key, item.severity) == (
        "service",
        "service-agent",
        f"service-case:{late.pk}",
        2,
    )
    assert item.since == late.first_response_due
    assert item.context["late"] == "first response"
    assert item.document_url == f"/service/{late.pk}/"
    assert queue_label("service") == "Service cases"

    resolve_case(agent_actor, late.pk, "Called back")
    assert_closed_by_refresh(item)


def test_a_late_resolution_is_high(agent_actor, customer_a, policies):
    case = make_case(agent_actor, customer_a, opened_at=timezone.now() - hours(30))
    record_response(agent_actor, case.pk, at=case.opened_at + hours(1))
    refresh("service_case_past_sla")
    item = the_open_item("service_case_past_sla")
    assert (item.severity, item.context["late"], item.since) == (3, "resolution", case.resolve_due)
    assert len(open_items("service_case_past_sla")) == 1
