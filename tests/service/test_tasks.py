"""The scheduled escalation task escalates what is overdue now."""

from __future__ import annotations

from django.utils import timezone

from crossdock.service.models import ServiceCase
from crossdock.service.tasks import escalate_overdue_service_cases
from tests.service.conftest import hours, make_case


def test_the_task_escalates_overdue_cases_once(agent_actor, customer_a, policies):
    late = make_case(agent_actor, customer_a, opened_at=timezone.now() - hours(5))
    make_case(agent_actor, customer_a, opened_at=timezone.now())
    assert escalate_overdue_service_cases.call() == {"escalated": 1}
    assert escalate_overdue_service_cases.call() == {"escalated": 0}
    assert ServiceCase.objects.get(pk=late.pk).escalation_level == 1
