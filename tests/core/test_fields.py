"""Exact money and quantity storage: sums computed by the database are exact on both engines."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.core.fields import MoneyField, QuantityField, shifted
from crossdock.masterdata.models import Currency, Partner, Product, Unit
from tests import factories

money = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("99999999.9999"), places=4, allow_nan=False
)
quantity = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("9999999.999999"), places=6, allow_nan=False
)


@pytest.fixture
def company(db):
    return factories.company()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amounts=st.lists(money, min_size=1, max_size=300))
def test_database_sum_of_money_is_exact(company, amounts):
    Partner.objects.filter(company=company).delete()
    Partner.objects.bulk_create(
        Partner(
            company=company,
            code=f"P{i}",
            name="p",
            is_customer=True,
            currency_id=company.base_currency_id,
            credit_limit=amount,
        )
        for i, amount in enumerate(amounts)
    )
    total = Partner.objects.filter(company=company).aggregate(total=Sum("credit_limit"))["total"]
    assert isinstance(total, Decimal)
    assert total == sum(amounts, Decimal(0))


@pytest.mark.django_db
def test_many_small_quantities_sum_exactly_where_floats_drift():
    # 5,000 × 0.000001 + 5,000 × 0.1 + one large value: a float accumulator drifts.
    category = factories.category()
    piece_id = Unit.objects.get(code="H87").pk
    euro = Currency.objects.get(code="EUR")
    values = [Decimal("0.000001")] * 5000 + [Decimal("0.1")] * 5000 + [Decimal("1234567.123457")]
    Product.objects.bulk_create(
        Product(
            sku=f"Q{i}",
            name="q",
            category=category,
            base_unit_id=piece_id,
            purchase_unit_id=piece_id,
            sales_unit_id=piece_id,
            currency=euro,
            weight_kg=value,
        )
        for i, value in enumerate(values)
    )
    total = Product.objects.filter(sku__startswith="Q").aggregate(t=Sum("weight_kg"))["t"]
    assert total == Decimal("1234567.123457") + Decimal("0.005") + Decimal("500")
    assert sum(float(v) for v in values) != float(
        total
    )  # what a float column would have drifted to


def test_field_rejects_floats_and_excess_places():
    field = MoneyField()
    with pytest.raises(ValidationError, match="Floats"):
        field.to_python(0.1)
    with pytest.raises(ValidationError, match="At most 4 decimal places"):
        field.to_python("1.00001")
    assert field.to_python("1.10") == Decimal("1.1000")
    assert QuantityField().get_prep_value(Decimal("2.5")) == 2_500_000


def test_field_rejects_values_beyond_64_bits():
    with pytest.raises(ValidationError, match="too large"):
        MoneyField().get_prep_value(Decimal("1e16"))


@pytest.mark.django_db
def test_filters_compare_decimal_values(company):
    factories.partner(company, credit_limit=Decimal("100.5"))
    factories.partner(company, credit_limit=Decimal("100.4999"))
    assert Partner.objects.filter(credit_limit__gte="100.5").count() == 1
    assert Partner.objects.filter(credit_limit__lt=Decimal("100.5")).count() == 1


@pytest.mark.django_db
def test_shifted_adds_in_the_columns_scale(company):
    partner = factories.partner(company, credit_limit=Decimal("10.25"))
    Partner.objects.filter(pk=partner.pk).update(
        credit_limit=shifted(Partner, "credit_limit", Decimal("0.75"))
    )
    partner.refresh_from_db()
    assert partner.credit_limit == Decimal("11.0000")
