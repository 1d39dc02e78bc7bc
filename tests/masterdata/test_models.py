"""Master-data invariants, in Python validation and in the database itself."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from crossdock.core.errors import DomainError
from crossdock.core.records import create_record, update_record
from crossdock.masterdata import services
from crossdock.masterdata.gtin import check_digit, gtin_problem
from crossdock.masterdata.models import (
    Currency,
    ExchangeRate,
    Location,
    LocationKind,
    Partner,
    Product,
    ProductCategory,
    Unit,
)
from tests import factories
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db


def unit(code):
    return Unit.objects.get(code=code)


def test_unit_conversion_is_exact_and_rounds_in_one_place():
    assert unit("DZN").convert(Decimal(3), unit("H87")) == Decimal(36)
    assert unit("GRM").convert(Decimal(1500), unit("KGM")) == Decimal("1.500")
    assert unit("LBR").convert(Decimal(1), unit("KGM")) == Decimal("0.454")
    assert unit("H87").convert(Decimal(5), unit("DZN")) == Decimal(0)
    with pytest.raises(ValidationError, match="not a whole number"):
        unit("H87").convert(Decimal(5), unit("DZN"), exact=True)
    with pytest.raises(ValidationError, match="different categories"):
        unit("KGM").convert(Decimal(1), unit("LTR"))


@given(st.integers(min_value=0, max_value=10**9))
def test_whole_dozens_round_trip_through_pieces(dozens):
    dozen, piece = Unit(code="DZN", factor=Decimal(12)), Unit(code="H87", factor=Decimal(1))
    dozen.category_id = piece.category_id = 1
    pieces = dozen.convert(Decimal(dozens), piece, exact=True)
    assert pieces == dozens * 12
    assert piece.convert(pieces, dozen, exact=True) == dozens


def test_quantity_finer_than_the_unit_is_refused():
    with pytest.raises(ValidationError, match="H87 allows at most 0 decimal places"):
        unit("H87").check_quantity(Decimal("1.5"))
    assert unit("KGM").check_quantity(Decimal("1.125")) == Decimal("1.125")


@pytest.mark.parametrize(
    ("gtin", "problem"),
    [
        ("4006381333931", None),
        ("09506000134352", None),
        ("4006381333932", "Wrong check digit: expected 1."),
        ("400638133393", "Wrong check digit"),
        ("40063813339", "8, 12, 13 or 14 digits"),
        ("40063813339A", "digits only"),
    ],
)
def test_gtin_validation(gtin, problem):
    result = gtin_problem(gtin)
    if problem is None:
        assert result is None
    else:
        assert problem in result


def test_check_digit_of_gs1_example():
    assert check_digit("950600013435") == 2


def test_product_units_must_share_the_base_units_category():
    with pytest.raises(DomainError) as error:
        factories.product(purchase_unit=unit("KGM"))
    assert "purchase_unit" in error.value.fields


def test_serial_tracking_needs_whole_units():
    with pytest.raises(DomainError) as error:
        factories.product(
            base_unit=unit("KGM"),
            purchase_unit=unit("KGM"),
            sales_unit=unit("KGM"),
            tracking="serial",
        )
    assert "tracking" in error.value.fields


def test_database_refuses_what_validation_refuses(company_a):
    """The named CHECK constraints hold even for code that skips the services."""
    category = factories.category()
    piece = unit("H87")
    euro = Currency.objects.get(code="EUR")
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(
            sku="NEG",
            name="n",
            category=category,
            base_unit=piece,
            purchase_unit=piece,
            sales_unit=piece,
            currency=euro,
            list_price=Decimal("-1"),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Partner.objects.create(company=company_a, code="X", name="x", currency=euro)
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.create(company=company_a, code="BIN", name="b", kind="reserve", path="BIN")


def test_location_rules(company_a, company_b, warehouse_a):
    stock = services.warehouse_location(warehouse_a, LocationKind.RESERVE)
    assert stock.path == "A-CENTRAL/STOCK"
    with pytest.raises(DomainError) as error:
        create_record(
            SYSTEM,
            Location,
            {
                "company": company_b,
                "warehouse": warehouse_a,
                "code": "X",
                "name": "x",
                "kind": "reserve",
            },
        )
    assert "warehouse" in error.value.fields
    with pytest.raises(DomainError) as error:
        create_record(
            SYSTEM,
            Location,
            {
                "company": company_a,
                "warehouse": warehouse_a,
                "code": "X",
                "name": "x",
                "kind": "customer",
            },
        )
    assert "warehouse" in error.value.fields


def test_moving_a_location_moves_its_subtree(warehouse_a):
    stock = services.warehouse_location(warehouse_a, LocationKind.RESERVE)
    aisle = create_record(
        SYSTEM,
        Location,
        {
            "company": warehouse_a.company,
            "warehouse": warehouse_a,
            "parent": stock,
            "code": "A",
            "name": "Aisle A",
            "kind": "reserve",
        },
    )
    create_record(
        SYSTEM,
        Location,
        {
            "company": warehouse_a.company,
            "warehouse": warehouse_a,
            "parent": aisle,
            "code": "A-01",
            "name": "Bin",
            "kind": "reserve",
        },
    )
    services.update_location(SYSTEM, stock.pk, {"code": "BULK"})
    paths = set(Location.objects.filter(warehouse=warehouse_a).values_list("path", flat=True))
    assert {"A-CENTRAL/BULK", "A-CENTRAL/BULK/A", "A-CENTRAL/BULK/A/A-01"} <= paths
    with pytest.raises(DomainError, match="inside itself"):
        services.update_location(SYSTEM, stock.pk, {"parent": aisle})


def test_category_tree_paths_and_cycles():
    food = factories.category("Food")
    dairy = factories.category("Dairy", parent=food)
    cheese = factories.category("Cheese", parent=dairy)
    assert cheese.path == "Food/Dairy/Cheese"
    services.update_category(SYSTEM, food.pk, {"name": "Food service"})
    assert ProductCategory.objects.get(pk=cheese.pk).path == "Food service/Dairy/Cheese"
    with pytest.raises(DomainError, match="inside itself"):
        services.update_category(SYSTEM, food.pk, {"parent": cheese})
    with pytest.raises(DomainError, match="already exists"):
        factories.category("Dairy", parent=ProductCategory.objects.get(pk=food.pk))


def test_company_cannot_be_its_own_ancestor(company_a, company_b):
    update_record(SYSTEM, type(company_b), company_b.pk, {"parent": company_a})
    with pytest.raises(DomainError, match="own parent"):
        update_record(SYSTEM, type(company_a), company_a.pk, {"parent": company_b})


def test_exchange_rate_lookup_uses_latest_rate_and_inverse():
    eur, usd = Currency.objects.get(code="EUR"), Currency.objects.get(code="USD")
    for day, rate in ((1, "1.0800"), (10, "1.0950")):
        create_record(
            SYSTEM,
            ExchangeRate,
            {
                "currency": eur,
                "quote_currency": usd,
                "valid_from": datetime.date(2026, 1, day),
                "rate": Decimal(rate),
            },
        )
    assert ExchangeRate.rate_on(eur, usd, datetime.date(2026, 1, 9)) == Decimal("1.08")
    assert ExchangeRate.rate_on(eur, usd, datetime.date(2026, 2, 1)) == Decimal("1.095")
    assert ExchangeRate.rate_on(usd, eur, datetime.date(2026, 2, 1)) == Decimal("0.9132420091")
    with pytest.raises(LookupError):
        ExchangeRate.rate_on(eur, usd, datetime.date(2025, 12, 31))
    with pytest.raises(DomainError) as error:
        create_record(
            SYSTEM,
            ExchangeRate,
            {
                "currency": eur,
                "quote_currency": usd,
                "valid_from": datetime.date(2026, 3, 1),
                "rate": Decimal(0),
            },
        )
    assert "rate" in error.value.fields


def test_currency_rounding_follows_minor_units():
    assert Currency.objects.get(code="JPY").round(Decimal("1234.5")) == Decimal("1234")
    assert Currency.objects.get(code="KWD").round(Decimal("1.23456")) == Decimal("1.235")
    assert Currency.objects.get(code="EUR").round(Decimal("0.125")) == Decimal("0.12")


def test_barcodes_are_validated_and_unique_across_products():
    first, second = factories.product(), factories.product()
    assert services.set_product_barcodes(SYSTEM, first, ["4006381333931"]) == ["4006381333931"]
    with pytest.raises(DomainError, match="already used"):
        services.set_product_barcodes(SYSTEM, second, ["4006381333931"])
    with pytest.raises(DomainError, match="check digit"):
        services.set_product_barcodes(SYSTEM, second, ["4006381333932"])
    assert not second.barcodes.exists()


def test_partner_addresses_are_validated_together(company_a):
    partner = factories.partner(company_a)
    good = {"street": "Main 1", "city": "Ghent", "country": "BE", "is_default": True}
    services.set_partner_addresses(SYSTEM, partner, [good])
    with pytest.raises(DomainError) as error:
        services.set_partner_addresses(SYSTEM, partner, [good, {**good, "country": "Belgium"}])
    assert "addresses[1].country" in error.value.fields
    assert partner.addresses.count() == 1


def test_an_administrator_creates_a_company_and_gets_access_to_it(company_a):
    from crossdock.core.context import Actor
    from crossdock.core.permissions import access_of
    from crossdock.core.roles import Role
    from crossdock.masterdata.models import Company

    admin = factories.user(Role.ADMINISTRATOR, companies=[company_a])
    company = services.create_company(
        Actor.of(admin),
        {
            "code": "NEWCO",
            "name": "New Co",
            "country": "BE",
            "base_currency": Currency.objects.get(code="EUR"),
        },
    )
    assert company.pk in access_of(admin).company_ids
    assert Company.objects.restrict(admin).filter(pk=company.pk).exists()
    buyer = factories.user(Role.BUYER, companies=[company_a])
    with pytest.raises(DomainError, match="may not add"):
        services.create_company(
            Actor.of(buyer),
            {
                "code": "NOPE",
                "name": "No",
                "country": "BE",
                "base_currency": Currency.objects.get(code="EUR"),
            },
        )
