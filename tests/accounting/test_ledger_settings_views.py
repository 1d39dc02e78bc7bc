"""The ledger settings screen: saves all or nothing, names the refused field, follows roles."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from crossdock.accounting import services
from crossdock.accounting.models import AccountRole, LedgerSettings
from crossdock.core.roles import Role
from tests import factories

URL = "/accounting/ledger-settings/"


def signed_in(role, company):
    client = Client()
    client.force_login(factories.user(role, companies=[company]))
    return client


def form_data(page) -> dict[str, str]:
    """What the form would send unchanged: every field with its selected value."""
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {k: "" if v is None else str(v) for k, v in data.items()}


@pytest.fixture
def controller(books):
    return signed_in(Role.CONTROLLER, books.company)


def test_the_controller_moves_a_role_and_sets_the_lock_date(controller, books):
    page = controller.get(URL, {"company": books.company.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Services bought from group companies" in html
    assert "6300 Services bought from group companies" in html
    data = form_data(page)
    data.update(
        company=str(books.company.pk), lock_date="2026-01-31", price_difference="stock",
        role_intercompany_services=str(books.account("6200").pk),
    )  # fmt: skip
    saved = controller.post(URL, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    settings = LedgerSettings.objects.get(company=books.company)
    assert (settings.lock_date, settings.price_difference) == (datetime.date(2026, 1, 31), "stock")
    holders = services.accounts_by_role(books.company.pk)
    assert holders[AccountRole.INTERCOMPANY_SERVICES].code == "6200"
    assert holders[AccountRole.BANK].code == "1000"  # unchanged roles stay where they were


def test_a_refused_role_names_its_field_and_nothing_is_saved(controller, books):
    data = form_data(controller.get(URL, {"company": books.company.pk}))
    # 6200 cannot take both the services role and the FX-loss role.
    data.update(
        company=str(books.company.pk), lock_date="2026-02-28", price_difference="stock",
        role_intercompany_services=str(books.account("6200").pk),
        role_fx_loss=str(books.account("6200").pk),
    )  # fmt: skip
    refused = controller.post(URL, data)
    assert refused.status_code == 200
    errors = refused.context["form"].errors
    assert "already holds the role" in errors["role_fx_loss"][0]
    settings = LedgerSettings.objects.get(company=books.company)
    assert (settings.lock_date, settings.price_difference) == (None, "variance")
    holders = services.accounts_by_role(books.company.pk)
    assert holders[AccountRole.INTERCOMPANY_SERVICES].code == "6300"
    assert holders[AccountRole.FX_LOSS].code == "7100"


def test_a_clerk_reads_the_settings_but_cannot_change_them(books):
    clerk = signed_in(Role.AP_CLERK, books.company)
    page = clerk.get(URL)
    assert page.status_code == 200
    assert "Save settings" not in page.content.decode()
    data = form_data(page)
    data.update(company=str(books.company.pk), price_difference="stock")
    assert clerk.post(URL, data).status_code == 403
    assert LedgerSettings.objects.get(company=books.company).price_difference == "variance"
    buyer = signed_in(Role.BUYER, books.company)
    assert buyer.get(URL).status_code == 403


def test_another_companys_settings_are_not_found(books, company_b):
    client = signed_in(Role.CONTROLLER, books.company)
    assert client.get(URL, {"company": company_b.pk}).status_code == 404
    assert client.get(URL, {"company": "x"}).status_code == 404
