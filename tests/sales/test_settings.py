"""Sales settings and margin floors: the services (checks, versions, audit, events,
permissions), the API (``/api/v1/sales-settings/{company}``, ``/api/v1/margin-floors``) and
the screen (``/sales/settings/``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.core.context import Actor
from crossdock.core.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role
from crossdock.sales.models import MarginFloor, SalesSettings
from crossdock.sales.services.margin_floors import (
    MarginFloorDraft,
    create_margin_floor,
    delete_margin_floor,
    update_margin_floor,
)
from crossdock.sales.services.settings import settings_for, update_sales_settings
from crossdock.web.navigation import navigation_for
from tests import factories
from tests.api.conftest import ApiClient
from tests.browser import client_for

D = Decimal
SETTINGS_TYPE = "sales.salessettings"
FLOOR_TYPE = "sales.marginfloor"


@pytest.fixture
def manager(company_a):
    return factories.user(Role.SALES_MANAGER, companies=[company_a])


def _audits(object_type: str) -> int:
    return AuditEntry.objects.filter(object_type=object_type).count()


def _floor(company, category=None, minimum="20", discount=None):
    return create_margin_floor(
        Actor.system("test"),
        MarginFloorDraft(company.pk, (category or factories.category()).pk, minimum, discount),
    )


# -- the settings service ---------------------------------------------------------------------


def test_the_first_save_creates_the_settings_and_later_ones_change_them(company_a, manager):
    assert settings_for(company_a.pk).pk is None  # defaults until saved
    actor = Actor.of(manager)
    saved = update_sales_settings(
        actor, company_a, expected_version=0, sourcing_policy="central", overdue_hold_days=14
    )
    assert saved.version == 1
    stored = SalesSettings.objects.get(company=company_a)
    assert (stored.sourcing_policy, stored.invoice_policy) == ("central", "delivery")
    assert (stored.overdue_hold_days, stored.max_discount_percent) == (14, D(10))
    created = AuditEntry.objects.get(object_type=SETTINGS_TYPE)
    assert (created.action, created.before, created.actor_id) == ("create", None, manager.pk)
    assert created.after["sourcing_policy"] == "central"
    assert OutboxEvent.objects.filter(name=f"{SETTINGS_TYPE}.created").count() == 1

    again = update_sales_settings(
        actor, company_a.pk, expected_version=1, max_discount_percent="12.5", invoice_policy="order"
    )
    assert again.version == 2
    stored.refresh_from_db()
    assert (stored.max_discount_percent, stored.invoice_policy) == (D("12.5"), "order")
    changed = AuditEntry.objects.filter(object_type=SETTINGS_TYPE).latest("sequence")
    assert changed.action == "update"
    assert changed.before["max_discount_percent"] == "10.0000"
    assert changed.after["max_discount_percent"] == "12.5000"
    assert OutboxEvent.objects.filter(name=f"{SETTINGS_TYPE}.updated").count() == 1


def test_saving_the_same_values_writes_nothing(company_a, manager):
    actor = Actor.of(manager)
    update_sales_settings(actor, company_a.pk, max_discount_percent="5")
    same = update_sales_settings(actor, company_a.pk, max_discount_percent="5.00")
    assert same.version == 1
    assert _audits(SETTINGS_TYPE) == 1


def test_every_bad_setting_is_named_and_nothing_is_written(company_a, manager):
    with pytest.raises(DomainError) as refused:
        update_sales_settings(
            Actor.of(manager),
            company_a.pk,
            sourcing_policy="cheapest",
            invoice_policy="",
            overdue_hold_days=400,
            max_discount_percent=2.5,  # a float is never exact
            colour="red",
        )
    assert refused.value.fields == {
        "colour": [
            "Unknown setting; use sourcing_policy, invoice_policy, overdue_hold_days, "
            "max_discount_percent."
        ],
        "sourcing_policy": ["One of nearest, central, split."],
        "invoice_policy": ["One of delivery, order."],
        "overdue_hold_days": ["A whole number of days from 0 to 365."],
        "max_discount_percent": ['Give an exact decimal (a string such as "12.50").'],
    }
    assert not SalesSettings.objects.exists()
    assert _audits(SETTINGS_TYPE) == 0
    assert not OutboxEvent.objects.filter(name__startswith=SETTINGS_TYPE).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_discount_percent", "100.01", "At most 100 %."),
        ("max_discount_percent", "-1", "Cannot be negative."),
        ("max_discount_percent", "0.00001", "At most 4 decimal places."),
        ("max_discount_percent", "abc", "'abc' is not a number."),
        ("max_discount_percent", "NaN", "Not a number."),
        ("overdue_hold_days", -1, "A whole number of days from 0 to 365."),
        ("overdue_hold_days", True, "A whole number of days from 0 to 365."),
        ("overdue_hold_days", "3.5", "A whole number of days from 0 to 365."),
    ],
)
def test_one_bad_value_is_refused_with_its_reason(company_a, manager, field, value, message):
    update_sales_settings(Actor.of(manager), company_a.pk, max_discount_percent="3")
    with pytest.raises(DomainError) as refused:
        update_sales_settings(Actor.of(manager), company_a.pk, **{field: value})
    assert refused.value.fields == {field: [message]}
    stored = SalesSettings.objects.get()
    assert (stored.version, stored.max_discount_percent, stored.overdue_hold_days) == (1, D(3), 30)


def test_the_limits_themselves_are_accepted(company_a, manager):
    update_sales_settings(
        Actor.of(manager), company_a.pk, max_discount_percent="100", overdue_hold_days="365"
    )
    stored = SalesSettings.objects.get()
    assert (stored.max_discount_percent, stored.overdue_hold_days) == (D(100), 365)
    update_sales_settings(
        Actor.of(manager), company_a.pk, max_discount_percent="0.0001", overdue_hold_days=0
    )
    stored.refresh_from_db()
    assert (stored.max_discount_percent, stored.overdue_hold_days) == (D("0.0001"), 0)


def test_a_stale_version_is_refused(company_a, manager):
    actor = Actor.of(manager)
    update_sales_settings(actor, company_a.pk, overdue_hold_days=10)
    with pytest.raises(StaleVersionError):
        update_sales_settings(actor, company_a.pk, expected_version=0, overdue_hold_days=20)
    assert settings_for(company_a.pk).overdue_hold_days == 10
    assert _audits(SETTINGS_TYPE) == 1


@pytest.mark.parametrize("role", [Role.CONTROLLER, Role.ADMINISTRATOR])
def test_the_controller_and_administrator_may_change_them(company_a, role):
    user = factories.user(role, companies=[company_a])
    update_sales_settings(Actor.of(user), company_a.pk, sourcing_policy="split")
    assert settings_for(company_a.pk).sourcing_policy == "split"


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.CREDIT_CONTROLLER, Role.AUDITOR])
def test_other_roles_may_not_change_them(company_a, role):
    user = factories.user(role, companies=[company_a])
    with pytest.raises(PermissionDeniedError):
        update_sales_settings(Actor.of(user), company_a.pk, sourcing_policy="split")
    assert not SalesSettings.objects.exists()


def test_another_companys_settings_are_not_found(company_a, company_b, manager):
    with pytest.raises(NotFoundError):
        update_sales_settings(Actor.of(manager), company_b.pk, sourcing_policy="split")
    assert not SalesSettings.objects.exists()


def test_pricing_uses_the_saved_discount_limit(selling, manager):
    product = factories.product(standard_cost=D("1.00"))
    selling.price(product, "10.00")
    line = selling.order((product, "1", None, {"discount_percent": "15"})).lines.get()
    assert "discount 15" in line.price_exception  # over the default 10 %
    update_sales_settings(Actor.of(manager), selling.company.pk, max_discount_percent="20")
    line = selling.order((product, "1", None, {"discount_percent": "15"})).lines.get()
    assert line.price_exception == ""


# -- the margin floor service -----------------------------------------------------------------


def test_a_floor_is_added_changed_and_removed_with_audit_and_events(company_a, manager):
    category = factories.category()
    actor = Actor.of(manager)
    floor = create_margin_floor(actor, MarginFloorDraft(company_a.pk, category.pk, "25.5"))
    stored = MarginFloor.objects.get()
    assert (stored.company, stored.category, stored.version) == (company_a, category, 1)
    assert (stored.min_margin_percent, stored.max_discount_percent) == (D("25.5"), None)
    created = AuditEntry.objects.get(object_type=FLOOR_TYPE)
    assert (created.action, created.after["min_margin_percent"]) == ("create", "25.5000")

    update_margin_floor(
        actor, floor.pk, {"max_discount_percent": "7", "min_margin_percent": "30"},
        expected_version=1,
    )  # fmt: skip
    stored.refresh_from_db()
    assert (stored.min_margin_percent, stored.max_discount_percent, stored.version) == (
        D(30), D(7), 2,
    )  # fmt: skip
    changed = AuditEntry.objects.filter(object_type=FLOOR_TYPE).latest("sequence")
    assert (changed.before["min_margin_percent"], changed.after["min_margin_percent"]) == (
        "25.5000", "30.0000",
    )  # fmt: skip
    update_margin_floor(actor, floor.pk, {"max_discount_percent": None})
    stored.refresh_from_db()
    assert stored.max_discount_percent is None

    delete_margin_floor(actor, floor.pk, expected_version=3)
    assert not MarginFloor.objects.exists()
    removed = AuditEntry.objects.filter(object_type=FLOOR_TYPE).latest("sequence")
    assert (removed.action, removed.after, removed.before["category_id"]) == (
        "delete", None, category.pk,
    )  # fmt: skip
    names = list(
        OutboxEvent.objects.filter(name__startswith=FLOOR_TYPE)
        .order_by("pk")
        .values_list("name", flat=True)
    )
    assert names == [f"{FLOOR_TYPE}.{a}" for a in ("created", "updated", "updated", "deleted")]


def test_bad_floor_input_is_named_field_by_field_and_nothing_is_written(company_a, manager):
    with pytest.raises(DomainError) as refused:
        create_margin_floor(Actor.of(manager), MarginFloorDraft(company_a.pk, 999999, "100", "-2"))
    assert refused.value.fields == {
        "min_margin_percent": ["Less than 100 %."],
        "max_discount_percent": ["Cannot be negative."],
        "category": ["No product category with id 999999."],
    }
    category = factories.category()
    for minimum, message in [
        ("-0.5", "Cannot be negative."),
        ("12.34567", "At most 4 decimal places."),
        (12.5, 'Give an exact decimal (a string such as "12.50").'),
        ("150", "At most 100 %."),
    ]:
        with pytest.raises(DomainError) as refused:
            create_margin_floor(
                Actor.of(manager), MarginFloorDraft(company_a.pk, category.pk, minimum)
            )
        assert refused.value.fields == {"min_margin_percent": [message]}
    assert not MarginFloor.objects.exists()
    assert _audits(FLOOR_TYPE) == 0


def test_a_category_has_one_floor_per_company(company_a, company_b, manager):
    category = factories.category("Fasteners")
    _floor(company_a, category)
    with pytest.raises(ConflictError) as refused:
        create_margin_floor(Actor.of(manager), MarginFloorDraft(company_a.pk, category.pk, "5"))
    assert refused.value.fields == {
        "category": [f"{company_a.code} already has a margin floor for Fasteners; change that one."]
    }
    _floor(company_b, category, "8")  # another company keeps its own floor
    assert MarginFloor.objects.filter(category=category).count() == 2


def test_floor_updates_check_fields_versions_and_scope(company_a, company_b, manager):
    floor = _floor(company_a)
    actor = Actor.of(manager)
    with pytest.raises(DomainError) as refused:
        update_margin_floor(actor, floor.pk, {"min_margin_percent": "100", "category": 3})
    assert refused.value.fields == {
        "category": ["A floor's company and category cannot change; remove it and add another."],
        "min_margin_percent": ["Less than 100 %."],
    }
    with pytest.raises(StaleVersionError):
        update_margin_floor(actor, floor.pk, {"min_margin_percent": "1"}, expected_version=7)
    with pytest.raises(StaleVersionError):
        delete_margin_floor(actor, floor.pk, expected_version=7)
    other = _floor(company_b)
    with pytest.raises(NotFoundError):
        update_margin_floor(actor, other.pk, {"min_margin_percent": "1"})
    with pytest.raises(NotFoundError):
        delete_margin_floor(actor, other.pk)
    with pytest.raises(NotFoundError):
        create_margin_floor(actor, MarginFloorDraft(company_b.pk, factories.category().pk, "1"))
    floor.refresh_from_db()
    assert (floor.version, floor.min_margin_percent) == (1, D(20))
    assert MarginFloor.objects.count() == 2
    assert _audits(FLOOR_TYPE) == 2  # the two creations only


def test_a_sales_rep_reads_floors_but_may_not_keep_them(company_a):
    rep = Actor.of(factories.user(Role.SALES_REP, companies=[company_a]))
    with pytest.raises(PermissionDeniedError):
        create_margin_floor(rep, MarginFloorDraft(company_a.pk, factories.category().pk, "5"))
    floor = _floor(company_a)
    with pytest.raises(PermissionDeniedError):
        update_margin_floor(rep, floor.pk, {"min_margin_percent": "1"})
    with pytest.raises(PermissionDeniedError):
        delete_margin_floor(rep, floor.pk)
    assert MarginFloor.objects.get().min_margin_percent == D(20)


def test_pricing_follows_the_floors_kept_here(selling, manager):
    parent = factories.category()
    child = factories.category(parent=parent)
    product = factories.product(standard_cost=D("8.00"), category=child)
    selling.price(product, "10.00")  # a 20 % margin
    actor = Actor.of(manager)
    floor = create_margin_floor(actor, MarginFloorDraft(selling.company.pk, parent.pk, "25"))
    line = selling.order((product, "1", None)).lines.get()
    assert line.price_exception == "margin 20.0 % under the floor 25 %"
    update_margin_floor(actor, floor.pk, {"min_margin_percent": "15"})
    assert selling.order((product, "1", None)).lines.get().price_exception == ""
    update_margin_floor(actor, floor.pk, {"min_margin_percent": "22"})
    assert "under the floor 22 %" in selling.order((product, "1", None)).lines.get().price_exception
    delete_margin_floor(actor, floor.pk)
    assert selling.order((product, "1", None)).lines.get().price_exception == ""


# -- the API ----------------------------------------------------------------------------------


def _url(company) -> str:
    return f"sales-settings/{company.pk}"


def test_the_api_answers_the_defaults_then_saves_a_patch(company_a, manager):
    api = ApiClient(manager)
    got = api.get(_url(company_a))
    assert got.status_code == 200, got.content
    assert got["ETag"] == '"0"'
    assert got.json() == {
        "company": company_a.pk, "sourcing_policy": "nearest", "invoice_policy": "delivery",
        "overdue_hold_days": 30, "max_discount_percent": "10.0000", "saved": False, "version": 0,
    }  # fmt: skip
    patched = api.patch(
        _url(company_a), {"max_discount_percent": "7.5", "sourcing_policy": "split"},
        HTTP_IF_MATCH='"0"',
    )  # fmt: skip
    assert patched.status_code == 200, patched.content
    assert patched["ETag"] == '"1"'
    body = patched.json()
    assert (body["max_discount_percent"], body["sourcing_policy"]) == ("7.5000", "split")
    assert (body["saved"], body["version"], body["overdue_hold_days"]) == (True, 1, 30)
    stale = api.patch(_url(company_a), {"overdue_hold_days": 4}, HTTP_IF_MATCH='"0"')
    assert stale.status_code == 412, stale.content
    assert stale.json()["code"] == "stale-version"
    assert settings_for(company_a.pk).overdue_hold_days == 30
    by_body = api.patch(_url(company_a), {"overdue_hold_days": 4, "version": 1})
    assert by_body.status_code == 200, by_body.content
    assert settings_for(company_a.pk).overdue_hold_days == 4


def test_bad_settings_input_is_a_422_naming_each_field(company_a, manager):
    api = ApiClient(manager)
    response = api.patch(
        _url(company_a),
        {"max_discount_percent": "150", "overdue_hold_days": -2, "invoice_policy": "weekly"},
    )
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"] == {
        "invoice_policy": ["One of delivery, order."],
        "overdue_hold_days": ["A whole number of days from 0 to 365."],
        "max_discount_percent": ["At most 100 %."],
    }
    floats = api.patch(_url(company_a), {"max_discount_percent": 1.5})
    assert floats.status_code == 422
    assert "max_discount_percent" in floats.json()["errors"]
    assert api.patch(_url(company_a), {"colour": "red"}).status_code == 422
    assert (
        api.patch(_url(company_a), {"overdue_hold_days": 3}, HTTP_IF_MATCH="x").status_code == 412
    )
    assert not SalesSettings.objects.exists()


def test_the_settings_api_refuses_other_roles_and_other_companies(company_a, company_b, manager):
    rep = ApiClient(factories.user(Role.SALES_REP, companies=[company_a]))
    assert rep.get(_url(company_a)).status_code == 200  # sales reps read them
    refused = rep.patch(_url(company_a), {"overdue_hold_days": 5})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    buyer = ApiClient(factories.user(Role.BUYER, companies=[company_a]))
    assert buyer.get(_url(company_a)).status_code == 403
    api = ApiClient(manager)
    assert api.get(_url(company_b)).status_code == 404
    assert api.patch(_url(company_b), {"overdue_hold_days": 5}).status_code == 404
    assert not SalesSettings.objects.exists()


def test_margin_floors_through_the_api(company_a, company_b, manager):
    api = ApiClient(manager)
    category = factories.category("Cables")
    created = api.post(
        "margin-floors",
        {"company": company_a.pk, "category": category.pk, "min_margin_percent": "18.25"},
        HTTP_IDEMPOTENCY_KEY="floor-1",
    )
    assert created.status_code == 201, created.content
    floor_id = created.json()["id"]
    assert created.json() == {
        "id": floor_id, "company": company_a.pk, "category": category.pk,
        "category_path": "Cables", "min_margin_percent": "18.2500",
        "max_discount_percent": None, "version": 1,
    }  # fmt: skip
    assert created["ETag"] == '"1"'
    replayed = api.post(
        "margin-floors",
        {"company": company_a.pk, "category": category.pk, "min_margin_percent": "18.25"},
        HTTP_IDEMPOTENCY_KEY="floor-1",
    )
    assert (replayed.status_code, replayed.json()["id"]) == (201, floor_id)
    again = api.post(
        "margin-floors",
        {"company": company_a.pk, "category": category.pk, "min_margin_percent": "3"},
    )
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
    assert MarginFloor.objects.count() == 1

    patched = api.patch(
        f"margin-floors/{floor_id}", {"max_discount_percent": "4"}, HTTP_IF_MATCH='"1"'
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["max_discount_percent"], patched["ETag"]) == ("4.0000", '"2"')
    stale = api.patch(f"margin-floors/{floor_id}", {"min_margin_percent": "1"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert api.delete(f"margin-floors/{floor_id}", HTTP_IF_MATCH='"1"').status_code == 412
    assert MarginFloor.objects.get().min_margin_percent == D("18.25")

    other = _floor(company_b)
    listed = api.get("margin-floors")
    assert [f["id"] for f in listed.json()["items"]] == [floor_id]  # company B is not seen
    assert api.get(f"margin-floors/{other.pk}").status_code == 404
    assert api.patch(f"margin-floors/{other.pk}", {"min_margin_percent": "1"}).status_code == 404
    assert api.delete(f"margin-floors/{other.pk}").status_code == 404

    removed = api.delete(f"margin-floors/{floor_id}", HTTP_IF_MATCH='"2"')
    assert removed.status_code == 204
    assert list(MarginFloor.objects.values_list("pk", flat=True)) == [other.pk]


def test_bad_floor_input_through_the_api_is_a_422(company_a, company_b, manager):
    api = ApiClient(manager)
    category = factories.category()
    bad = api.post(
        "margin-floors",
        {"company": company_a.pk, "category": category.pk, "min_margin_percent": "100"},
    )
    assert bad.status_code == 422, bad.content
    assert bad.json()["errors"] == {"min_margin_percent": ["Less than 100 %."]}
    floats = api.post(
        "margin-floors",
        {"company": company_a.pk, "category": category.pk, "min_margin_percent": 10.5},
    )
    assert floats.status_code == 422
    missing = api.post(
        "margin-floors", {"company": company_a.pk, "category": 999999, "min_margin_percent": "5"}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"] == {"category": ["No product category with id 999999."]}
    foreign = api.post(
        "margin-floors",
        {"company": company_b.pk, "category": category.pk, "min_margin_percent": "5"},
    )
    assert foreign.status_code == 404
    floor = _floor(company_a, category)
    moved = api.patch(f"margin-floors/{floor.pk}", {"category": 1})
    assert moved.status_code == 422
    assert api.get("margin-floors", {"colour": "red"}).status_code == 422
    assert api.get("margin-floors", {"cursor": "nonsense"}).status_code == 422
    assert MarginFloor.objects.count() == 1


def test_the_floor_list_pages_with_a_cursor_and_filters(company_a, manager):
    categories = [factories.category() for _ in range(3)]
    floors = [_floor(company_a, c, str(i)) for i, c in enumerate(categories)]
    api = ApiClient(manager)
    first = api.get("margin-floors", {"limit": 2})
    assert [f["id"] for f in first.json()["items"]] == [floors[0].pk, floors[1].pk]
    cursor = first.json()["next_cursor"]
    second = api.get("margin-floors", {"limit": 2, "cursor": cursor})
    assert [f["id"] for f in second.json()["items"]] == [floors[2].pk]
    assert second.json()["next_cursor"] is None
    one = api.get("margin-floors", {"category": categories[1].pk, "company": company_a.pk})
    assert [f["min_margin_percent"] for f in one.json()["items"]] == ["1.0000"]
    newest = api.get("margin-floors", {"ordering": "-id", "limit": 1})
    assert [f["id"] for f in newest.json()["items"]] == [floors[2].pk]


# -- the screen -------------------------------------------------------------------------------


def _settings_post(company, **values):
    data = {
        "company": company.pk, "sourcing_policy": "nearest", "invoice_policy": "delivery",
        "overdue_hold_days": "30", "max_discount_percent": "10", "version": "0",
    }  # fmt: skip
    data.update(values)
    return data


def test_the_manager_edits_the_settings_on_the_screen(company_a, manager):
    client = client_for(manager)
    url = reverse("sales:settings")
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "runs on the defaults" in text
    assert 'name="max_discount_percent" value="10"' in text
    keys = {e.key for group in navigation_for(manager) for e in group.entries}
    assert "sales-settings" in keys
    response = client.post(
        f"{url}?company={company_a.pk}",
        _settings_post(company_a, sourcing_policy="central", max_discount_percent="12.5"),
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}?company={company_a.pk}"
    stored = SalesSettings.objects.get(company=company_a)
    assert (stored.sourcing_policy, stored.max_discount_percent) == ("central", D("12.5"))
    assert "version 1" in client.get(response["Location"]).content.decode()


def test_bad_screen_input_is_shown_on_its_field_and_nothing_is_saved(company_a, manager):
    client = client_for(manager)
    response = client.post(
        reverse("sales:settings"),
        _settings_post(company_a, max_discount_percent="250", overdue_hold_days="-1"),
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert 'data-field="max_discount_percent">At most 100 %.' in text
    assert 'data-field="overdue_hold_days">A whole number of days from 0 to 365.' in text
    assert not SalesSettings.objects.exists()


def test_a_stale_screen_save_is_refused(company_a, manager):
    update_sales_settings(Actor.of(manager), company_a.pk, overdue_hold_days=5)
    response = client_for(manager).post(
        reverse("sales:settings"), _settings_post(company_a, overdue_hold_days="9")
    )
    assert response.status_code == 422
    assert "changed by someone else" in response.content.decode()
    assert settings_for(company_a.pk).overdue_hold_days == 5


def test_floors_are_added_changed_and_removed_on_the_screen_with_htmx(company_a, manager):
    client = client_for(manager)
    category = factories.category("Tools")
    added = client.post(
        f"{reverse('sales:floor_add')}?company={company_a.pk}",
        {"company": company_a.pk, "new-category": category.pk, "new-min_margin_percent": "22",
         "new-max_discount_percent": ""},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert added.status_code == 200
    text = added.content.decode()
    assert text.lstrip().startswith('<section class="card" id="margin-floors">')
    floor = MarginFloor.objects.get()
    assert (floor.category, floor.min_margin_percent, floor.max_discount_percent) == (
        category, D(22), None,
    )  # fmt: skip
    assert f'name="floor-{floor.pk}-min_margin_percent" value="22"' in text

    refused = client.post(
        reverse("sales:floor_change", args=[floor.pk]),
        {f"floor-{floor.pk}-min_margin_percent": "120",
         f"floor-{floor.pk}-max_discount_percent": "", f"floor-{floor.pk}-version": "1"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert refused.status_code == 200  # HTMX swaps 2xx answers only
    assert f'data-field="floor-{floor.pk}-min_margin_percent">At most 100 %.' in (
        refused.content.decode()
    )
    floor.refresh_from_db()
    assert (floor.min_margin_percent, floor.version) == (D(22), 1)

    changed = client.post(
        reverse("sales:floor_change", args=[floor.pk]),
        {f"floor-{floor.pk}-min_margin_percent": "18",
         f"floor-{floor.pk}-max_discount_percent": "6", f"floor-{floor.pk}-version": "1"},
    )  # fmt: skip
    assert changed.status_code == 302
    floor.refresh_from_db()
    assert (floor.min_margin_percent, floor.max_discount_percent, floor.version) == (
        D(18), D(6), 2,
    )  # fmt: skip

    duplicate = client.post(
        reverse("sales:floor_add"),
        {"company": company_a.pk, "new-category": category.pk, "new-min_margin_percent": "5"},
    )
    assert duplicate.status_code == 422
    assert "already has a margin floor for Tools" in duplicate.content.decode()
    assert MarginFloor.objects.count() == 1

    removed = client.post(
        reverse("sales:floor_remove", args=[floor.pk]), {"version": "2"}, HTTP_HX_REQUEST="true"
    )
    assert removed.status_code == 200
    assert "No margin floors" in removed.content.decode()
    assert not MarginFloor.objects.exists()


def test_a_sales_rep_reads_the_screen_but_may_not_save(company_a):
    floor = _floor(company_a)
    rep = factories.user(Role.SALES_REP, companies=[company_a])
    client = client_for(rep)
    page = client.get(reverse("sales:settings"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "disabled" in text
    assert ">Save</button>" not in text
    assert "Add floor" not in text
    assert client.post(reverse("sales:settings"), _settings_post(company_a)).status_code == 403
    add = {"company": company_a.pk, "new-category": factories.category().pk,
           "new-min_margin_percent": "5"}  # fmt: skip
    assert client.post(reverse("sales:floor_add"), add).status_code == 403
    change = {f"floor-{floor.pk}-min_margin_percent": "1"}
    assert client.post(reverse("sales:floor_change", args=[floor.pk]), change).status_code == 403
    assert client.post(reverse("sales:floor_remove", args=[floor.pk])).status_code == 403
    assert not SalesSettings.objects.exists()
    floor.refresh_from_db()
    assert (MarginFloor.objects.count(), floor.min_margin_percent) == (1, D(20))


def test_the_screen_is_refused_without_the_permission_and_hides_other_companies(
    company_a, company_b, manager
):
    buyer = factories.user(Role.BUYER, companies=[company_a])
    assert client_for(buyer).get(reverse("sales:settings")).status_code == 403
    keys = {e.key for group in navigation_for(buyer) for e in group.entries}
    assert "sales-settings" not in keys
    client = client_for(manager)
    url = reverse("sales:settings")
    assert client.get(f"{url}?company={company_b.pk}").status_code == 404
    assert client.get(f"{url}?company=abc").status_code == 404
    other = _floor(company_b)
    change = {f"floor-{other.pk}-min_margin_percent": "1"}
    assert client.post(reverse("sales:floor_change", args=[other.pk]), change).status_code == 404
    assert client.post(reverse("sales:floor_remove", args=[other.pk])).status_code == 404
    assert MarginFloor.objects.get().min_margin_percent == D(20)
