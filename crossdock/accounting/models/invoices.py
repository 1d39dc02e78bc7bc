"""Taxes, payment-term instalments, invoices, bills and credit notes, and their open items.

Design overview
---------------
One :class:`Invoice` table holds the four documents a distributor's books
need: customer invoices and credit notes (the receivable side) and vendor
bills and credit notes (the payable side). A draft may change; posting
numbers it, computes its lines, taxes and instalments once, and writes one
balanced journal entry in the sale or purchase journal. A posted document is
never edited: a mistake is corrected by a credit note.

Amounts are kept twice: in the document's currency and in the company's
currency at the document's ``rate`` (company currency per one unit of the
document currency), so reports never convert at read time.

:class:`Installment` rows are the open items: what is due when. Their
``open_amount`` is a cache of ``amount`` minus every :class:`Allocation`
against them (``crossdock audit`` recomputes it), and per company the open
items of each side equal the receivable or payable control account.
Signs: an invoice or bill instalment is positive, a credit note's negative.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from crossdock.core.fields import (
    PERCENT_SCALE,
    PRICE_SCALE,
    FixedDecimalField,
    MoneyField,
    QuantityField,
    RateField,
)
from crossdock.core.permissions import ScopedModel


class TaxUse(models.TextChoices):
    SALE = "sale", "Sales"
    PURCHASE = "purchase", "Purchases"


class Tax(ScopedModel):
    """A tax a company charges on sales or pays on purchases (VAT, GST, sales tax).

    ``rate`` is a percentage. A price-included tax is contained in the line's
    unit price (``tax = total × rate / (100 + rate)``); an excluded one is added
    on top. ``account`` receives the tax: output tax for sales, input tax for
    purchases.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    use = models.CharField(max_length=10, choices=TaxUse.choices)
    rate = FixedDecimalField(scale=PERCENT_SCALE)
    price_included = models.BooleanField(default=False)
    account = models.ForeignKey("accounting.Account", on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "taxes"
        ordering = ["company", "use", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="tax_code_unique"),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lt=100),
                name="tax_rate_range",
                violation_error_message="A tax rate is at least 0 % and under 100 %.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PaymentTermInstallment(models.Model):
    """One instalment of a payment term: ``percent`` of the total due ``days`` after the date.

    A term without instalments is due in full ``net_days`` after the date. The
    instalments of a term add up to exactly 100 %; the last one takes what
    rounding leaves.
    """

    term = models.ForeignKey(
        "masterdata.PaymentTerm", on_delete=models.CASCADE, related_name="installments"
    )
    sequence = models.PositiveSmallIntegerField()
    percent = FixedDecimalField(scale=PERCENT_SCALE)
    days = models.PositiveIntegerField()

    class Meta:
        ordering = ["term", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["term", "sequence"], name="term_installment_unique"),
            models.CheckConstraint(condition=Q(percent__gt=0), name="term_installment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.percent} % at {self.days} days"


class InvoiceKind(models.TextChoices):
    CUSTOMER_INVOICE = "customer_invoice", "Customer invoice"
    CUSTOMER_CREDIT = "customer_credit", "Customer credit note"
    VENDOR_BILL = "vendor_bill", "Vendor bill"
    VENDOR_CREDIT = "vendor_credit", "Vendor credit note"


RECEIVABLE_KINDS = frozenset({InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.CUSTOMER_CREDIT})
PAYABLE_KINDS = frozenset({InvoiceKind.VENDOR_BILL, InvoiceKind.VENDOR_CREDIT})
CREDIT_KINDS = frozenset({InvoiceKind.CUSTOMER_CREDIT, InvoiceKind.VENDOR_CREDIT})


class InvoiceState(models.TextChoices):
    DRAFT = "draft", "Draft"
    POSTED = "posted", "Posted"
    CANCELLED = "cancelled", "Cancelled"


class PaymentState(models.TextChoices):
    NOT_PAID = "not_paid", "Not paid"
    PARTIAL = "partial", "Partly paid"
    PAID = "paid", "Paid"


class Side(models.TextChoices):
    """Which control account an open item sits on."""

    RECEIVABLE = "receivable", "Receivable"
    PAYABLE = "payable", "Payable"


class Invoice(ScopedModel):
    """A customer invoice, vendor bill or credit note of one company with one partner.

    ``rate`` converts the document currency into the company's (company
    currency per unit). Totals are in the document currency; ``total_company``
    in the company's. ``open_amount`` and ``payment_state`` are caches of the
    instalments. ``payment_hold`` keeps a bill out of payment runs. ``dunning_level``
    caches the highest level of the dunning letters (not cancelled) naming it.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=InvoiceKind.choices)
    state = models.CharField(
        max_length=10, choices=InvoiceState.choices, default=InvoiceState.DRAFT
    )
    number = models.CharField(max_length=40, blank=True)
    partner = models.ForeignKey("masterdata.Partner", on_delete=models.PROTECT, related_name="+")
    partner_reference = models.CharField(
        max_length=60, blank=True, help_text="The vendor's own bill number, or the customer's PO."
    )
    date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    rate = RateField(default=1)
    payment_term = models.ForeignKey(
        "masterdata.PaymentTerm", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    untaxed_amount = MoneyField(default=0)
    tax_amount = MoneyField(default=0)
    total_amount = MoneyField(default=0)
    total_company = MoneyField(default=0)
    open_amount = MoneyField(default=0)
    open_company = MoneyField(default=0)
    payment_state = models.CharField(
        max_length=10, choices=PaymentState.choices, default=PaymentState.NOT_PAID
    )
    payment_hold = models.BooleanField(default=False)
    dunning_level = models.PositiveSmallIntegerField(
        default=0, help_text="The highest dunning level this invoice has been dunned at."
    )
    memo = models.CharField(max_length=200, blank=True)
    entry = models.OneToOneField(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice",
    )
    credit_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    mirror_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mirror",
        help_text="The intercompany document in the other group company this one mirrors.",
    )
    source_transfer = models.ForeignKey(
        "inventory.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["company", "-date", "-id"]
        indexes = [
            models.Index(fields=["company", "kind", "state", "date"], name="invoice_state_idx"),
            models.Index(fields=["partner", "kind", "state"], name="invoice_partner_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], condition=~Q(number=""), name="invoice_number_unique"
            ),
            models.UniqueConstraint(
                fields=["company", "partner", "partner_reference"],
                condition=Q(kind="vendor_bill") & ~Q(partner_reference="") & ~Q(state="cancelled"),
                name="vendor_bill_reference_unique",
                violation_error_message="This vendor's bill number has already been entered.",
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="invoice_rate_positive"),
            models.CheckConstraint(
                condition=~Q(state="posted") | ~Q(number=""), name="posted_invoice_numbered"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft {self.get_kind_display().lower()} {self.pk}"

    @property
    def side(self) -> Side:
        return Side.RECEIVABLE if self.kind in RECEIVABLE_KINDS else Side.PAYABLE

    @property
    def is_credit_note(self) -> bool:
        return self.kind in CREDIT_KINDS


class InvoiceLine(models.Model):
    """One line of an invoice or bill: what, how many, at what price, which tax, which account.

    ``stock_move`` links a bill line to the receipt it pays for (goods received
    not invoiced is cleared at the receipt's value; the difference is a price
    variance) and an invoice line to the delivery it charges.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    sequence = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(
        "masterdata.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=200)
    quantity = QuantityField()
    unit_price = FixedDecimalField(scale=PRICE_SCALE)
    discount_percent = FixedDecimalField(scale=PERCENT_SCALE, default=0)
    tax = models.ForeignKey(
        "accounting.Tax", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey("accounting.Account", on_delete=models.PROTECT, related_name="+")
    subtotal = MoneyField(default=0)
    tax_amount = MoneyField(default=0)
    total = MoneyField(default=0)
    stock_move = models.ForeignKey(
        "inventory.StockMove", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["invoice", "sequence", "id"]
        indexes = [models.Index(fields=["stock_move"], name="invoice_line_move_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoice_line_quantity"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="invoice_line_price"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="invoice_line_discount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.quantity} × {self.unit_price}"


class Installment(models.Model):
    """An open item: part of an invoice's total due on a date.

    ``company``, ``partner``, ``side`` and ``currency`` repeat the invoice's so
    aged balances are one indexed scan. ``discount_amount`` is the early-payment
    discount a payment on or before ``discount_until`` may take.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="installments")
    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey("masterdata.Partner", on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveSmallIntegerField(default=1)
    due_date = models.DateField()
    amount = MoneyField()
    amount_company = MoneyField()
    open_amount = MoneyField()
    open_company = MoneyField()
    discount_until = models.DateField(null=True, blank=True)
    discount_amount = MoneyField(default=0)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(
                fields=["company", "side", "due_date", "partner", "open_company"],
                condition=~Q(open_amount=0),
                name="installment_open_idx",
            ),
            models.Index(fields=["partner", "side"], name="installment_partner_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "sequence"], name="installment_sequence_unique"
            ),
            # The open part never exceeds the amount, nor changes its sign.
            models.CheckConstraint(
                condition=(
                    Q(amount__gte=0) & Q(open_amount__gte=0) & Q(open_amount__lte=F("amount"))
                )
                | (Q(amount__lt=0) & Q(open_amount__lte=0) & Q(open_amount__gte=F("amount"))),
                name="installment_open_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.sequence}: {self.open_amount} of {self.amount}"
