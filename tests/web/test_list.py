"""List pages: search, filters, sorting, paging, HTMX fragments, a constant number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.masterdata.registry import RECORD_TYPES
from crossdock.masterdata.services import set_product_barcodes
from tests import factories
from tests.factories import SYSTEM

PRODUCTS = reverse("web:record_list", args=["products"])


@pytest.fixture
def products(db):
    hardware = factories.category("Hardware")
    food = factories.category("Food")
    made = [
        factories.product("BOLT-10", name="Hex bolt M10", category=hardware),
        factories.product(
            "BOLT-12", name="Hex bolt M12", category=hardware, list_price=Decimal("12.5")
        ),
        factories.product("NUT-10", name="Nut M10", category=hardware, list_price=Decimal("0.35")),
        factories.product("RICE-5", name="Basmati rice 5 kg", category=food),
    ]
    set_product_barcodes(SYSTEM, made[3], ["4006381333931"])
    return made


def _codes(response):
    return [row.cells[0].text for row in response.context["rows"]]


def test_search_matches_any_search_field_and_every_term(admin_client_web, products):
    assert _codes(admin_client_web.get(PRODUCTS, {"q": "bolt"})) == ["BOLT-10", "BOLT-12"]
    assert _codes(admin_client_web.get(PRODUCTS, {"q": "hex m12"})) == ["BOLT-12"]
    # Barcodes are searched without duplicating rows.
    assert _codes(admin_client_web.get(PRODUCTS, {"q": "400638"})) == ["RICE-5"]
    assert _codes(admin_client_web.get(PRODUCTS, {"q": "nothing-like-this"})) == []


def test_filters_and_sorting(admin_client_web, products):
    hardware = products[0].category
    response = admin_client_web.get(PRODUCTS, {"category": hardware.pk, "sort": "-list_price"})
    assert _codes(response) == ["BOLT-12", "BOLT-10", "NUT-10"]
    columns = {c.name: c for c in response.context["columns"]}
    assert columns["list_price"].direction == "desc"
    assert "sort=list_price" in columns["list_price"].sort_url
    assert columns["category"].sort_url == ""
    category = next(f for f in response.context["filters"] if f.name == "category")
    assert category.selected == str(hardware.pk)
    assert {label for _, label in category.options} >= {"Hardware", "Food"}


def test_paging_shows_counts(admin_client_web, products):
    response = admin_client_web.get(PRODUCTS, {"per_page": "25", "page": "1"})
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.per_page) == (4, 25)
    assert "1–4 of 4" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999999999999999999"},
        {"per_page": "1000000"},
        {"sort": "password"},
        {"sort": "-category__name; drop"},
        {"category": "abc"},
        {"category": "99999999999999999999999"},
        {"tracking": "quantum"},
        {"status": "\x00"},
        {"q": "nul\x00byte"},
        {"q": "%_\\'\""},
        {"q": "x" * 5000},
        {"company": "\x00"},
    ],
)
def test_nonsense_parameters_are_ignored_never_a_500(admin_client_web, products, params):
    response = admin_client_web.get(PRODUCTS, params)
    assert response.status_code == 200


def test_nonsense_filters_on_company_bound_lists(admin_client_web, partner_a):
    url = reverse("web:record_list", args=["partners"])
    for params in ({"is_customer": "maybe"}, {"company": "1e3"}, {"currency": "EUR"}):
        assert admin_client_web.get(url, params).status_code == 200
    dates = reverse("web:record_list", args=["exchange-rates"])
    assert admin_client_web.get(dates, {"valid_from": "not-a-date"}).status_code == 200


def test_an_htmx_request_gets_only_the_table(admin_client_web, products):
    response = admin_client_web.get(PRODUCTS, {"q": "bolt", "category": ""}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="record-table"')
    assert "<html" not in body
    assert "BOLT-10" in body
    assert "RICE-5" not in body
    # The address bar shows the clean URL of what is on screen.
    assert response["HX-Push-Url"] == f"{PRODUCTS}?q=bolt"
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(admin_client_web, products):
    response = admin_client_web.get(
        PRODUCTS, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_export_links_follow_the_filters(admin_client_web, products):
    response = admin_client_web.get(PRODUCTS, {"q": "bolt", "page": "1"})
    links = dict(response.context["export_links"])
    assert links["CSV"] == reverse("web:record_export", args=["products", "csv"]) + "?q=bolt"


def test_company_bound_lists_default_to_the_current_company(admin_client_web, partner_a, partner_b):
    url = reverse("web:record_list", args=["partners"])
    assert _codes(admin_client_web.get(url)) == ["ACME-CUST"]
    assert _codes(admin_client_web.get(url, {"company": "all"})) == ["ACME-CUST", "BETA-CUST"]
    assert _codes(admin_client_web.get(url, {"company": partner_b.company_id})) == ["BETA-CUST"]


def _make_many_partners(company, count):
    for _ in range(count):
        factories.partner(company)


@pytest.mark.parametrize("slug", [rt.slug for rt in RECORD_TYPES])
def test_list_pages_run_a_constant_number_of_queries(
    slug, admin_client_web, django_assert_max_num_queries, warehouse_a, products
):
    url = reverse("web:record_list", args=[slug])
    admin_client_web.get(url)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(22):
        response = admin_client_web.get(url, {"company": "all"})
    assert response.status_code == 200


def test_the_number_of_queries_does_not_grow_with_the_rows(
    admin_client_web, company_a, company_b, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("web:record_list", args=["partners"])
    _make_many_partners(company_a, 2)
    with CaptureQueriesContext(connection) as few:
        admin_client_web.get(url, {"company": "all"})
    _make_many_partners(company_a, 30)
    _make_many_partners(company_b, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client_web.get(url, {"company": "all"})
    assert len(response.context["rows"]) == 42
