"""The demo loader at small scale: counts, valid and exact data, audit chain intact, logins work."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Sum
from django.test import Client, RequestFactory

from crossdock.core.checks import run_checks
from crossdock.core.models import AuditEntry, User
from crossdock.core.permissions import access_of
from crossdock.core.roles import Role, sync_roles
from crossdock.masterdata.demo import (
    DEMO_PASSWORD,
    SCALES,
    DemoDataExistsError,
    load_demo,
)
from crossdock.masterdata.gtin import gtin_problem
from crossdock.masterdata.models import (
    Company,
    ExchangeRate,
    Location,
    Partner,
    PartnerAddress,
    PaymentTerm,
    Product,
    ProductBarcode,
    ProductCategory,
    Warehouse,
)
from crossdock.masterdata.reference import ensure_reference_data
from crossdock.web.management.commands.demo import Command

SMALL = SCALES["small"]


def sign_in(username: str, password: str = DEMO_PASSWORD) -> bool:
    """Log in with the password (axes, the login throttle, wants the request too)."""
    return Client().login(request=RequestFactory().post("/"), username=username, password=password)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The small demo, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data()  # an earlier transactional test may have flushed it
        sync_roles()
        result = load_demo("small", seed=7)
        yield result
        transaction.set_rollback(True)


def test_small_scale_builds_the_group(demo, db):
    holding = Company.objects.get(code="NSG")
    subsidiaries = Company.objects.filter(parent=holding)
    assert {c.code: c.base_currency.code for c in subsidiaries} == {"NSE": "EUR", "NSUK": "GBP"}
    assert Warehouse.objects.count() == 6
    assert list(Warehouse.objects.filter(is_central=True).values_list("code", flat=True)) == [
        "VENLO"
    ]
    assert all(w.latitude is not None and w.longitude is not None for w in Warehouse.objects.all())
    aisles, bays, levels = SMALL.central_bins
    assert (
        Location.objects.filter(path__startswith="VENLO/STOCK/").count() == aisles * bays * levels
    )
    assert Location.objects.filter(path="VENLO/STOCK/A-01-01", kind="reserve").exists()
    categories = ProductCategory.objects.count()
    assert categories == 63
    assert max(p.count("/") for p in ProductCategory.objects.values_list("path", flat=True)) == 2
    assert Product.objects.count() == SMALL.skus
    assert Partner.objects.filter(is_supplier=True).count() == SMALL.suppliers
    assert Partner.objects.filter(is_customer=True).count() == SMALL.customers
    assert set(PaymentTerm.objects.values_list("code", flat=True)) == {
        "NET14",
        "NET30",
        "NET60",
        "2-10-NET30",
    }
    assert ExchangeRate.objects.filter(currency__code="EUR", quote_currency__code="GBP").exists()
    assert demo.counts["products"] == SMALL.skus
    assert demo.counts["customers"] == SMALL.customers


def test_products_are_varied_and_valid(demo, db):
    products = list(Product.objects.select_related("base_unit", "purchase_unit", "sales_unit"))
    assert len({p.name for p in products}) > SMALL.skus * 0.9
    assert {p.tracking for p in products} >= {"none", "lot"}
    assert {p.costing_method for p in products} == {"fifo", "average", "standard"}
    assert any(p.base_unit.code != "H87" for p in products)
    assert all(p.shelf_life_days for p in products if p.category.path.startswith("Food Service/")
               and p.tracking == "lot")  # fmt: skip
    for product in products:
        product.full_clean()
        assert product.standard_cost <= product.list_price


def test_every_gtin_is_valid_and_most_products_have_one(demo, db):
    gtins = list(ProductBarcode.objects.values_list("gtin", flat=True))
    assert len(gtins) > SMALL.skus * 0.7
    assert all(len(g) == 13 and gtin_problem(g) is None for g in gtins)
    for barcode in ProductBarcode.objects.all():
        barcode.full_clean()


def test_partners_and_addresses_are_valid(demo, db):
    for partner in Partner.objects.all():
        partner.full_clean()
    for address in PartnerAddress.objects.all():
        address.full_clean()
        assert address.latitude is not None
        assert address.longitude is not None
    customers = Partner.objects.filter(is_customer=True)
    assert set(customers.values_list("customer_tier", flat=True)) <= {
        "strategic",
        "key",
        "standard",
        "occasional",
    }
    assert all(p.payment_term_id for p in Partner.objects.all())
    uk = customers.filter(company__code="NSUK")
    assert set(uk.values_list("currency__code", flat=True)) <= {"GBP"}
    suppliers = Partner.objects.filter(is_supplier=True)
    assert len(set(suppliers.values_list("currency__code", flat=True))) >= 2


def test_money_sums_exactly_in_the_database(demo, db):
    in_python = sum(Product.objects.values_list("list_price", flat=True), Decimal(0))
    assert Product.objects.aggregate(total=Sum("list_price"))["total"] == in_python
    assert in_python == in_python.quantize(Decimal("0.0001"))


def test_the_audit_trail_and_all_checks_pass(demo, db):
    names, findings = run_checks()
    assert names
    assert findings == []
    assert AuditEntry.objects.filter(action="demo-load").count() >= 1 + 6 + 3 + 1


def test_every_role_has_a_user_who_can_sign_in(demo, db):
    for role in Role:
        user = User.objects.get(username=role.value)
        assert user.role_codes == {role.value}
        assert access_of(user).company_ids
        assert sign_in(role.value), role
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert Role.ADMINISTRATOR.value in admin.role_codes
    assert sign_in("admin")
    assert not sign_in("admin", "wrong-password")
    operator = User.objects.get(username="warehouse-operator")
    venlo = Warehouse.objects.get(code="VENLO")
    assert access_of(operator).warehouse_ids == frozenset({venlo.pk})


def test_loading_into_a_database_with_data_is_refused(demo, db):
    with pytest.raises(DemoDataExistsError, match="empty database"):
        load_demo("small")
    with pytest.raises(CommandError, match="empty database"):
        call_command("demo", "--scale", "small", stdout=io.StringIO())


def test_the_command_prints_the_logins(demo, db):
    out = io.StringIO()
    command = Command(stdout=out)
    command._report(demo)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    assert DEMO_PASSWORD in text
    assert all(role.value in text for role in Role)


def test_if_empty_leaves_an_existing_database_alone(demo):
    out = io.StringIO()
    call_command("demo", "--scale", "small", "--if-empty", stdout=out)
    assert "was not loaded again" in out.getvalue()
