"""Create, edit and delete through the forms: services do the work, refusals come back as errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.core.models import AuditEntry
from crossdock.masterdata.models import Company, Partner
from crossdock.masterdata.registry import BY_SLUG
from tests import factories
from tests.factories import SYSTEM


def _partner_data(owner, **overrides):
    data = {
        "company": owner.pk,
        "code": "NEWCO",
        "name": "New Customer",
        "is_customer": "on",
        "currency": owner.base_currency_id,
        "credit_limit": "1500.50",
        "active": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_create_goes_through_the_service_and_is_audited(admin_client_web, company_a):
    response = admin_client_web.post(
        reverse("web:record_create", args=["partners"]), _partner_data(company_a)
    )
    partner = Partner.objects.get(code="NEWCO")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:record_detail", args=["partners", partner.pk])
    assert partner.credit_limit == Decimal("1500.50")
    entry = AuditEntry.objects.get(object_type="masterdata.partner", object_id=str(partner.pk))
    assert entry.action == "create"
    assert entry.actor_label == "admin-test"


def test_a_negative_credit_limit_is_shown_on_its_field_and_nothing_is_written(
    admin_client_web, company_a
):
    partners, entries = Partner.objects.count(), AuditEntry.objects.count()
    response = admin_client_web.post(
        reverse("web:record_create", args=["partners"]),
        _partner_data(company_a, credit_limit="-5"),
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["credit_limit"] == ["Cannot be negative."]
    body = response.content.decode()
    assert "Cannot be negative." in body
    assert 'aria-invalid="true"' in body
    assert (Partner.objects.count(), AuditEntry.objects.count()) == (partners, entries)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credit_limit", "lots"),
        ("credit_limit", "NaN"),
        ("credit_limit", "1e30"),
        ("credit_limit", "0.00001"),
        ("currency", "999999"),
        ("currency", "EUR"),
        ("company", "'; drop table"),
        ("code", "x" * 500),
        ("name", "nul\x00byte"),
        ("customer_tier", "platinum"),
    ],
)
def test_bad_input_is_a_form_error_never_a_500(admin_client_web, company_a, field, value):
    before = Partner.objects.count()
    response = admin_client_web.post(
        reverse("web:record_create", args=["partners"]),
        _partner_data(company_a, **{field: value}),
    )
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert Partner.objects.count() == before


def test_service_rules_across_fields_are_mapped_to_their_fields(admin_client_web, company_a):
    response = admin_client_web.post(
        reverse("web:record_create", args=["partners"]),
        _partner_data(company_a, is_customer=None, customer_tier="key"),
    )
    errors = response.context["form"].errors
    assert "A partner is a customer, a supplier or both." in errors["is_customer"]
    assert errors["customer_tier"] == ["Only customers have a tier."]
    assert not Partner.objects.filter(code="NEWCO").exists()


def test_a_duplicate_code_is_refused_without_a_500(admin_client_web, company_a, partner_a):
    response = admin_client_web.post(
        reverse("web:record_create", args=["partners"]),
        _partner_data(company_a, code=partner_a.code),
    )
    assert response.status_code in (409, 422)
    assert response.context["form"].errors
    assert Partner.objects.filter(code=partner_a.code).count() == 1


def test_edit_uses_the_version_and_bumps_it(admin_client_web, company_a, partner_a):
    url = reverse("web:record_edit", args=["partners", partner_a.pk])
    form = admin_client_web.get(url).context["form"]
    assert form.initial["version"] == 1
    response = admin_client_web.post(
        url, _partner_data(company_a, code=partner_a.code, name="Alpha Renamed", version=1)
    )
    assert response.status_code == 302
    partner_a.refresh_from_db()
    assert (partner_a.name, partner_a.version) == ("Alpha Renamed", 2)


def test_a_stale_edit_is_refused_and_keeps_the_other_change(admin_client_web, company_a, partner_a):
    url = reverse("web:record_edit", args=["partners", partner_a.pk])
    BY_SLUG["partners"].update_record(SYSTEM, partner_a.pk, {"name": "Changed meanwhile"})
    response = admin_client_web.post(
        url, _partner_data(company_a, code=partner_a.code, name="My change", version=1)
    )
    assert response.status_code == 412
    assert "changed by someone else" in response.content.decode()
    partner_a.refresh_from_db()
    assert partner_a.name == "Changed meanwhile"


def test_edit_without_a_version_is_refused(admin_client_web, company_a, partner_a):
    url = reverse("web:record_edit", args=["partners", partner_a.pk])
    response = admin_client_web.post(url, _partner_data(company_a, code=partner_a.code))
    assert response.status_code == 422
    assert "version" in response.context["form"].errors


def test_delete_asks_first_then_deletes_through_the_service(admin_client_web, partner_a):
    url = reverse("web:record_delete", args=["partners", partner_a.pk])
    assert b"Delete" in admin_client_web.get(url).content
    response = admin_client_web.post(url, {"version": partner_a.version})
    assert response.status_code == 302
    assert not Partner.objects.filter(pk=partner_a.pk).exists()
    assert AuditEntry.objects.filter(
        object_type="masterdata.partner", object_id=str(partner_a.pk), action="delete"
    ).exists()


def test_deleting_a_record_still_in_use_shows_the_services_message(
    admin_client_web, company_a, partner_a
):
    response = admin_client_web.post(
        reverse("web:record_delete", args=["companies", company_a.pk]),
        {"version": company_a.version},
    )
    assert response.status_code == 422
    assert "deactivate it instead" in response.content.decode()
    assert Company.objects.filter(pk=company_a.pk).exists()


def test_delete_with_a_tampered_version_does_nothing(admin_client_web, partner_a):
    url = reverse("web:record_delete", args=["partners", partner_a.pk])
    assert admin_client_web.post(url, {"version": "abc"}).status_code == 422
    assert admin_client_web.post(url, {"version": "7"}).status_code == 412
    assert Partner.objects.filter(pk=partner_a.pk).exists()


def test_product_form_limits_units_and_keeps_decimals_exact(admin_client_web):
    from crossdock.masterdata.models import Currency, Product, Unit

    category = factories.category("Tools")
    piece = Unit.objects.get(code="H87")
    data = {
        "sku": "EXACT-1",
        "name": "Exact widget",
        "category": category.pk,
        "base_unit": piece.pk,
        "purchase_unit": piece.pk,
        "sales_unit": piece.pk,
        "tracking": "none",
        "costing_method": "fifo",
        "currency": Currency.objects.get(code="EUR").pk,
        "standard_cost": "0.1",
        "list_price": "0.3",
        "status": "active",
    }
    response = admin_client_web.post(reverse("web:record_create", args=["products"]), data)
    assert response.status_code == 302
    product = Product.objects.get(sku="EXACT-1")
    assert product.list_price - product.standard_cost == Decimal("0.2")

    kilo = Unit.objects.get(code="KGM")
    response = admin_client_web.post(
        reverse("web:record_create", args=["products"]),
        {**data, "sku": "EXACT-2", "sales_unit": kilo.pk},
    )
    assert response.status_code == 422
    assert "not convertible" in response.context["form"].errors["sales_unit"][0]
