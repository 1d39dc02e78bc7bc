"""Payments, allocations (reconciliation) and payment runs.

Design overview
---------------
A :class:`Payment` is money received from a customer or paid to a vendor
through a bank account, in any currency at its own ``rate``. Posting it writes
``Dr bank / Cr receivable`` (inbound) or ``Dr payable / Cr bank`` (outbound)
at the payment's rate.

An :class:`Allocation` settles part of an open item (an :class:`Installment`)
with a payment or with a credit note's open item. It carries the amount in
the document currency and in company currency at the *invoice's* rate — the
value the item was booked at — so the control account clears exactly; the
difference against the payment's rate is the realised exchange gain or loss,
posted by its own entry (``fx_entry``). An early-payment discount taken is an
allocation with ``discount`` set.

A payment's ``unallocated_amount`` (money received or paid that settles no
item yet, e.g. an explicit overpayment) is a cache that ``crossdock audit``
recomputes. Per company and side: open items − unallocated payments = the
control account balance.

A :class:`PaymentRun` gathers the due, cleared bills of a company into one
document that goes through the approvals engine; once approved, executing it
posts one outgoing payment per vendor and currency and allocates it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from crossdock.core.fields import MoneyField, RateField
from crossdock.core.permissions import ScopedModel


class PaymentDirection(models.TextChoices):
    INBOUND = "inbound", "Received from a customer"
    OUTBOUND = "outbound", "Paid to a vendor"


class PaymentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    POSTED = "posted", "Posted"
    CANCELLED = "cancelled", "Cancelled"


class Payment(ScopedModel):
    """Money received or paid through a bank account, in the payment's currency."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=10, choices=PaymentDirection.choices)
    state = models.CharField(
        max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.DRAFT
    )
    number = models.CharField(max_length=40, blank=True)
    partner = models.ForeignKey("masterdata.Partner", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    rate = RateField(default=1)
    amount = MoneyField()
    amount_company = MoneyField(default=0)
    unallocated_amount = MoneyField(default=0)
    unallocated_company = MoneyField(default=0)
    bank_account = models.ForeignKey(
        "accounting.Account", on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(max_length=100, blank=True)
    entry = models.OneToOneField(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment",
    )
    payment_run = models.ForeignKey(
        "accounting.PaymentRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["company", "-date", "-id"]
        indexes = [
            models.Index(fields=["company", "direction", "date"], name="payment_date_idx"),
            models.Index(fields=["partner", "direction"], name="payment_partner_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], condition=~Q(number=""), name="payment_number_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="payment_rate_positive"),
            models.CheckConstraint(
                condition=Q(unallocated_amount__gte=0), name="payment_unallocated_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft payment {self.pk}"


class Allocation(models.Model):
    """Part of an open item settled by a payment, a credit note's item, or a discount.

    ``amount`` (document currency) reduces the item's open amount towards
    zero; ``amount_company`` is the same at the item's booked rate.
    ``payment_amount_company`` is what it cost or brought at the payment's rate;
    the difference is the realised exchange result posted in ``fx_entry``.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    installment = models.ForeignKey(
        "accounting.Installment", on_delete=models.PROTECT, related_name="allocations"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    counter_installment = models.ForeignKey(
        "accounting.Installment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="counter_allocations",
        help_text="The credit note's open item that settles this one.",
    )
    date = models.DateField()
    amount = MoneyField()
    amount_company = MoneyField()
    payment_amount_company = MoneyField(default=0)
    discount = models.BooleanField(default=False)
    fx_entry = models.ForeignKey(
        "accounting.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    discount_entry = models.ForeignKey(
        "accounting.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["installment"], name="allocation_item_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(payment__isnull=False)
                | Q(counter_installment__isnull=False)
                | Q(discount=True),
                name="allocation_has_counterpart",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on item {self.installment_id}"


class PaymentRunState(models.TextChoices):
    DRAFT = "draft", "Draft"
    TO_APPROVE = "to_approve", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DONE = "done", "Paid"
    CANCELLED = "cancelled", "Cancelled"


class PaymentRun(ScopedModel):
    """A batch of due vendor bills to pay on one date from one bank account."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=40, blank=True)
    state = models.CharField(
        max_length=12, choices=PaymentRunState.choices, default=PaymentRunState.DRAFT
    )
    payment_date = models.DateField()
    due_until = models.DateField(help_text="Bills due on or before this date are included.")
    bank_account = models.ForeignKey(
        "accounting.Account", on_delete=models.PROTECT, related_name="+"
    )
    total_company = MoneyField(default=0)
    created_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["company", "-payment_date", "-id"]

    def __str__(self) -> str:
        return self.reference or f"Payment run {self.pk}"


class PaymentRunLine(models.Model):
    """One open item a payment run pays: the amount and any early-payment discount taken."""

    run = models.ForeignKey(PaymentRun, on_delete=models.CASCADE, related_name="lines")
    installment = models.ForeignKey(
        "accounting.Installment", on_delete=models.PROTECT, related_name="+"
    )
    amount = MoneyField()
    discount = MoneyField(default=0)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "installment"], name="run_line_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="run_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} for item {self.installment_id}"
