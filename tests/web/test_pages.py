"""Every page of the shell renders for an administrator; anonymous users are sent to sign in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crossdock.masterdata.models import ExchangeRate, PaymentTerm
from crossdock.masterdata.registry import BY_SLUG, RECORD_TYPES
from tests import factories
from tests.factories import SYSTEM

SLUGS = [rt.slug for rt in RECORD_TYPES]


@pytest.fixture
def one_of_each(company_a, warehouse_a, partner_a):
    """At least one row of every record type, so every detail and edit page can be opened."""
    from crossdock.masterdata.models import Currency
    from crossdock.masterdata.services import create_record

    factories.product("SKU-PAGES")
    create_record(SYSTEM, PaymentTerm, {"code": "NET30", "name": "30 days net", "net_days": 30})
    create_record(
        SYSTEM,
        ExchangeRate,
        {
            "currency": Currency.objects.get(code="USD"),
            "quote_currency": Currency.objects.get(code="EUR"),
            "valid_from": "2025-01-01",
            "rate": "0.9",
        },
    )
    if "partner-bank-accounts" in BY_SLUG:
        BY_SLUG["partner-bank-accounts"].create_record(
            SYSTEM, {"partner": partner_a, "iban": "BE71 0961 2345 6769", "holder": "Alpha Retail"}
        )
    return company_a


def _first(record_type, user):
    return record_type.model.objects.restrict(user, "view").order_by("pk").first()


@pytest.mark.parametrize("slug", SLUGS)
def test_list_detail_create_and_edit_pages_render_for_an_administrator(
    slug, admin_user, admin_client_web, one_of_each
):
    record_type = next(rt for rt in RECORD_TYPES if rt.slug == slug)
    response = admin_client_web.get(reverse("web:record_list", args=[slug]))
    assert response.status_code == 200
    assert response.context["page"].paginator.count >= 0

    assert admin_client_web.get(reverse("web:record_create", args=[slug])).status_code == 200

    instance = _first(record_type, admin_user)
    assert instance is not None, f"add a {slug} row to one_of_each"
    detail = admin_client_web.get(reverse("web:record_detail", args=[slug, instance.pk]))
    assert detail.status_code == 200
    assert str(instance) in detail.content.decode()
    assert (
        admin_client_web.get(reverse("web:record_edit", args=[slug, instance.pk])).status_code
        == 200
    )
    assert (
        admin_client_web.get(reverse("web:record_delete", args=[slug, instance.pk])).status_code
        == 200
    )


def test_home_counts_what_the_user_may_see(admin_client_web, partner_a, partner_b):
    response = admin_client_web.get(reverse("web:home"))
    assert response.status_code == 200
    cards = {
        card["entry"].key: card["count"]
        for group in response.context["groups"]
        for card in group["cards"]
    }
    assert cards["partners"] == 2
    assert cards["companies"] == 2
    assert "Recent changes" in response.content.decode()


def test_navigation_groups_follow_the_role(sales_rep_a):
    from tests.browser import client_for

    response = client_for(sales_rep_a).get(reverse("web:home"))
    navigation = response.context["shell"].navigation
    labels = {group.label: [e.key for e in group.entries] for group in navigation}
    # A sales rep sees partners and the catalogue but not locations, companies or the audit trail.
    assert "partners" in labels["Partners"]
    assert "products" in labels["Catalogue"]
    assert "Governance" not in labels
    assert "locations" not in labels.get("Organisation", [])
    assert "companies" not in labels.get("Organisation", [])


def test_administrator_navigation_has_every_record_type_and_the_audit_trail(
    admin_client_web, company_a
):
    response = admin_client_web.get(reverse("web:home"))
    keys = {e.key for group in response.context["shell"].navigation for e in group.entries}
    assert {*SLUGS, "audit"} <= keys  # other screens (approvals, …) add entries of their own


@pytest.mark.parametrize(
    "url",
    ["/", "/partners/", "/partners/new/", "/audit/", "/partners/1/"],
)
def test_anonymous_users_are_sent_to_sign_in(client, url, db):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_unknown_pages_are_404_with_the_shell(admin_client_web):
    response = admin_client_web.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Not found" in response.content
    assert admin_client_web.get("/partners/99999999999999999999999/").status_code == 404


def _posted(form):
    """What a browser sends back for an untouched form."""
    data = {}
    for bound in form:
        value = bound.value()
        if value is True:
            data[bound.html_name] = "on"
        elif value is False or value is None:
            continue
        else:
            data[bound.html_name] = str(value)
    return data


@pytest.mark.parametrize("slug", SLUGS)
def test_saving_an_untouched_edit_form_works_for_every_record_type(
    slug, admin_user, admin_client_web, one_of_each
):
    record_type = BY_SLUG[slug]
    instance = _first(record_type, admin_user)
    url = reverse("web:record_edit", args=[slug, instance.pk])
    form = admin_client_web.get(url).context["form"]
    response = admin_client_web.post(url, _posted(form))
    assert response.status_code == 302, response.context and response.context["form"].errors
    instance.refresh_from_db()
    assert instance.version == 2


@pytest.mark.parametrize("slug", SLUGS)
def test_empty_and_garbage_posts_are_refused_for_every_record_type(
    slug, admin_client_web, one_of_each
):
    record_type = BY_SLUG[slug]
    count = record_type.model.objects.count()
    url = reverse("web:record_create", args=[slug])
    assert admin_client_web.post(url, {}).status_code == 422
    garbage = dict.fromkeys(record_type.form_fields, "\x00" + "x" * 300)
    response = admin_client_web.post(url, garbage)
    assert 400 <= response.status_code < 500
    assert record_type.model.objects.count() == count
