"""Journal entries and their lines: the documents every balance is computed from."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from crossdock.core.fields import MoneyField
from crossdock.core.permissions import ScopedModel


class EntryState(models.TextChoices):
    DRAFT = "draft", "Draft"
    POSTED = "posted", "Posted"


class JournalEntry(ScopedModel):
    """A balanced set of debits and credits on one date in one journal.

    Drafts may change; a posted entry never does (the database refuses it) and
    is corrected by posting its reversal. Debits equal credits in company
    currency, and the foreign amounts balance per currency — checked by the
    posting service and again by the database when the entry becomes posted.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    journal = models.ForeignKey("accounting.Journal", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40, blank=True)
    date = models.DateField()
    state = models.CharField(max_length=10, choices=EntryState.choices, default=EntryState.DRAFT)
    memo = models.CharField(max_length=200, blank=True)
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=40, blank=True)
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "journal entries"
        ordering = ["company", "date", "id"]
        indexes = [
            models.Index(fields=["company", "state", "date"], name="entry_state_idx"),
            models.Index(fields=["source_type", "source_id"], name="entry_source_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], condition=~Q(number=""), name="entry_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | ~Q(number=""), name="posted_entry_numbered"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft entry {self.pk}"


class JournalLine(models.Model):
    """One debit or credit of an entry, in company currency (and optionally a foreign one).

    ``company`` and ``date`` repeat the entry's so that trial balances and
    ledgers are one indexed scan of this table.
    """

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines")
    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    account = models.ForeignKey("accounting.Account", on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=200, blank=True)
    debit = MoneyField(default=0)
    credit = MoneyField(default=0)
    currency = models.ForeignKey(
        "masterdata.Currency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_currency = MoneyField(null=True, blank=True)
    partner = models.ForeignKey(
        "masterdata.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        "masterdata.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["entry", "id"]
        indexes = [
            # Trial balance: one covering scan per company, grouped by account.
            models.Index(
                fields=["company", "account", "date", "debit", "credit", "entry"],
                name="line_balance_idx",
            ),
            models.Index(fields=["account", "date", "id"], name="line_ledger_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(debit__gte=0), name="line_debit_not_negative"),
            models.CheckConstraint(condition=Q(credit__gte=0), name="line_credit_not_negative"),
            models.CheckConstraint(condition=Q(debit=0) | Q(credit=0), name="line_debit_or_credit"),
            models.CheckConstraint(
                condition=Q(currency__isnull=True, amount_currency__isnull=True)
                | Q(currency__isnull=False, amount_currency__isnull=False),
                name="line_currency_with_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.debit} / {self.credit}"

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit
