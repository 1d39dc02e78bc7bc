"""Dunning: reminder levels per company, dunning runs and the letters they draft.

Design overview
---------------
A company keeps a short ladder of :class:`DunningLevel` rows — 1 = friendly
reminder at 7 days overdue, 2 = second reminder at 21, 3 = final notice at 45 —
each with an optional fee (company currency) and the text the letter carries.

A :class:`DunningRun` on a date looks at every posted customer invoice with
an open amount past its due date, works out the highest level its oldest
overdue instalment has reached, and drafts one :class:`DunningLetter` per
customer for the invoices that reached a *new* level. ``Invoice.dunning_level``
is the highest level an invoice has been dunned at (a cache of its letters'
lines that are not cancelled), so no invoice is dunned twice at one level;
cancelling a draft letter gives its invoices back their previous level.

A letter is a document: its level, name, text and fee are copied from the
level when it is drafted, so changing the ladder later never rewrites a letter
already drafted or sent. Lines hold each invoice's overdue open amount (in the
invoice's currency and the company's) and days overdue on the letter's date;
``total`` is the company-currency sum of the lines plus the fee.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from crossdock.core.fields import MoneyField
from crossdock.core.permissions import ScopedModel


class DunningLevel(ScopedModel):
    """One rung of a company's dunning ladder: from how many days overdue, the fee, the text."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    days_overdue = models.PositiveIntegerField(
        help_text="An invoice this many days past due (or more) reaches the level."
    )
    name = models.CharField(max_length=60)
    fee = MoneyField(default=0, help_text="Charged on the letter, in the company's currency.")
    text = models.TextField(blank=True, help_text="What the letter says to the customer.")

    class Meta:
        ordering = ["company", "level"]
        constraints = [
            models.UniqueConstraint(fields=["company", "level"], name="dunning_level_unique"),
            models.UniqueConstraint(
                fields=["company", "days_overdue"],
                name="dunning_level_days_unique",
                violation_error_message="Two dunning levels cannot start at the same day.",
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1),
                name="dunning_level_positive",
                violation_error_message="Dunning levels are numbered from 1.",
            ),
            models.CheckConstraint(
                condition=Q(fee__gte=0),
                name="dunning_level_fee_not_negative",
                violation_error_message="A dunning fee is never negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level}. {self.name} ({self.days_overdue} days)"


class DunningRun(ScopedModel):
    """One run of dunning for a company on a date: which letters it drafted, and who ran it."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    run_date = models.DateField()
    created_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    letter_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["company", "-run_date", "-id"]

    def __str__(self) -> str:
        return f"Dunning run {self.run_date.isoformat()} ({self.pk})"


class DunningLetterState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"


class DunningLetter(ScopedModel):
    """A reminder to one customer about its overdue invoices, at one dunning level.

    ``level``, ``level_name``, ``text`` and ``fee`` are copied from the level
    when the letter is drafted. ``total`` is in the company's currency: the
    lines' overdue amounts plus the fee. ``email_to`` is where it was e-mailed
    when sent (empty: the customer has no address and the letter is printed).
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(
        DunningRun, null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    reference = models.CharField(max_length=40, blank=True)
    partner = models.ForeignKey("masterdata.Partner", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    state = models.CharField(
        max_length=10, choices=DunningLetterState.choices, default=DunningLetterState.DRAFT
    )
    level = models.PositiveSmallIntegerField()
    level_name = models.CharField(max_length=60)
    text = models.TextField(blank=True)
    fee = MoneyField(default=0)
    total = MoneyField(default=0)
    email_to = models.EmailField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["company", "-date", "-id"]
        indexes = [
            models.Index(fields=["company", "state", "date"], name="dunning_letter_state_idx"),
            models.Index(fields=["partner", "state"], name="dunning_letter_partner_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "reference"],
                condition=~Q(reference=""),
                name="dunning_letter_reference_unique",
            ),
            models.CheckConstraint(condition=Q(level__gte=1), name="dunning_letter_level"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="dunning_letter_fee"),
        ]

    def __str__(self) -> str:
        return self.reference or f"Dunning letter {self.pk}"


class DunningLetterLine(models.Model):
    """One overdue invoice on a letter: the level it reached, days overdue, what is open."""

    letter = models.ForeignKey(DunningLetter, on_delete=models.CASCADE, related_name="lines")
    invoice = models.ForeignKey("accounting.Invoice", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    due_date = models.DateField(help_text="Of the invoice's oldest overdue instalment.")
    days_overdue = models.PositiveIntegerField()
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    open_amount = MoneyField(help_text="Overdue and open, in the invoice's currency.")
    open_company = MoneyField(help_text="The same in the company's currency.")

    class Meta:
        ordering = ["letter", "due_date", "id"]
        indexes = [models.Index(fields=["invoice", "level"], name="dunning_line_invoice_idx")]
        constraints = [
            models.UniqueConstraint(fields=["letter", "invoice"], name="dunning_line_unique"),
            models.CheckConstraint(condition=Q(open_amount__gt=0), name="dunning_line_open"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} at level {self.level}: {self.open_amount}"
