"""Role permissions and company/warehouse scoping through one ``restrict`` mechanism."""

import pytest
from django.contrib.auth.models import Group

from crossdock.core.permissions import can_act_on, permission_name
from crossdock.core.roles import ROLE_PERMISSIONS, Role
from crossdock.masterdata.models import Location, Partner, Product, Warehouse
from tests import factories


@pytest.mark.django_db
def test_every_role_group_has_exactly_the_matrix_permissions():
    for role, grants in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        want = set()
        for grant in grants:
            label, action = grant.split(":")
            app, model = label.split(".")
            want.add(f"{app}.{action}_{model}")
        assert have == want, role


def test_restrict_scopes_rows_to_the_users_companies(company_a, company_b):
    mine = factories.partner(company_a)
    factories.partner(company_b)
    user = factories.user(Role.SALES_REP, companies=[company_a])
    assert list(Partner.objects.restrict(user, "view")) == [mine]
    assert list(Partner.objects.restrict(user, "change")) == [mine]
    assert not Partner.objects.restrict(user, "delete").exists()  # role lacks delete


def test_group_wide_reference_data_is_visible_to_every_company(company_a, company_b):
    product = factories.product()
    user = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_b])
    assert list(Product.objects.restrict(user)) == [product]


def test_warehouse_access_narrows_locations_but_keeps_company_locations(company_a, warehouse_a):
    other = factories.warehouse(company_a, "A-DEPOT")
    user = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a], warehouses=[other])
    visible = Location.objects.restrict(user)
    assert not visible.filter(warehouse=warehouse_a).exists()
    assert visible.filter(warehouse=other).exists()
    assert visible.filter(warehouse__isnull=True, kind="customer").exists()
    assert list(Warehouse.objects.restrict(user)) == [other]


def test_user_without_access_row_or_inactive_sees_nothing(company_a, make_user):
    factories.partner(company_a)
    user = make_user(Role.ADMINISTRATOR, companies=[])
    assert not Partner.objects.restrict(user).exists()
    active = make_user(Role.ADMINISTRATOR, companies=[company_a])
    active.is_active = False
    assert not Partner.objects.restrict(active).exists()


def test_can_act_on_unsaved_rows_checks_company(company_a, company_b):
    user = factories.user(Role.SALES_REP, companies=[company_a])
    assert can_act_on(user, Partner(company=company_a), "add")
    assert not can_act_on(user, Partner(company=company_b), "add")
    assert permission_name(Partner, "change") == "masterdata.change_partner"
    with pytest.raises(ValueError, match="unknown action"):
        permission_name(Partner, "approve")
