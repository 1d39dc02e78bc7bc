"""Company scope and role permissions on every page: other companies' rows do not exist."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from crossdock.core.roles import Role
from crossdock.masterdata.models import Location, Partner
from tests import factories
from tests.browser import client_for


@pytest.fixture
def rep_client(sales_rep_a):
    return client_for(sales_rep_a)


def test_a_partner_of_another_company_is_404_on_every_page(rep_client, partner_a, partner_b):
    for name in ("web:record_detail", "web:record_edit", "web:record_delete"):
        assert rep_client.get(reverse(name, args=["partners", partner_b.pk])).status_code == 404
    assert (
        rep_client.get(reverse("web:record_detail", args=["partners", partner_a.pk])).status_code
        == 200
    )
    # Posting to another company's row changes nothing.
    response = rep_client.post(
        reverse("web:record_edit", args=["partners", partner_b.pk]),
        {"name": "Hijacked", "version": partner_b.version},
    )
    assert response.status_code == 404
    partner_b.refresh_from_db()
    assert partner_b.name == "Bravo Stores"


@pytest.mark.parametrize("company", ["", "all", "999999", "not-a-number"])
def test_the_list_never_shows_another_companys_rows(rep_client, partner_a, partner_b, company):
    response = rep_client.get(reverse("web:record_list", args=["partners"]), {"company": company})
    assert response.status_code == 200
    body = response.content.decode()
    assert "ACME-CUST" in body
    assert "BETA-CUST" not in body
    assert response.context["page"].paginator.count == 1


def test_search_is_scoped_too(rep_client, partner_a, partner_b):
    url = reverse("web:record_list", args=["partners"])
    assert "BETA-CUST" not in rep_client.get(url, {"q": "Bravo"}).content.decode()
    assert rep_client.get(url, {"q": "Bravo"}).context["page"].paginator.count == 0
    assert rep_client.get(url, {"q": "alpha"}).context["page"].paginator.count == 1


def test_filter_options_only_come_from_visible_rows(rep_client, partner_a, partner_b, company_b):
    from crossdock.masterdata.models import Currency

    factories.partner(company_b, currency=Currency.objects.get(code="USD"))
    response = rep_client.get(reverse("web:record_list", args=["partners"]))
    currency = next(f for f in response.context["filters"] if f.name == "currency")
    assert [label for _, label in currency.options] == ["EUR"]
    # The company selector offers only the user's companies.
    assert [label for _, label in response.context["listing"].company_options] == [
        "All my companies",
        "Acme Distribution",
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_contains_only_the_users_rows(rep_client, partner_a, partner_b, fmt):
    response = rep_client.get(
        reverse("web:record_export", args=["partners", fmt]), {"company": "all"}
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert f".{fmt}" in response["Content-Disposition"]
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
        codes = [row.get("code") or row.get("Code") for row in csv.DictReader(io.StringIO(text))]
        assert codes == ["ACME-CUST"]


def test_export_receives_the_filtered_scoped_queryset(
    monkeypatch, admin_client_web, partner_a, partner_b
):
    seen = {}

    def fake_export(record_type, queryset, fmt):
        seen["codes"] = sorted(queryset.values_list("code", flat=True))
        seen["fmt"] = fmt
        return b"x", "text/csv", "partners.csv"

    monkeypatch.setattr("crossdock.masterdata.exports.export_rows", fake_export)
    url = reverse("web:record_export", args=["partners", "csv"])
    admin_client_web.get(url, {"company": "all", "q": "bravo"})
    assert seen == {"codes": ["BETA-CUST"], "fmt": "csv"}
    admin_client_web.get(url)  # defaults to the current company, as the list does
    assert seen["codes"] == ["ACME-CUST"]


def test_unknown_export_format_is_404(admin_client_web, company_a):
    assert admin_client_web.get("/partners/export/pdf/").status_code == 404


def test_a_role_without_view_permission_gets_403(company_a, partner_a):
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a])
    client = client_for(operator)
    assert client.get(reverse("web:record_list", args=["partners"])).status_code == 403
    response = client.get(reverse("web:record_detail", args=["partners", partner_a.pk]))
    assert response.status_code == 403
    assert b"Not allowed" in response.content
    assert client.get(reverse("web:record_export", args=["partners", "csv"])).status_code == 403
    assert client.get(reverse("web:record_create", args=["partners"])).status_code == 403
    assert client.get(reverse("web:audit_list")).status_code == 403
    # Locations are viewable, not editable.
    location = Location.objects.filter(company=company_a).first()
    assert (
        client.get(reverse("web:record_detail", args=["locations", location.pk])).status_code == 200
    )
    assert (
        client.get(reverse("web:record_edit", args=["locations", location.pk])).status_code == 403
    )


def test_view_only_role_sees_no_edit_buttons(company_a, partner_a):
    clerk = factories.user(Role.AP_CLERK, companies=[company_a])
    client = client_for(clerk)
    detail = client.get(reverse("web:record_detail", args=["partners", partner_a.pk]))
    assert detail.context["can_change"] is False
    assert (
        reverse("web:record_edit", args=["partners", partner_a.pk]) not in detail.content.decode()
    )
    listing = client.get(reverse("web:record_list", args=["partners"]))
    assert listing.context["can_add"] is False
    assert (
        client.post(
            reverse("web:record_edit", args=["partners", partner_a.pk]), {"name": "x"}
        ).status_code
        == 403
    )
    assert Partner.objects.get(pk=partner_a.pk).name == "Alpha Retail"


def test_company_choices_in_forms_are_the_users_own(rep_client, company_a, company_b):
    form = rep_client.get(reverse("web:record_create", args=["partners"])).context["form"]
    assert list(form.fields["company"].queryset) == [company_a]
    assert form.initial["company"] == company_a.pk


def test_foreign_key_choices_never_offer_another_companys_rows(
    admin_user, warehouse_a, warehouse_b, company_a
):
    admin_a = factories.user(Role.ADMINISTRATOR, companies=[company_a])
    form = client_for(admin_a).get(reverse("web:record_create", args=["locations"])).context["form"]
    parents = form.fields["parent"].queryset
    assert parents.filter(company=warehouse_b.company).count() == 0
    assert parents.filter(company=company_a).count() > 0
    assert list(form.fields["warehouse"].queryset) == [warehouse_a]


def test_picking_another_companys_row_by_id_is_refused_and_writes_nothing(
    rep_client, company_a, company_b
):
    before = Partner.objects.count()
    response = rep_client.post(
        reverse("web:record_create", args=["partners"]),
        {
            "company": company_b.pk,
            "code": "SNEAKY",
            "name": "Sneaky",
            "is_customer": "on",
            "currency": company_b.base_currency_id,
            "credit_limit": "0",
            "active": "on",
        },
    )
    assert response.status_code == 422
    assert "company" in response.context["form"].errors
    assert Partner.objects.count() == before
