"""The company switcher: a convenience default for lists, never a widening of scope."""

from __future__ import annotations

from django.urls import reverse

from crossdock.masterdata.models import UserAccess
from tests import factories
from tests.browser import client_for

PARTNERS = reverse("web:record_list", args=["partners"])


def test_the_header_lists_the_users_companies(admin_client_web, company_a, company_b):
    body = admin_client_web.get(reverse("web:home")).content.decode()
    assert 'id="company-switcher"' in body
    assert "Acme Distribution" in body
    assert "Beta Wholesale" in body


def test_switching_changes_what_lists_show_by_default(
    admin_user, admin_client_web, partner_a, partner_b, company_b
):
    assert "BETA-CUST" not in admin_client_web.get(PARTNERS).content.decode()
    response = admin_client_web.post(
        reverse("web:switch_company"), {"company": company_b.pk, "next": PARTNERS}
    )
    assert response["Location"] == PARTNERS
    assert UserAccess.objects.get(user=admin_user).current_company == company_b
    body = admin_client_web.get(PARTNERS).content.decode()
    assert "BETA-CUST" in body
    assert "ACME-CUST" not in body


def test_a_company_outside_the_users_access_cannot_be_chosen(sales_rep_a, company_a, company_b):
    client = client_for(sales_rep_a)
    response = client.post(reverse("web:switch_company"), {"company": company_b.pk}, follow=True)
    assert "Choose one of your companies." in response.content.decode()
    assert UserAccess.objects.get(user=sales_rep_a).current_company == company_a
    for junk in ("", "abc", "\x00", "9" * 40):
        assert client.post(reverse("web:switch_company"), {"company": junk}).status_code == 302


def test_next_must_stay_on_this_site(admin_client_web, company_b):
    response = admin_client_web.post(
        reverse("web:switch_company"), {"company": company_b.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("web:home")


def test_switching_needs_a_post(admin_client_web):
    assert admin_client_web.get(reverse("web:switch_company")).status_code == 405


def test_a_single_company_user_sees_it_without_a_choice(company_a):
    from crossdock.core.roles import Role

    user = factories.user(Role.SALES_REP, companies=[company_a])
    body = client_for(user).get(reverse("web:home")).content.decode()
    assert "Acme Distribution" in body
