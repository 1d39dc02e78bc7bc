"""The Django admin goes through the services: audited, scoped, no 500 on refusal."""

from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.masterdata.models import Partner
from tests import factories


def test_admin_create_is_audited_and_lists_are_scoped(client, company_a, company_b):
    admin = factories.user(Role.ADMINISTRATOR, companies=[company_a])
    admin.is_staff = True
    admin.save()
    factories.partner(company_b, name="Hidden partner")
    client.force_login(admin)
    response = client.post(
        "/admin/masterdata/partner/add/",
        {
            "company": company_a.pk,
            "code": "ADM1",
            "name": "Made in admin",
            "is_customer": "on",
            "currency": company_a.base_currency_id,
            "credit_limit": "100.50",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    partner = Partner.objects.get(code="ADM1")
    assert str(partner.credit_limit) == "100.5000"
    assert AuditEntry.objects.filter(
        object_type="masterdata.partner", object_id=str(partner.pk), actor=admin
    ).exists()
    listing = client.get("/admin/masterdata/partner/").content.decode()
    assert "Made in admin" in listing
    assert "Hidden partner" not in listing
