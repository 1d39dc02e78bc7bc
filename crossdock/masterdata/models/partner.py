"""Business partners: customers and suppliers of one company."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from crossdock.core.fields import FixedDecimalField, MoneyField
from crossdock.core.permissions import ScopedModel
from crossdock.masterdata.models.organisation import code_validator, country_validator


class PaymentTerm(ScopedModel):
    """When an invoice falls due: ``net_days`` after its date (instalments come with accounting)."""

    company_path = None

    code = models.CharField(max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(max_length=100)
    net_days = models.PositiveIntegerField(default=30)
    discount_days = models.PositiveIntegerField(null=True, blank=True)
    discount_percent = FixedDecimalField(scale=4, null=True, blank=True)

    class Meta:
        ordering = ["net_days", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (self.discount_days is None) != (self.discount_percent is None):
            raise ValidationError(
                {"discount_percent": "Give both the discount days and the discount percent."}
            )
        if self.discount_days is not None and self.discount_days >= self.net_days:
            raise ValidationError({"discount_days": "Must be shorter than the net days."})
        if self.discount_percent is not None and not 0 < self.discount_percent < 100:
            raise ValidationError({"discount_percent": "Must be between 0 and 100."})


class CustomerTier(models.TextChoices):
    STRATEGIC = "strategic", "Strategic"
    KEY = "key", "Key account"
    STANDARD = "standard", "Standard"
    OCCASIONAL = "occasional", "Occasional"


class SupplierRiskClass(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Partner(ScopedModel):
    """A customer and/or supplier of a company, with its commercial terms.

    ``credit_limit`` is in the partner's ``currency``; credit control compares
    it with exposure in the sales issue.
    """

    company = models.ForeignKey(
        "masterdata.Company", on_delete=models.PROTECT, related_name="partners"
    )
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200)
    is_customer = models.BooleanField(default=False)
    is_supplier = models.BooleanField(default=False)
    tax_id = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    payment_term = models.ForeignKey(
        PaymentTerm, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credit_limit = MoneyField(default=0)
    price_list = models.ForeignKey(
        "masterdata.PriceList",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The customer's own price list (else the lists of its tier and channel).",
    )
    default_warehouse = models.ForeignKey(
        "masterdata.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the customer's orders ship from unless sourcing chooses otherwise.",
    )
    ship_complete = models.BooleanField(
        default=False,
        help_text="Ship orders only when complete (no partial shipments, no backorders).",
    )
    customer_tier = models.CharField(max_length=12, choices=CustomerTier.choices, blank=True)
    supplier_risk_class = models.CharField(
        max_length=8, choices=SupplierRiskClass.choices, blank=True
    )
    approval_status = models.CharField(
        max_length=10,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.APPROVED,
        editable=False,
        help_text="Suppliers go through vendor onboarding approval before they can be used.",
    )
    group_company = models.ForeignKey(
        "masterdata.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The group company this partner is: its invoices and bills are intercompany.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"],
                name="partner_code_unique_per_company",
                violation_error_message="A partner with this code already exists in this company.",
            ),
            models.CheckConstraint(
                condition=Q(is_customer=True) | Q(is_supplier=True),
                name="partner_is_customer_or_supplier",
                violation_error_message="A partner is a customer, a supplier or both.",
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__gte=0), name="partner_credit_limit_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["company", "name"], name="partner_company_name_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.is_customer and not self.is_supplier:
            errors["is_customer"] = "A partner is a customer, a supplier or both."
        if self.credit_limit is not None and self.credit_limit < 0:
            errors["credit_limit"] = "Cannot be negative."
        if self.price_list_id and self.price_list and self.price_list.company_id != self.company_id:
            errors["price_list"] = "Must be a price list of the partner's company."
        if (
            self.default_warehouse_id
            and self.default_warehouse
            and self.default_warehouse.company_id != self.company_id
        ):
            errors["default_warehouse"] = "Must be a warehouse of the partner's company."
        if self.customer_tier and not self.is_customer:
            errors["customer_tier"] = "Only customers have a tier."
        if self.supplier_risk_class and not self.is_supplier:
            errors["supplier_risk_class"] = "Only suppliers have a risk class."
        if errors:
            raise ValidationError(errors)


class PartnerAddress(models.Model):
    """A billing or ship-to address of a partner, with coordinates for sourcing."""

    class Kind(models.TextChoices):
        BILLING = "billing", "Billing"
        SHIPPING = "shipping", "Ship-to"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SHIPPING)
    label = models.CharField(max_length=100, blank=True)
    street = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, validators=[country_validator])
    latitude = FixedDecimalField(
        scale=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = FixedDecimalField(
        scale=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["partner", "-is_default", "id"]
        verbose_name_plural = "partner addresses"

    def __str__(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city} ({self.country})"


class PartnerBankAccount(ScopedModel):
    """A bank account of a partner. A new or changed account stays ``pending`` until approved.

    Changing a supplier's bank details is a classic fraud path, so the change is
    its own approvable document; the account payments use is the ``active`` one.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        ACTIVE = "active", "Active"
        REJECTED = "rejected", "Rejected"
        RETIRED = "retired", "Replaced"

    company_path = "partner__company"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="bank_accounts")
    iban = models.CharField(max_length=34, verbose_name="IBAN")
    bic = models.CharField(max_length=11, blank=True, verbose_name="BIC")
    holder = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, editable=False
    )

    class Meta:
        ordering = ["partner", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(status="active"),
                name="bank_account_one_active_per_partner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} {self.iban}"

    def clean(self) -> None:
        from stdnum import bic, iban
        from stdnum.exceptions import ValidationError as NumberError

        errors: dict[str, str] = {}
        try:
            self.iban = iban.compact(self.iban or "")
            iban.validate(self.iban)
        except NumberError as error:
            errors["iban"] = f"Not a valid IBAN: {error}"
        if self.bic:
            try:
                self.bic = bic.compact(self.bic)
                bic.validate(self.bic)
            except NumberError as error:
                errors["bic"] = f"Not a valid BIC: {error}"
        if errors:
            raise ValidationError(errors)
