"""The API of vendor scorecards (period, monthly trend, risk classes written back) and of
the buyers' exception queue (filters, refresh, re-sending an unconfirmed order): figures
as decimal strings, bad input refused naming the field, other companies not found."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crossdock.core.roles import Role
from crossdock.masterdata.models import Partner
from crossdock.purchasing.models import ExceptionKind, PurchaseException, PurchaseOrder
from crossdock.purchasing.services import orders
from crossdock.purchasing.services.exceptions import refresh_exceptions
from tests import factories
from tests.api.conftest import ApiClient
from tests.purchasing.test_scorecards import history  # noqa: F401  (a fixture)

DAY = datetime.timedelta(days=1)
MARCH = "start=2026-03-01&end=2026-03-31"


@pytest.fixture(autouse=True)
def _fast_passwords():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def _fields(response):
    return set(response.json().get("errors") or {})


# -- scorecards ---------------------------------------------------------------------------------


def test_scorecards_of_a_period_are_decimal_strings(history):  # noqa: F811
    api = ApiClient(history.buyer)
    response = api.get(f"supplier-scorecards?company={history.company.pk}&{MARCH}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["company"], body["start"], body["end"]) == (
        history.company.pk,
        "2026-03-01",
        "2026-03-31",
    )
    (card,) = body["items"]
    assert card["supplier"] == history.supplier.pk
    assert (card["on_time_rate"], card["in_full_rate"]) == ("0.3333", "0.5000")
    assert (card["lead_time_mean_days"], card["lead_time_std_days"]) == ("10.7", "3.3")
    assert (card["first_time_match_rate"], card["price_variance_percent"]) == ("0.5000", "7.14")
    assert (card["score"], card["risk_class"], card["rejection_rate"]) == ("43.9", "high", None)
    # the same supplier named, and the default company (the buyer's only one)
    only = api.get(f"supplier-scorecards?supplier={history.supplier.pk}&{MARCH}").json()
    assert [c["supplier"] for c in only["items"]] == [history.supplier.pk]


def test_the_default_period_is_the_last_90_days(buying):
    body = ApiClient(buying.buyer).get("supplier-scorecards").json()
    today = timezone.localdate()
    assert body["end"] == today.isoformat()
    assert body["start"] == (today - 89 * DAY).isoformat()
    assert body["items"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-03-31&end=2026-03-01", "end"),
        ("start=2020-01-01&end=2026-03-01", "start"),
        ("start=2026-13-01", "start"),
        ("end=yesterday", "end"),
        ("supplier=abc", "supplier"),
        ("colour=red", "colour"),
    ],
)
def test_bad_scorecard_parameters_name_the_field(buying, query, field):
    response = ApiClient(buying.buyer).get(f"supplier-scorecards?{query}")
    assert response.status_code == 422, response.content
    assert any(field in name for name in _fields(response)), response.json()


def test_another_companys_company_or_supplier_is_not_found(buying, company_b):
    api = ApiClient(buying.buyer)
    assert api.get(f"supplier-scorecards?company={company_b.pk}").status_code == 404
    theirs = factories.partner(company_b, is_customer=False, is_supplier=True)
    assert api.get(f"supplier-scorecards?supplier={theirs.pk}").status_code == 404
    assert api.get(f"supplier-scorecards/{theirs.pk}/trend").status_code == 404


def test_the_trend_has_one_scorecard_per_calendar_month(history):  # noqa: F811
    api = ApiClient(history.buyer)
    response = api.get(f"supplier-scorecards/{history.supplier.pk}/trend?months=3")
    assert response.status_code == 200, response.content
    months = response.json()["months"]
    assert len(months) == 3
    this_month = timezone.localdate().replace(day=1)
    assert months[-1]["start"] == this_month.isoformat()
    assert all(m["supplier"] == history.supplier.pk for m in months)
    assert len(api.get(f"supplier-scorecards/{history.supplier.pk}/trend").json()["months"]) == 12
    refused = api.get(f"supplier-scorecards/{history.supplier.pk}/trend?months=0")
    assert refused.status_code == 422
    assert "months" in refused.json()["errors"]


def test_applying_risk_classes_returns_the_changes_once(history):  # noqa: F811
    api = ApiClient(history.buyer)
    body = {"company": history.company.pk, "start": "2026-03-01", "end": "2026-03-31"}
    response = api.post("supplier-scorecards/apply-risk-classes", body)
    assert response.status_code == 200, response.content
    assert response.json() == [
        {"supplier_code": history.supplier.code, "old_risk_class": "", "new_risk_class": "high"}
    ]
    assert Partner.objects.get(pk=history.supplier.pk).supplier_risk_class == "high"
    assert api.post("supplier-scorecards/apply-risk-classes", body).json() == []
    bad = api.post("supplier-scorecards/apply-risk-classes", {**body, "end": "2026-02-01"})
    assert (bad.status_code, _fields(bad)) == (422, {"end"})


# -- the exception queue ------------------------------------------------------------------------


@pytest.fixture
def chased(buying):
    """An order sent five days ago and not confirmed, with an open exception."""
    buying.supplier.email = "orders@supplier.example"
    buying.supplier.save()
    order = buying.order((factories.product(), "10", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    orders.send_purchase_order(buying.actor, order.pk)
    PurchaseOrder.objects.filter(pk=order.pk).update(sent_at=timezone.now() - 5 * DAY)
    refresh_exceptions()
    return PurchaseException.objects.get()


def test_the_queue_lists_open_items_with_filters(buying, chased, company_b):
    api = ApiClient(buying.buyer)
    (item,) = api.get("purchase-exceptions").json()["items"]
    assert (item["id"], item["kind"], item["days"], item["severity"]) == (
        chased.pk,
        "unconfirmed",
        5,
        2,
    )
    assert (item["owner"], item["order_reference"]) == (buying.buyer.pk, chased.order.reference)
    assert len(api.get("purchase-exceptions?owner=me").json()["items"]) == 1
    assert api.get("purchase-exceptions?kind=late").json()["items"] == []
    assert api.get("purchase-exceptions?closed=true").json()["items"] == []
    colleague = factories.user(Role.BUYER, companies=[buying.company])
    assert ApiClient(colleague).get("purchase-exceptions?owner=me").json()["items"] == []
    outsider = factories.user(Role.BUYER, companies=[company_b])
    assert ApiClient(outsider).get("purchase-exceptions").json()["items"] == []
    for query, field in (("kind=lost", "kind"), ("owner=you", "owner"), ("closed=maybe", "closed")):
        refused = api.get(f"purchase-exceptions?{query}")
        assert refused.status_code == 422, query
        assert any(field in name for name in _fields(refused)), refused.json()


def test_the_queue_pages_with_a_cursor(buying):
    for _ in range(3):
        order = buying.order((factories.product(), "10", "2.00"))
        orders.submit_purchase_order(buying.actor, order.pk)
        PurchaseOrder.objects.filter(pk=order.pk).update(approved_at=timezone.now() - 6 * DAY)
    refresh_exceptions()
    api = ApiClient(buying.buyer)
    first = api.get("purchase-exceptions?limit=2").json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = api.get(f"purchase-exceptions?limit=2&cursor={first['next_cursor']}").json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None


def test_refresh_counts_what_the_user_sees(buying):
    order = buying.order((factories.product(), "10", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    PurchaseOrder.objects.filter(pk=order.pk).update(approved_at=timezone.now() - 6 * DAY)
    api = ApiClient(buying.buyer)
    assert api.post("purchase-exceptions/refresh").json() == {"opened": 1, "closed": 0, "open": 1}
    assert api.post("purchase-exceptions/refresh").json() == {"opened": 0, "closed": 0, "open": 1}


def test_resending_an_unconfirmed_order_enqueues_the_email(
    buying, chased, django_capture_on_commit_callbacks
):
    api = ApiClient(buying.buyer)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"purchase-exceptions/{chased.pk}/resend-order")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["order"], body["sent_to"]) == (chased.order_id, "orders@supplier.example")
    tasks = DBTaskResult.objects.filter(task_path__endswith="email_purchase_order")
    assert [t.args_kwargs["args"] for t in tasks] == [[chased.order_id]]
    order = PurchaseOrder.objects.get(pk=chased.order_id)
    assert timezone.now() - order.sent_at < DAY  # the wait for a confirmation starts over


def test_resending_is_refused_for_other_items_and_other_companies(buying, chased, company_b):
    api = ApiClient(buying.buyer)
    Partner.objects.filter(pk=buying.supplier.pk).update(email="")
    no_address = api.post(f"purchase-exceptions/{chased.pk}/resend-order")
    assert (no_address.status_code, _fields(no_address)) == (422, {"supplier"})
    PurchaseException.objects.filter(pk=chased.pk).update(kind=ExceptionKind.LATE)
    assert api.post(f"purchase-exceptions/{chased.pk}/resend-order").status_code == 409
    outsider = ApiClient(factories.user(Role.BUYER, companies=[company_b]))
    assert outsider.post(f"purchase-exceptions/{chased.pk}/resend-order").status_code == 404
    assert api.post("purchase-exceptions/999999/resend-order").status_code == 404
