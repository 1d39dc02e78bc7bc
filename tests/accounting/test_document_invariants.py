"""Property test: random receipts, deliveries, bills (at other prices than received, or
wrongly against a return), invoices and bills in two currencies, payments and overpayments,
later allocations, credit notes set against invoices, landed costs on received goods (part
of them maybe sold), returns to suppliers and from customers, and exchange-rate changes
keep every ``crossdock audit`` invariant exactly — entries balanced, trial balance zero,
stock = layers, open items = allocations, payments = allocations, invoices = open items,
GRNI per receipt = its account, and each sub-ledger = its control accounts."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.accounting.models import (
    Installment,
    InvoiceKind,
    InvoiceLine,
    Payment,
    PaymentDirection,
)
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
    post_invoice,
)
from crossdock.accounting.services.landed import (
    LandedCostInput,
    create_landed_cost,
    post_landed_cost,
)
from crossdock.accounting.services.payments import (
    PaymentInput,
    allocate_payment,
    offset_credit_note,
    register_payment,
)
from crossdock.core.checks import run_checks
from crossdock.core.errors import DomainError
from crossdock.inventory import services as inventory
from crossdock.inventory.models import MoveState, Quant, StockMove, TransferKind
from crossdock.inventory.services.returns import ReturnLine
from crossdock.masterdata.models import Currency, ExchangeRate
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal
START = datetime.date(2026, 3, 1)
cents = st.integers(100, 500_000)
operation = st.one_of(
    st.tuples(st.just("receive"), st.integers(0, 1), st.integers(1, 9), cents),
    st.tuples(st.just("receive"), st.integers(0, 1), st.integers(5, 20), cents),
    st.tuples(st.just("deliver"), st.integers(0, 1), st.integers(1, 9), cents),
    st.tuples(st.just("bill-receipt"), st.integers(0, 5), st.integers(70, 140), cents),
    st.tuples(st.just("bill-receipt"), st.integers(0, 5), st.integers(70, 140), cents),
    st.tuples(st.just("invoice"), st.booleans(), st.integers(0, 1), cents),
    st.tuples(st.just("bill"), st.booleans(), st.integers(0, 1), cents),
    st.tuples(st.just("receive-money"), st.booleans(), st.integers(0, 1), cents),
    st.tuples(st.just("pay-money"), st.booleans(), st.integers(0, 1), cents),
    st.tuples(st.just("credit"), st.booleans(), st.integers(0, 1), cents),
    st.tuples(st.just("allocate"), st.booleans(), st.integers(0, 1), cents),
    st.tuples(st.just("rate"), st.booleans(), st.integers(80, 120), cents),
    st.tuples(st.just("landed"), st.integers(0, 5), st.sampled_from(["by_value", "equally"]),
              cents),
    st.tuples(st.just("return-receipt"), st.integers(0, 5), st.integers(1, 3), cents),
    st.tuples(st.just("return-delivery"), st.integers(0, 5), st.integers(1, 3), cents),
)  # fmt: skip


def _done_moves(company, kind, partner):
    return list(
        StockMove.objects.filter(
            company=company, state=MoveState.DONE, transfer__kind=kind, transfer__partner=partner
        ).order_by("pk")
    )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=14))
def test_documents_and_payments_keep_the_books_exact(site, books, operations):
    """Each example runs in its own savepoint, rolled back after, so it starts from the same
    books and a failing one shrinks to the operations that break them."""
    with transaction.atomic():
        _run(site, books, operations)
        transaction.set_rollback(True)


def _run(site, books, operations):
    company = books.company
    usd = Currency.objects.get(code="USD")
    ExchangeRate.objects.update_or_create(
        currency=usd, quote_currency=company.base_currency,
        valid_from=START - datetime.timedelta(days=1), defaults={"rate": D("0.9137")},
    )  # fmt: skip
    customer = factories.partner(company, name="Property customer", is_supplier=False)
    supplier = factories.partner(company, name="Property supplier", is_customer=False,
                                 is_supplier=True)  # fmt: skip
    products = [
        factories.product(costing_method="fifo"),
        factories.product(costing_method="average"),
    ]
    for day, (kind, choice, number, amount) in enumerate(operations):
        on = START + datetime.timedelta(days=day)
        money = D(amount) / 100
        currency = usd if choice is True else company.base_currency
        try:
            if kind == "receive":
                receipt = site.transfer(
                    TransferKind.RECEIPT, site.supplier, site.stock,
                    [(products[choice], str(number), str(money / 10))], partner_id=supplier.pk,
                )  # fmt: skip
                inventory.validate_transfer(SYSTEM, receipt.pk)
            elif kind == "deliver":
                # at most what is free of the product, so most deliveries go through
                free = Quant.objects.filter(
                    product=products[choice], location=site.stock
                ).aggregate(free=Sum(F("quantity") - F("reserved")))["free"]
                count = min(D(number), free) if free and free > 0 else D(number)
                delivery = site.deliver(products[choice], str(count), partner_id=customer.pk)
                inventory.validate_transfer(SYSTEM, delivery.pk)
            elif kind == "bill-receipt":
                billed = InvoiceLine.objects.exclude(stock_move=None).values("stock_move_id")
                moves = list(
                    StockMove.objects.filter(
                        company=company, state=MoveState.DONE, transfer__partner=supplier
                    ).exclude(pk__in=billed).order_by("pk")
                )  # fmt: skip
                if moves:
                    move = moves[choice % len(moves)]
                    price = (move.unit_cost * number / 100).quantize(D("0.0001"))
                    _post(company, InvoiceKind.VENDOR_BILL, supplier, on, company.base_currency,
                          [InvoiceLineInput("Goods", move.quantity, price,
                                            product_id=move.product_id,
                                            stock_move_id=move.pk)])  # fmt: skip
            elif kind in ("invoice", "bill", "credit"):
                partner = supplier if kind == "bill" else customer
                document_kind = {
                    "invoice": InvoiceKind.CUSTOMER_INVOICE, "bill": InvoiceKind.VENDOR_BILL,
                    "credit": InvoiceKind.CUSTOMER_CREDIT,
                }[kind]  # fmt: skip
                account = books.account("5300").pk if kind == "bill" else None
                line = InvoiceLineInput("Service", D(1), money, account_id=account)
                posted = _post(company, document_kind, partner, on, currency, [line])
                if kind == "credit":
                    target = Installment.objects.filter(
                        partner=customer, currency=currency, open_amount__gt=0
                    ).first()
                    if target is not None:
                        offset_credit_note(SYSTEM, posted.installments.get().pk, target.pk)
            elif kind in ("receive-money", "pay-money"):
                inbound = kind == "receive-money"
                if number == 1:  # settle everything open in this currency
                    open_items = Installment.objects.filter(
                        partner=customer if inbound else supplier, currency=currency
                    ).aggregate(total=Sum("open_amount"))["total"]
                    money = open_items if open_items and open_items > 0 else money
                direction = PaymentDirection.INBOUND if inbound else PaymentDirection.OUTBOUND
                register_payment(
                    SYSTEM,
                    PaymentInput(
                        company_id=company.pk,
                        direction=direction,
                        partner_id=(customer if inbound else supplier).pk, date=on,
                        amount=money, currency_id=currency.pk, overpayment=True,
                    ),
                )  # fmt: skip
            elif kind == "allocate":
                payment = (
                    Payment.objects.filter(
                        partner__in=[customer, supplier], unallocated_amount__gt=0
                    )
                    .order_by("pk")
                    .first()
                )
                if payment is not None:
                    allocate_payment(SYSTEM, payment.pk, date=max(on, payment.date))
            elif kind == "landed":
                moves = _done_moves(company, TransferKind.RECEIPT, supplier)
                if moves:
                    move = moves[choice % len(moves)]
                    landed = create_landed_cost(
                        SYSTEM,
                        LandedCostInput(company.pk, max(on, move.done_at.date()), "Freight",
                                        money / 10, number, [move.pk]),
                    )  # fmt: skip
                    post_landed_cost(SYSTEM, landed.pk)
            elif kind in ("return-receipt", "return-delivery"):
                transfer_kind = TransferKind.RECEIPT if kind == "return-receipt" else (
                    TransferKind.DELIVERY
                )  # fmt: skip
                moves = _done_moves(company, transfer_kind, supplier if kind == "return-receipt"
                                    else customer)  # fmt: skip
                if moves:
                    move = moves[choice % len(moves)]
                    back = inventory.return_transfer(
                        SYSTEM, move.transfer_id,
                        [ReturnLine(move.pk, min(D(number), move.quantity))],
                    )  # fmt: skip
                    inventory.validate_transfer(SYSTEM, back.pk)
            else:
                ExchangeRate.objects.update_or_create(
                    currency=usd, quote_currency=company.base_currency, valid_from=on,
                    defaults={"rate": (D("0.9137") * number / 100).quantize(D("0.0001"))},
                )  # fmt: skip
        except DomainError:
            pass  # refused (no stock, nothing open): nothing written
    _names, findings = run_checks()
    assert findings == [], findings


def _post(company, kind, partner, on, currency, lines):
    draft = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=company.pk, kind=kind, partner_id=partner.pk, date=on,
            currency_id=currency.pk, lines=lines,
        ),
    )  # fmt: skip
    return post_invoice(SYSTEM, draft.pk)
