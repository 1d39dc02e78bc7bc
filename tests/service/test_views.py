"""The service case screens with Django's test client: the list and its filters, a new case
(refusals on their fields, nothing written), the case page's actions, navigation by role."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from crossdock.core.roles import Role
from crossdock.service.models import ServiceCase
from tests import factories
from tests.browser import client_for
from tests.inventory.conftest import SYSTEM
from tests.service.conftest import hours, make_case


@pytest.fixture
def agent_web(agent):
    return client_for(agent)


def _listed(response) -> list[int]:
    return [case.pk for case in response.context["page"].object_list]


def test_the_list_filters_by_status_priority_owner_and_overdue(
    agent_web, agent_actor, agent, customer_a, policies
):
    now = timezone.now()
    late = make_case(agent_actor, customer_a, opened_at=now - hours(30), subject="Late one")
    urgent = make_case(agent_actor, customer_a, opened_at=now, priority="urgent")
    done = make_case(agent_actor, customer_a, opened_at=now - hours(2))
    from crossdock.service.services.cases import assign_case
    from crossdock.service.services.status import resolve_case

    assign_case(agent_actor, urgent.pk, agent.pk)
    resolve_case(agent_actor, done.pk)
    url = reverse("service:case_list")
    page = agent_web.get(url)
    assert page.status_code == 200
    assert _listed(page) == [done.pk, urgent.pk, late.pk]
    assert page.context["overdue_ids"] == {late.pk}
    assert "Late one" in page.content.decode()
    assert _listed(agent_web.get(url, {"overdue": "yes"})) == [late.pk]
    assert _listed(agent_web.get(url, {"status": "resolved"})) == [done.pk]
    assert _listed(agent_web.get(url, {"priority": "urgent"})) == [urgent.pk]
    assert _listed(agent_web.get(url, {"owner": agent.pk})) == [urgent.pk]
    assert (agent.pk, agent.username) in page.context["owners"]


def test_opening_a_case_from_the_form(agent_web, customer_a, policies):
    url = reverse("service:case_create")
    assert agent_web.get(url).status_code == 200
    response = agent_web.post(
        url,
        {"customer": customer_a.pk, "subject": "Invoice twice", "category": "billing",
         "priority": "normal", "description": "Charged twice for SO 12"},
    )  # fmt: skip
    case = ServiceCase.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("service:case_detail", args=[case.pk])
    assert (case.subject, case.category, case.opened_by.username) == (
        "Invoice twice",
        "billing",
        "agent-a",
    )


def test_a_refused_form_shows_the_field_and_writes_nothing(agent_web, customer_a):
    response = agent_web.post(
        reverse("service:case_create"),
        {"customer": customer_a.pk, "subject": " ", "category": "enquiry", "product": "987654"},
    )
    assert response.status_code == 422
    assert set(response.context["errors"]) == {"subject", "product"}
    assert "Say what the case is about." in response.content.decode()
    assert ServiceCase.objects.count() == 0


def test_the_case_page_answers_resolves_and_reopens(agent_web, agent_actor, agent, customer_a):
    case = make_case(agent_actor, customer_a)
    detail = reverse("service:case_detail", args=[case.pk])
    page = agent_web.get(detail)
    assert [change for _, _, change in page.context["moves"]] == [
        "in-progress",
        "waiting",
        "resolved",
    ]
    agent_web.post(reverse("service:case_assign", args=[case.pk]), {"owner": agent.pk})
    agent_web.post(reverse("service:case_respond", args=[case.pk]), {"note": "On it"})
    case.refresh_from_db()
    assert (case.owner, case.status, case.version) == (agent, "in_progress", 3)
    stale = agent_web.post(
        reverse("service:case_move", args=[case.pk]), {"status": "resolved", "version": "2"}
    )
    assert stale.status_code == 302
    assert ServiceCase.objects.get(pk=case.pk).status == "in_progress"
    agent_web.post(
        reverse("service:case_move", args=[case.pk]), {"status": "resolved", "note": "Refunded"}
    )
    case.refresh_from_db()
    assert (case.status, case.resolution) == ("resolved", "Refunded")
    page = agent_web.get(detail)
    assert [change for _, _, change in page.context["moves"]] == ["closed", "reopened"]
    agent_web.post(reverse("service:case_move", args=[case.pk]), {"status": "open"})
    assert ServiceCase.objects.get(pk=case.pk).status == "open"


def test_readers_see_but_do_not_act_and_other_companies_are_hidden(
    company_a, customer_a, company_b
):
    case = make_case(SYSTEM, customer_a)
    rep = client_for(factories.user(Role.SALES_REP, companies=[company_a]))
    page = rep.get(reverse("service:case_detail", args=[case.pk]))
    assert page.status_code == 200
    assert (page.context["can_change"], page.context["moves"]) == (False, [])
    assert rep.get(reverse("service:case_create")).status_code == 403
    refused = rep.post(reverse("service:case_move", args=[case.pk]), {"status": "resolved"})
    assert refused.status_code == 403
    assert ServiceCase.objects.get(pk=case.pk).status == "open"
    elsewhere = client_for(factories.user(Role.SERVICE_AGENT, companies=[company_b]))
    assert elsewhere.get(reverse("service:case_detail", args=[case.pk])).status_code == 404
    buyer = client_for(factories.user(Role.BUYER, companies=[company_a]))
    assert buyer.get(reverse("service:case_list")).status_code == 403


@pytest.mark.parametrize(
    ("role", "entries"),
    [
        (Role.SERVICE_AGENT, ["service-cases", "service-new"]),
        (Role.SALES_MANAGER, ["service-cases"]),
        (Role.AUDITOR, ["service-cases"]),
        (Role.BUYER, None),
    ],
)
def test_the_navigation_shows_service_to_who_may_see_cases(company_a, role, entries):
    user = factories.user(role, companies=[company_a])
    response = client_for(user).get(reverse("web:home"))
    groups = {g.label: [e.key for e in g.entries] for g in response.context["shell"].navigation}
    assert groups.get("Service") == entries
