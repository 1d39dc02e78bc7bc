"""Purchasing settings: the service (checks, versions, audit, permissions), the API
(``/api/v1/purchasing-settings/{company}``) and the screen (``/purchasing/settings/``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.core.context import Actor
from crossdock.core.errors import (
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role
from crossdock.purchasing.models import PurchasingSettings
from crossdock.purchasing.selectors import settings_for
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from crossdock.purchasing.services.settings import update_purchasing_settings
from crossdock.web.navigation import navigation_for
from tests import factories
from tests.api.conftest import ApiClient
from tests.browser import client_for

D = Decimal
ACTION_TYPE = "purchasing.purchasingsettings"


@pytest.fixture
def manager(company_a):
    return factories.user(Role.PURCHASING_MANAGER, companies=[company_a])


def _audit_count() -> int:
    return AuditEntry.objects.filter(object_type=ACTION_TYPE).count()


# -- the service ------------------------------------------------------------------------------


def test_the_first_save_creates_the_settings_and_later_ones_change_them(company_a, manager):
    assert settings_for(company_a.pk).pk is None  # defaults until saved
    actor = Actor.of(manager)
    saved = update_purchasing_settings(
        actor, company_a.pk, {"over_receipt_percent": "5", "confirmation_reminder_days": 2},
        expected_version=0,
    )  # fmt: skip
    assert saved.version == 1
    stored = PurchasingSettings.objects.get(company=company_a)
    assert stored.over_receipt_percent == D(5)
    assert stored.price_tolerance_percent == D(2)  # untouched: the default
    assert stored.confirmation_reminder_days == 2
    created = AuditEntry.objects.get(object_type=ACTION_TYPE)
    assert (created.action, created.before, created.actor_id) == ("create", None, manager.pk)
    assert created.after["over_receipt_percent"] == "5.0000"
    assert OutboxEvent.objects.filter(name=f"{ACTION_TYPE}.created").count() == 1

    again = update_purchasing_settings(
        actor, company_a.pk, {"price_tolerance_percent": D("1.25")}, expected_version=1
    )
    assert again.version == 2
    assert settings_for(company_a.pk).price_tolerance_percent == D("1.25")
    changed = AuditEntry.objects.filter(object_type=ACTION_TYPE).latest("sequence")
    assert changed.action == "update"
    assert changed.before["price_tolerance_percent"] == "2.0000"
    assert changed.after["price_tolerance_percent"] == "1.2500"
    assert OutboxEvent.objects.filter(name=f"{ACTION_TYPE}.updated").count() == 1


def test_saving_the_same_values_writes_nothing(company_a, manager):
    actor = Actor.of(manager)
    update_purchasing_settings(actor, company_a.pk, {"over_receipt_percent": "5"})
    same = update_purchasing_settings(actor, company_a.pk, {"over_receipt_percent": "5.0"})
    assert same.version == 1
    assert _audit_count() == 1


def test_every_bad_field_is_named_and_nothing_is_written(company_a, manager):
    bad = {
        "over_receipt_percent": "-1",
        "price_tolerance_percent": 2.5,  # a float is never exact
        "quantity_tolerance_percent": "0.00001",
        "confirmation_reminder_days": 400,
        "colour": "red",
    }
    with pytest.raises(DomainError) as refused:
        update_purchasing_settings(Actor.of(manager), company_a.pk, bad)
    assert refused.value.fields == {
        "colour": [
            "Unknown setting; use over_receipt_percent, price_tolerance_percent, "
            "quantity_tolerance_percent, confirmation_reminder_days."
        ],
        "over_receipt_percent": ["Cannot be negative."],
        "price_tolerance_percent": ['Give an exact decimal (a string such as "12.50").'],
        "quantity_tolerance_percent": ["At most 4 decimal places."],
        "confirmation_reminder_days": ["A whole number of days from 0 to 365."],
    }
    assert not PurchasingSettings.objects.exists()
    assert _audit_count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price_tolerance_percent", "100.5", "At most 100 %."),
        ("price_tolerance_percent", "abc", "'abc' is not a number."),
        ("over_receipt_percent", None, 'Give an exact decimal (a string such as "12.50").'),
        ("over_receipt_percent", "NaN", "Not a number."),
        ("confirmation_reminder_days", -1, "A whole number of days from 0 to 365."),
        ("confirmation_reminder_days", True, "A whole number of days from 0 to 365."),
        ("confirmation_reminder_days", "3.5", "A whole number of days from 0 to 365."),
    ],
)
def test_one_bad_value_is_refused_with_its_reason(company_a, manager, field, value, message):
    update_purchasing_settings(Actor.of(manager), company_a.pk, {"over_receipt_percent": "3"})
    with pytest.raises(DomainError) as refused:
        update_purchasing_settings(Actor.of(manager), company_a.pk, {field: value})
    assert refused.value.fields == {field: [message]}
    stored = PurchasingSettings.objects.get()
    assert (stored.version, stored.over_receipt_percent) == (1, D(3))


def test_the_limits_themselves_are_accepted(company_a, manager):
    saved = update_purchasing_settings(
        Actor.of(manager), company_a.pk,
        {"over_receipt_percent": "100", "quantity_tolerance_percent": "0.0001",
         "confirmation_reminder_days": "365", "price_tolerance_percent": 0},
    )  # fmt: skip
    saved.refresh_from_db()
    assert saved.over_receipt_percent == D(100)
    assert saved.quantity_tolerance_percent == D("0.0001")
    assert saved.price_tolerance_percent == D(0)
    assert saved.confirmation_reminder_days == 365


def test_a_stale_version_is_refused(company_a, manager):
    actor = Actor.of(manager)
    update_purchasing_settings(actor, company_a.pk, {"over_receipt_percent": "5"})
    with pytest.raises(StaleVersionError):
        update_purchasing_settings(
            actor, company_a.pk, {"over_receipt_percent": "9"}, expected_version=0
        )
    assert settings_for(company_a.pk).over_receipt_percent == D(5)
    assert _audit_count() == 1


@pytest.mark.parametrize("role", [Role.CONTROLLER, Role.ADMINISTRATOR])
def test_the_controller_and_administrator_may_change_them(company_a, role):
    user = factories.user(role, companies=[company_a])
    update_purchasing_settings(Actor.of(user), company_a.pk, {"confirmation_reminder_days": 7})
    assert settings_for(company_a.pk).confirmation_reminder_days == 7


@pytest.mark.parametrize("role", [Role.BUYER, Role.AP_CLERK, Role.AUDITOR, Role.SALES_REP])
def test_other_roles_may_not_change_them(company_a, role):
    user = factories.user(role, companies=[company_a])
    with pytest.raises(PermissionDeniedError):
        update_purchasing_settings(Actor.of(user), company_a.pk, {"over_receipt_percent": "5"})
    assert not PurchasingSettings.objects.exists()


def test_another_companys_settings_are_not_found(company_a, company_b, manager):
    with pytest.raises(NotFoundError):
        update_purchasing_settings(Actor.of(manager), company_b.pk, {"over_receipt_percent": "5"})
    assert not PurchasingSettings.objects.exists()


def test_receiving_uses_the_saved_over_receipt_tolerance(buying):
    product = factories.product()
    order = buying.order((product, "10", "2.00"))
    manager = factories.user(Role.PURCHASING_MANAGER, companies=[buying.company])
    from crossdock.purchasing.services.orders import submit_purchase_order

    submit_purchase_order(buying.actor, order.pk)
    line = order.lines.get()
    operator = Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[buying.company]))
    with pytest.raises(DomainError):
        receive_purchase_order(operator, order.pk, [ReceiptLine(line.pk, D(11))])
    update_purchasing_settings(Actor.of(manager), buying.company.pk, {"over_receipt_percent": "10"})
    receive_purchase_order(operator, order.pk, [ReceiptLine(line.pk, D(11))])
    line.refresh_from_db()
    assert line.received_quantity == D(11)


# -- the API ----------------------------------------------------------------------------------


def _url(company) -> str:
    return f"purchasing-settings/{company.pk}"


def test_the_api_answers_the_defaults_then_saves_a_patch(company_a, manager):
    api = ApiClient(manager)
    got = api.get(_url(company_a))
    assert got.status_code == 200, got.content
    assert got["ETag"] == '"0"'
    assert got.json() == {
        "company": company_a.pk, "over_receipt_percent": "0.0000",
        "price_tolerance_percent": "2.0000", "quantity_tolerance_percent": "0.0000",
        "confirmation_reminder_days": 3, "saved": False, "version": 0,
    }  # fmt: skip
    patched = api.patch(
        _url(company_a),
        {"price_tolerance_percent": "1.5", "confirmation_reminder_days": 5},
        HTTP_IF_MATCH='"0"',
    )
    assert patched.status_code == 200, patched.content
    assert patched["ETag"] == '"1"'
    body = patched.json()
    assert (body["price_tolerance_percent"], body["confirmation_reminder_days"]) == ("1.5000", 5)
    assert (body["saved"], body["version"], body["over_receipt_percent"]) == (True, 1, "0.0000")
    stale = api.patch(_url(company_a), {"over_receipt_percent": "4"}, HTTP_IF_MATCH='"0"')
    assert stale.status_code == 412, stale.content
    by_body = api.patch(_url(company_a), {"over_receipt_percent": "4", "version": 1})
    assert by_body.status_code == 200, by_body.content
    assert settings_for(company_a.pk).over_receipt_percent == D(4)


def test_bad_api_input_is_a_422_naming_each_field(company_a, manager):
    api = ApiClient(manager)
    response = api.patch(
        _url(company_a), {"over_receipt_percent": "150", "confirmation_reminder_days": -2}
    )
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"] == {
        "over_receipt_percent": ["At most 100 %."],
        "confirmation_reminder_days": ["A whole number of days from 0 to 365."],
    }
    floats = api.patch(_url(company_a), {"price_tolerance_percent": 1.5})
    assert floats.status_code == 422
    assert "price_tolerance_percent" in floats.json()["errors"]
    unknown = api.patch(_url(company_a), {"colour": "red"})
    assert unknown.status_code == 422
    assert not PurchasingSettings.objects.exists()


def test_the_api_refuses_other_roles_and_other_companies(company_a, company_b, manager):
    buyer = ApiClient(factories.user(Role.BUYER, companies=[company_a]))
    assert buyer.get(_url(company_a)).status_code == 200  # buyers read them
    refused = buyer.patch(_url(company_a), {"over_receipt_percent": "5"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    seller = ApiClient(factories.user(Role.SALES_REP, companies=[company_a]))
    assert seller.get(_url(company_a)).status_code == 403
    api = ApiClient(manager)
    assert api.get(_url(company_b)).status_code == 404
    assert api.patch(_url(company_b), {"over_receipt_percent": "5"}).status_code == 404
    assert not PurchasingSettings.objects.exists()


# -- the screen -------------------------------------------------------------------------------


def test_the_manager_edits_the_settings_on_the_screen(company_a, manager):
    client = client_for(manager)
    url = reverse("purchasing:settings")
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "runs on the defaults" in text
    assert 'name="price_tolerance_percent" value="2"' in text
    keys = {e.key for group in navigation_for(manager) for e in group.entries}
    assert "purchasing-settings" in keys
    response = client.post(
        f"{url}?company={company_a.pk}",
        {"company": company_a.pk, "over_receipt_percent": "2.5", "price_tolerance_percent": "3",
         "quantity_tolerance_percent": "1", "confirmation_reminder_days": "4", "version": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"{url}?company={company_a.pk}"
    stored = PurchasingSettings.objects.get(company=company_a)
    assert (stored.over_receipt_percent, stored.price_tolerance_percent) == (D("2.5"), D(3))
    assert (stored.quantity_tolerance_percent, stored.confirmation_reminder_days) == (D(1), 4)
    assert "version 1" in client.get(response["Location"]).content.decode()


def test_bad_screen_input_is_shown_on_its_field_and_nothing_is_saved(company_a, manager):
    client = client_for(manager)
    response = client.post(
        reverse("purchasing:settings"),
        {"company": company_a.pk, "over_receipt_percent": "-1", "price_tolerance_percent": "250",
         "quantity_tolerance_percent": "0", "confirmation_reminder_days": "3", "version": "0"},
    )  # fmt: skip
    assert response.status_code == 422
    text = response.content.decode()
    assert 'data-field="over_receipt_percent">Cannot be negative.' in text
    assert 'data-field="price_tolerance_percent">At most 100 %.' in text
    assert not PurchasingSettings.objects.exists()


def test_a_stale_screen_save_is_refused(company_a, manager):
    update_purchasing_settings(Actor.of(manager), company_a.pk, {"over_receipt_percent": "5"})
    client = client_for(manager)
    response = client.post(
        reverse("purchasing:settings"),
        {"company": company_a.pk, "over_receipt_percent": "9", "price_tolerance_percent": "2",
         "quantity_tolerance_percent": "0", "confirmation_reminder_days": "3", "version": "0"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "changed by someone else" in response.content.decode()
    assert settings_for(company_a.pk).over_receipt_percent == D(5)


def test_a_buyer_reads_the_screen_but_may_not_save(company_a):
    buyer = factories.user(Role.BUYER, companies=[company_a])
    client = client_for(buyer)
    page = client.get(reverse("purchasing:settings"))
    assert page.status_code == 200
    assert "disabled" in page.content.decode()
    assert ">Save</button>" not in page.content.decode()
    posted = client.post(
        reverse("purchasing:settings"),
        {"company": company_a.pk, "over_receipt_percent": "9", "price_tolerance_percent": "2",
         "quantity_tolerance_percent": "0", "confirmation_reminder_days": "3"},
    )  # fmt: skip
    assert posted.status_code == 403
    assert not PurchasingSettings.objects.exists()


def test_the_screen_is_refused_without_the_permission_and_hides_other_companies(
    company_a, company_b, manager
):
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a])
    assert client_for(operator).get(reverse("purchasing:settings")).status_code == 403
    keys = {e.key for group in navigation_for(operator) for e in group.entries}
    assert "purchasing-settings" not in keys
    client = client_for(manager)
    assert client.get(f"{reverse('purchasing:settings')}?company={company_b.pk}").status_code == 404
    assert client.get(f"{reverse('purchasing:settings')}?company=abc").status_code == 404
