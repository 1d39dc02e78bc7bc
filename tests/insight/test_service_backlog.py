"""The service backlog against a hand-worked history of seven cases, and its document list.

Range: 2 to 4 March 2026 (three day-ends). Customers: ``key`` tier and ``standard`` tier.
Products: P1 in Tools/Drills (family Tools), P2 in Paint.

====  ========  =======  ====================  ====================  ==================
case  customer  product  opened                resolved              open at day-ends
====  ========  =======  ====================  ====================  ==================
A     key       P1       1 Mar 10:00           —                     2, 3, 4 → 3
B     key       —        2 Mar 09:00           3 Mar 15:00           2 → 1
C     standard  P2       3 Mar 08:00           3 Mar 17:00           none → 0 (listed)
D     standard  P1       4 Mar 11:00           —                     4 → 1
E     standard  P2       5 Mar 09:00           —                     after the range
F     key       P2       1 Mar 09:00           2 Mar 12:00           none (not listed)
G     key       P1       2 Mar 10:00           6 Mar 10:00           2, 3, 4 → 3
====  ========  =======  ====================  ====================  ==================

Σ = 8 case-days over 3 days: 2.6667 cases on average; on 3 March alone: A and G → 2.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crossdock.core.roles import Role
from crossdock.insight import drilldown
from crossdock.insight.registry import KPIS, Scope
from crossdock.service.services.status import close_case, resolve_case
from tests import factories
from tests.browser import client_for
from tests.inventory.conftest import SYSTEM
from tests.service.conftest import make_case

D = Decimal
START, END = datetime.date(2026, 3, 2), datetime.date(2026, 3, 4)


def at(day: int, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, 3, day, hour))


@pytest.fixture
def backlog(company_a):
    tools = factories.category("Tools")
    drills = factories.category("Drills", parent=tools)
    paint = factories.category("Paint")
    p1, p2 = factories.product(category=drills), factories.product(category=paint)
    key = factories.partner(company_a, customer_tier="key")
    standard = factories.partner(company_a, customer_tier="standard")

    def case(customer, product, opened, resolved=None):
        made = make_case(
            SYSTEM, customer, opened_at=opened, product_id=product.pk if product else None
        )
        if resolved is not None:
            resolve_case(SYSTEM, made.pk, at=resolved)
        return made

    cases = {
        "A": case(key, p1, at(1, 10)),
        "B": case(key, None, at(2, 9), at(3, 15)),
        "C": case(standard, p2, at(3, 8), at(3, 17)),
        "D": case(standard, p1, at(4, 11)),
        "E": case(standard, p2, at(5, 9)),
        "F": case(key, p2, at(1, 9), at(2, 12)),
        "G": case(key, p1, at(2, 10), at(6, 10)),
    }
    close_case(SYSTEM, cases["C"].pk, at=at(3, 18))  # closed still counts as resolved
    return company_a, tools, paint, cases


def figures(company, start=START, end=END, **extra):
    scope = Scope(start=start, end=end, company_ids=frozenset({company.pk}), **extra)
    return {
        f.dimension_value: (f.value, f.numerator, f.denominator)
        for f in KPIS["service_backlog"].figures(scope)
    }


def test_the_backlog_is_the_average_of_the_day_end_counts(backlog):
    company, *_ = backlog
    assert figures(company) == {None: (D("2.6667"), D(8), D(3))}
    one_day = datetime.date(2026, 3, 3)
    assert figures(company, one_day, one_day) == {None: (D(2), D(2), D(1))}


def test_sliced_by_customer_tier_and_product_family(backlog):
    company, tools, paint, _ = backlog
    assert figures(company, by="customer_tier") == {
        "key": (D("2.3333"), D(7), D(3)),
        "standard": (D("0.3333"), D(1), D(3)),
    }
    assert figures(company, by="family") == {
        str(tools.pk): (D("2.3333"), D(7), D(3)),
        str(paint.pk): (D(0), D(0), D(3)),
        "": (D("0.3333"), D(1), D(3)),
    }
    assert figures(company, filters={"customer_tier": "standard"}) == {
        None: (D("0.3333"), D(1), D(3))
    }


def test_the_document_list_adds_up_to_the_figure(backlog):
    company, _, _, cases = backlog
    executive = factories.user(Role.EXECUTIVE, companies=[company])
    response = client_for(executive).get(
        reverse("insight:documents", args=["service_backlog"]),
        {"company": company.pk, "start": START.isoformat(), "end": END.isoformat()},
    )
    assert response.status_code == 200, response.content[:500]
    ((_, _, rows),) = response.context["lists"]
    listed = {r.document: r.measure for r in rows}
    assert listed == {
        cases["A"].number: D(3),
        cases["B"].number: D(1),
        cases["C"].number: D(0),
        cases["D"].number: D(1),
        cases["G"].number: D(3),
    }
    assert sum(listed.values()) == response.context["figure"].numerator == D(8)
    assert rows[0].url == reverse("service:case_detail", args=[cases["A"].pk])
    assert rows[0].counted_in == drilldown.NUMERATOR


def test_only_roles_that_read_cases_see_it(backlog):
    from crossdock.insight import selectors

    company, *_ = backlog
    agent = factories.user(Role.SERVICE_AGENT, companies=[company])
    buyer = factories.user(Role.BUYER, companies=[company])
    assert selectors.may_see(agent, KPIS["service_backlog"])
    assert not selectors.may_see(buyer, KPIS["service_backlog"])
