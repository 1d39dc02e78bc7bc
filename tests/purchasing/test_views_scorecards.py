"""The vendor scorecard and exception queue screens with Django's test client: who may open
them (403 by role, 404 outside the user's companies), a bad period named on its field,
risk classes applied from the screen, refresh and re-send, and bounded queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crossdock.core.roles import Role
from crossdock.masterdata.models import Partner
from crossdock.purchasing import charts
from crossdock.purchasing.models import PurchaseException, PurchaseOrder
from crossdock.purchasing.services import orders
from crossdock.purchasing.services.exceptions import refresh_exceptions
from tests import factories
from tests.browser import client_for
from tests.purchasing.test_scorecards import history  # noqa: F401  (a fixture)

D = Decimal
DAY = datetime.timedelta(days=1)


@pytest.fixture
def people(buying, company_b):
    company = buying.company
    return {
        "buyer": buying.buyer,
        "operator": factories.user(
            Role.WAREHOUSE_OPERATOR, companies=[company], warehouses=[buying.warehouse]
        ),
        "manager": factories.user(Role.WAREHOUSE_MANAGER, companies=[company]),
        "clerk": factories.user(Role.AP_CLERK, companies=[company]),
        "rep": factories.user(Role.SALES_REP, companies=[company]),
        "outsider": factories.user(Role.BUYER, companies=[company_b]),
    }


def unconfirmed(buying, days=5):
    """An order sent ``days`` ago and not confirmed (its exception opened by a refresh)."""
    buying.supplier.email = "orders@supplier.example"
    buying.supplier.save()
    order = buying.order((factories.product(), "10", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    orders.send_purchase_order(buying.actor, order.pk)
    PurchaseOrder.objects.filter(pk=order.pk).update(sent_at=timezone.now() - days * DAY)
    return order


# -- who may open what --------------------------------------------------------------------------


def test_the_screens_render_for_allowed_roles(buying, people):
    order = unconfirmed(buying)
    refresh_exceptions()
    supplier = buying.supplier.pk
    for who in ("buyer", "clerk", "manager"):
        client = client_for(people[who])
        for url in (
            reverse("purchasing:scorecards"),
            reverse("purchasing:scorecard_detail", args=[supplier]),
            reverse("purchasing:exceptions"),
        ):
            assert client.get(url).status_code == 200, (who, url)
    page = client_for(people["buyer"]).get(reverse("purchasing:exceptions")).content.decode()
    assert 'href="/purchasing/exceptions/"' in page  # the sidebar entries
    assert 'href="/purchasing/scorecards/"' in page
    assert order.reference in page
    assert "Re-send order" in page
    assert "Refresh" in page
    clerk = client_for(people["clerk"]).get(reverse("purchasing:exceptions")).content.decode()
    assert order.reference in clerk
    assert "Re-send order" not in clerk  # the clerk only reads orders
    # a warehouse operator reads orders, so scorecards, but not the buyers' queue
    operator = client_for(people["operator"])
    assert operator.get(reverse("purchasing:scorecards")).status_code == 200
    assert operator.get(reverse("purchasing:exceptions")).status_code == 403


def test_roles_without_purchasing_get_403_and_other_companies_404(buying, people):
    unconfirmed(buying)
    refresh_exceptions()
    item = PurchaseException.objects.get()
    rep = client_for(people["rep"])
    for url in (
        reverse("purchasing:scorecards"),
        reverse("purchasing:scorecard_detail", args=[buying.supplier.pk]),
        reverse("purchasing:exceptions"),
    ):
        assert rep.get(url).status_code == 403, url
    assert rep.post(reverse("purchasing:scorecard_apply")).status_code == 403
    assert rep.post(reverse("purchasing:exception_refresh")).status_code == 403
    clerk = client_for(people["clerk"])
    assert clerk.post(reverse("purchasing:scorecard_apply")).status_code == 403
    assert clerk.post(reverse("purchasing:exception_refresh")).status_code == 403
    assert clerk.post(reverse("purchasing:exception_resend", args=[item.pk])).status_code == 403
    outsider = client_for(people["outsider"])
    detail = reverse("purchasing:scorecard_detail", args=[buying.supplier.pk])
    assert outsider.get(detail).status_code == 404
    resend = reverse("purchasing:exception_resend", args=[item.pk])
    assert outsider.post(resend).status_code == 404
    assert (
        item.order.reference not in outsider.get(reverse("purchasing:exceptions")).content.decode()
    )


# -- scorecards ---------------------------------------------------------------------------------


def test_the_table_shows_the_figures_of_a_period_and_applies_risk_classes(history):  # noqa: F811
    buyer = client_for(history.buyer)
    query = {"start": "2026-03-01", "end": "2026-03-31"}
    page = buyer.get(reverse("purchasing:scorecards"), query).content.decode()
    assert f'data-supplier="{history.supplier.pk}"' in page
    assert "43.9" in page
    assert "33 %" in page  # on time
    assert "10.7 ± 3.3" in page
    assert "7.14 %" in page
    assert "risk-high" in page
    assert "Apply risk classes" in page
    done = buyer.post(
        reverse("purchasing:scorecard_apply"),
        {**query, "company": history.company.pk},
        follow=True,
    ).content.decode()
    assert f"{history.supplier.code} none → high" in done
    assert Partner.objects.get(pk=history.supplier.pk).supplier_risk_class == "high"


def test_a_bad_period_is_named_on_its_field_and_nothing_is_computed(buying, people):
    buyer = client_for(buying.buyer)
    url = reverse("purchasing:scorecards")
    page = buyer.get(url, {"start": "2026-03-31", "end": "2026-03-01"})
    assert page.status_code == 200
    assert "The end is before the start." in page.content.decode()
    assert "Apply risk classes" not in page.content.decode()
    garbled = buyer.get(url, {"start": "31/31/2026"})
    assert garbled.status_code == 200
    assert "Enter a valid date." in garbled.content.decode()
    refused = buyer.post(
        reverse("purchasing:scorecard_apply"), {"start": "2026-03-31", "end": "2026-03-01"}
    )
    assert refused.status_code == 302
    followed = buyer.get(refused.url).content.decode()
    assert "To: The end is before the start." in followed
    # the clerk may not write risk classes: no button
    clerk = client_for(people["clerk"]).get(url).content.decode()
    assert "Apply risk classes" not in clerk


def test_the_detail_draws_the_trend_as_charts(history):  # noqa: F811
    page = client_for(history.buyer).get(
        reverse("purchasing:scorecard_detail", args=[history.supplier.pk])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") == 6
    for key in ("score", "on-time", "in-full", "lead-time", "first-match", "price"):
        assert f'data-chart="{key}"' in html
    assert "The figures by month" in html


def test_charts_scale_values_and_leave_gaps():
    chart = charts.bar_chart(
        "x", "On time", ["Jan", "Feb", "Mar"], [D(0), None, D(100)],
        low=D(0), high=D(100), show=lambda v: f"{v} %",
    )  # fmt: skip
    assert [bar.label for bar in chart.bars] == ["Jan", "Mar"]
    full = chart.bars[1]
    assert (full.y, round(full.y + full.height, 1)) == (charts.TOP, chart.zero)
    assert "Jan 0 %" in chart.summary
    line = charts.line_chart(
        "y", "Score", ["Jan", "Feb"], [("Score", "score", [None, D(50)])],
        low=D(0), high=D(100), show=str,
    )  # fmt: skip
    assert len(line.series[0].dots) == 1
    assert charts.ceiling([D("-7.14"), None], at_least=D(5)) == D(10)


# -- the exception queue ------------------------------------------------------------------------


def test_the_queue_groups_by_severity_and_filters_mine(buying, people):
    old = unconfirmed(buying, days=9)
    recent = unconfirmed(buying, days=4)
    refresh_exceptions()
    buyer = client_for(buying.buyer)
    html = buyer.get(reverse("purchasing:exceptions")).content.decode()
    assert "High (1)" in html
    assert "Medium (1)" in html
    assert html.index(old.reference) < html.index(recent.reference)
    assert "Remind" in html
    colleague = factories.user(Role.BUYER, companies=[buying.company])
    mine = client_for(colleague).get(reverse("purchasing:exceptions"), {"mine": "on"})
    assert "Nothing to chase." in mine.content.decode()
    bad = buyer.get(reverse("purchasing:exceptions"), {"kind": "lost"}).content.decode()
    assert "Select a valid choice" in bad


def test_refresh_and_resend_from_the_queue(buying, django_capture_on_commit_callbacks):
    order = unconfirmed(buying)
    buyer = client_for(buying.buyer)
    refreshed = buyer.post(reverse("purchasing:exception_refresh"), follow=True)
    assert "Refreshed: 1 opened, 0 closed." in refreshed.content.decode()
    item = PurchaseException.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        sent = buyer.post(reverse("purchasing:exception_resend", args=[item.pk]), follow=True)
    assert f"sent again to {buying.supplier.email}" in sent.content.decode()
    order.refresh_from_db()
    assert timezone.now() - order.sent_at < DAY
    Partner.objects.filter(pk=buying.supplier.pk).update(email="")
    refused = buyer.post(reverse("purchasing:exception_resend", args=[item.pk]), follow=True)
    assert "has no e-mail address" in refused.content.decode()


# -- bounded queries ----------------------------------------------------------------------------


def test_the_queue_and_the_table_make_a_bounded_number_of_queries(
    buying, django_assert_max_num_queries
):
    for days in range(4, 10):
        unconfirmed(buying, days=days)
    refresh_exceptions()
    buyer = client_for(buying.buyer)
    buyer.get(reverse("purchasing:exceptions"))  # warm the session and the sidebar
    with django_assert_max_num_queries(20):
        assert buyer.get(reverse("purchasing:exceptions")).status_code == 200
    with django_assert_max_num_queries(25):
        assert buyer.get(reverse("purchasing:scorecards")).status_code == 200
