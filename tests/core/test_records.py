"""Audited create/update/delete: validation, permission, optimistic concurrency, all-or-nothing."""

from decimal import Decimal

import pytest

from crossdock.core.context import Actor
from crossdock.core.errors import (
    ConflictError,
    DomainError,
    ErrorCode,
    PermissionDeniedError,
    StaleVersionError,
)
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.records import create_record, delete_record, update_record
from crossdock.core.roles import Role
from crossdock.masterdata.models import Currency, Partner, Warehouse
from tests import factories


def partner_data(company, **overrides):
    return {
        "company": company,
        "code": "CUST-1",
        "name": "Corner Shop",
        "is_customer": True,
        "currency": company.base_currency,
        **overrides,
    }


def counts():
    return Partner.objects.count(), AuditEntry.objects.count(), OutboxEvent.objects.count()


def test_create_writes_row_audit_entry_and_event(company_a, admin_user):
    partner = create_record(Actor.of(admin_user), Partner, partner_data(company_a))
    assert partner.version == 1
    entry = AuditEntry.objects.get(object_type="masterdata.partner", object_id=str(partner.pk))
    assert (entry.action, entry.before, entry.after["code"]) == ("create", None, "CUST-1")
    assert OutboxEvent.objects.filter(name="masterdata.partner.created").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"credit_limit": Decimal("-1")}, "credit_limit"),
        ({"is_customer": False}, "is_customer"),
        ({"code": "lower case"}, "code"),
        ({"credit_limit": Decimal("1.00001")}, "credit_limit"),
        ({"customer_tier": "gold-plated"}, "customer_tier"),
        ({"supplier_risk_class": "low"}, "supplier_risk_class"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(company_a, admin_user, overrides, field):
    before = counts()
    with pytest.raises(DomainError) as error:
        create_record(Actor.of(admin_user), Partner, partner_data(company_a, **overrides))
    assert field in error.value.fields
    assert counts() == before


def test_duplicate_code_in_the_same_company_is_refused(company_a, company_b, admin_user):
    actor = Actor.of(admin_user)
    create_record(actor, Partner, partner_data(company_a))
    with pytest.raises(DomainError, match="already exists"):
        create_record(actor, Partner, partner_data(company_a))
    create_record(actor, Partner, partner_data(company_b))  # another company may reuse it


def test_unknown_field_is_refused(company_a, admin_user):
    with pytest.raises(DomainError, match="unknown field") as error:
        create_record(Actor.of(admin_user), Partner, partner_data(company_a, colour="red"))
    assert "colour" in error.value.fields


def test_stale_version_is_refused_and_nothing_changes(company_a, admin_user):
    actor = Actor.of(admin_user)
    partner = create_record(actor, Partner, partner_data(company_a))
    update_record(actor, Partner, partner.pk, {"name": "First edit"}, expected_version=1)
    with pytest.raises(StaleVersionError):
        update_record(actor, Partner, partner.pk, {"name": "Lost edit"}, expected_version=1)
    partner.refresh_from_db()
    assert (partner.name, partner.version) == ("First edit", 2)


def test_user_cannot_create_in_or_move_rows_to_another_company(company_a, company_b):
    sales = factories.user(Role.SALES_REP, companies=[company_a])
    actor = Actor.of(sales)
    with pytest.raises(PermissionDeniedError):
        create_record(actor, Partner, partner_data(company_b))
    mine = create_record(actor, Partner, partner_data(company_a))
    before = counts()
    with pytest.raises(PermissionDeniedError):
        update_record(actor, Partner, mine.pk, {"company": company_b})
    assert counts() == before
    assert Partner.objects.get(pk=mine.pk).company_id == company_a.pk


def test_role_without_permission_is_refused(company_a):
    clerk = factories.user(Role.AP_CLERK, companies=[company_a])
    with pytest.raises(PermissionDeniedError):
        create_record(Actor.of(clerk), Partner, partner_data(company_a))


def test_delete_is_audited_and_protected_rows_stay(company_a, warehouse_a, admin_user):
    actor = Actor.of(admin_user)
    partner = create_record(actor, Partner, partner_data(company_a))
    delete_record(actor, Partner, partner.pk, expected_version=1)
    assert not Partner.objects.filter(pk=partner.pk).exists()
    entry = AuditEntry.objects.get(action="delete", object_id=str(partner.pk))
    assert entry.before["code"] == "CUST-1"
    assert entry.after is None
    with pytest.raises(DomainError) as error:
        delete_record(actor, Warehouse, warehouse_a.pk)
    assert error.value.code == ErrorCode.PROTECTED
    assert Warehouse.objects.filter(pk=warehouse_a.pk).exists()


def test_currency_in_use_cannot_be_deleted(company_a, admin_user):
    euro = Currency.objects.get(code="EUR")
    with pytest.raises(DomainError, match="still used"):
        delete_record(Actor.of(admin_user), Currency, euro.pk)


def test_conflict_error_is_a_domain_error():
    assert issubclass(ConflictError, DomainError)
    assert ConflictError("x").status == 409
