"""A foreign currency without an exchange rate is refused, never taken at 1: a product's
standard cost when an order is priced, a customer's credit limit when an order is confirmed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.accounting.services.rates import MissingRateError
from crossdock.core.models import AuditEntry
from crossdock.inventory.models import Transfer
from crossdock.masterdata.models import Currency, ExchangeRate
from crossdock.sales.models import SalesOrder, SalesOrderState
from crossdock.sales.services.credit import exposure_of
from crossdock.sales.services.orders import confirm_sales_order
from tests import factories
from tests.sales.conftest import Selling

D = Decimal


def _usd():
    return Currency.objects.get(code="USD")


def test_a_standard_cost_in_a_currency_without_a_rate_is_refused(selling):
    today = timezone.localdate()
    product = factories.product(currency=_usd(), standard_cost=D("5.00"))
    selling.price(product, "10.00")
    with pytest.raises(MissingRateError) as refused:
        selling.order((product, "1", None), order_date=today)
    message = f"No USD/EUR exchange rate on or before {today.isoformat()}; enter the rate first."
    assert refused.value.fields == {"currency": [message]}
    assert not SalesOrder.objects.exists()

    ExchangeRate.objects.create(
        currency=_usd(), quote_currency=selling.company.base_currency,
        rate=D("0.9"), valid_from=today - datetime.timedelta(days=1),
    )  # fmt: skip
    line = selling.order((product, "1", None), order_date=today).lines.get()
    assert line.unit_cost == D("4.5")


def test_a_credit_limit_in_a_currency_without_a_rate_refuses_confirmation(warehouse_a):
    selling = Selling(warehouse_a)
    selling.customer.currency = _usd()
    selling.customer.save(update_fields=["currency"])
    selling.price_list.currency = _usd()
    selling.price_list.save(update_fields=["currency"])
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "5")
    rate = ExchangeRate.objects.create(
        currency=_usd(), quote_currency=selling.company.base_currency,
        rate=D("0.9"), valid_from=timezone.localdate(),
    )  # fmt: skip
    order = selling.order((product, "1", None))  # a USD order needs the rate too
    rate.delete()  # taken back before confirmation (e.g. entered by mistake)
    entries = AuditEntry.objects.count()
    today = timezone.localdate().isoformat()
    with pytest.raises(MissingRateError) as refused:
        confirm_sales_order(selling.actor, order.pk)
    assert refused.value.message == (
        f"credit_limit: No USD/EUR exchange rate on or before {today}; enter the rate first."
    )
    order.refresh_from_db()
    assert (order.state, order.version) == (SalesOrderState.QUOTATION, 1)
    assert not Transfer.objects.filter(origin=order.reference).exists()
    assert AuditEntry.objects.count() == entries
    with pytest.raises(MissingRateError):
        exposure_of(selling.customer)


def test_pages_show_a_missing_credit_limit_rate_instead_of_failing(warehouse_a):
    from django.urls import reverse

    from crossdock.core.roles import Role
    from tests.browser import client_for

    selling = Selling(warehouse_a, credit_limit="10")
    selling.customer.currency = _usd()
    selling.customer.save(update_fields=["currency"])
    selling.price_list.currency = _usd()
    selling.price_list.save(update_fields=["currency"])
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "5")
    rate = ExchangeRate.objects.create(
        currency=_usd(), quote_currency=selling.company.base_currency,
        rate=D("0.9"), valid_from=timezone.localdate(),
    )  # fmt: skip
    order = confirm_sales_order(selling.actor, selling.order((product, "5", None)).pk)
    assert order.state == SalesOrderState.CREDIT_HOLD  # 50 EUR against a limit of 9 EUR
    rate.delete()
    controller = client_for(factories.user(Role.CREDIT_CONTROLLER, companies=[selling.company]))

    holds = controller.get(reverse("sales:credit_holds"))
    assert holds.status_code == 200
    assert order.reference in holds.content.decode()
    assert "no rate" in holds.content.decode()
    customer = controller.get(reverse("sales:customer_detail", args=[selling.customer.pk]))
    assert customer.status_code == 200
    assert "No USD/EUR exchange rate" in customer.content.decode()
