"""Accounting demo: invoices, bills, payments, a landed cost and a payment run waiting.

Design overview
---------------
:func:`load_accounting_demo` runs after the inventory demo (shipped deliveries
and done receipts exist) and builds, through the accounting services and as
the people whose job it is, what the books of the operating companies look
like on a working day:

* the AR clerk invoices every shipped customer delivery and posts it; three
  older service invoices (handling fees 12, 45 and 100 days overdue) give the
  aged-receivables report something in three overdue buckets;
* customers paid: the first delivery invoice in full, the second in part;
* the AP clerk bills the smallest done receipt of each company at its receipt
  cost and posts it, and posts a freight bill from a second supplier; the
  freight is then spread over that receipt as a landed cost (the share already
  sold goes to cost of goods sold);
* a carrier's older bill is due: its bank account is on file (approved), the
  AP clerk gathers a payment run and submits it, and it waits in the
  controller's inbox under the demo policy *Payment runs* (every run is
  approved by the controller);
* the controller sets up three dunning levels (friendly reminder at 7 days,
  second reminder at 21, final notice at 45) and the AR clerk runs dunning
  today: the overdue handling fees wait as draft letters.

Every change goes through the services, so ``crossdock audit`` passes and the
audit trail tells the story. Dates are relative to today; amounts are exact
decimals built from the documents themselves.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crossdock.accounting.models import (
    Account,
    AccountRole,
    AccountType,
    Installment,
    Invoice,
    InvoiceKind,
    SplitMethod,
)
from crossdock.accounting.services import dunning, payments
from crossdock.accounting.services.invoice_sources import bill_from_receipt, invoice_from_delivery
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
from crossdock.accounting.services.ledger import accounts_by_role
from crossdock.approvals import policies
from crossdock.approvals.models import ApprovalPolicy
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.models import User
from crossdock.masterdata.models import Company, Partner, PartnerBankAccount

RUN_POLICY = "Payment runs"
EVERY_RUN: dict[str, Any] = {"all": []}
# days overdue, amount (in the customer's currency); each dated 30 days before it fell due
HANDLING_FEES = ((12, Decimal("180.00")), (45, Decimal("420.00")), (100, Decimal("95.50")))
FREIGHT_SHARE = Decimal("0.03")  # freight billed on the demo receipt, as a share of its value
CARRIER_BILL = Decimal("640.00")
DUNNING_LEVELS = (
    dunning.LevelInput(
        1, 7, "Friendly reminder",
        text="Our records show the invoices below as unpaid. If you have paid already, thank you "
        "and please ignore this reminder.",
    ),
    dunning.LevelInput(
        2, 21, "Second reminder", Decimal("10.00"),
        "The invoices below are still unpaid. Please pay them within 7 days.",
    ),
    dunning.LevelInput(
        3, 45, "Final notice", Decimal("25.00"),
        "Final notice: unless we receive payment within 7 days, further deliveries are on hold.",
    ),
)  # fmt: skip
TRANSPORT_CODE = "6200"  # the default chart's "Transport out"
CARRIER_IBANS = {"NSE": "NL91ABNA0417164300", "NSUK": "GB29NWBK60161331926819"}


@dataclass
class AccountingDemoBuilder:
    people: dict[str, Actor]
    today: datetime.date = field(default_factory=timezone.localdate)
    counts: dict[str, int] = field(default_factory=dict)

    def note(self, name: str, count: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + count

    def build(self) -> None:
        from crossdock.inventory.models import MoveState, Transfer, TransferKind

        for company in Company.objects.filter(code__in=CARRIER_IBANS).order_by("code"):
            done = Transfer.objects.filter(company=company, state=MoveState.DONE)
            deliveries = done.filter(kind=TransferKind.DELIVERY, partner__isnull=False)
            receipts = done.filter(kind=TransferKind.RECEIPT, partner__approval_status="approved")
            invoices = [self.invoice_delivery(t.pk) for t in deliveries.order_by("pk")]
            self.handling_fees(company)
            self.customer_payments(invoices)
            smallest = min(receipts, key=lambda t: t.moves.count(), default=None)
            if smallest is not None:
                self.bill_and_land(company, smallest)
            self.payment_run(company)
            self.dunning(company)

    # -- receivables ------------------------------------------------------------------------

    def invoice_delivery(self, transfer_id: int) -> Invoice:
        clerk = self.people["ar-clerk"]
        draft = invoice_from_delivery(clerk, transfer_id, self.today)
        self.note("customer_invoices")
        return post_invoice(clerk, draft.pk)

    def _customers(self, company: Company) -> list[Partner]:
        return list(
            Partner.objects.filter(company=company, is_customer=True, active=True)
            .filter(group_company__isnull=True)
            .order_by("code")[: len(HANDLING_FEES)]
        )

    def handling_fees(self, company: Company) -> None:
        clerk = self.people["ar-clerk"]
        for customer, (days, amount) in zip(self._customers(company), HANDLING_FEES, strict=False):
            due = self.today - datetime.timedelta(days=days)
            on = due - datetime.timedelta(days=30)
            draft = create_invoice(
                clerk,
                InvoiceInput(
                    company_id=company.pk,
                    kind=InvoiceKind.CUSTOMER_INVOICE,
                    partner_id=customer.pk,
                    date=on,
                    lines=[
                        InvoiceLineInput(
                            f"Consignment handling {on:%B %Y}",
                            Decimal(1),
                            amount,
                            account_id=accounts_by_role(company.pk)[AccountRole.SALES].pk,
                        )
                    ],
                    due_date=due,
                    memo="Handling fee",
                ),
            )
            post_invoice(clerk, draft.pk)
            self.note("customer_invoices")

    def customer_payments(self, invoices: list[Invoice]) -> None:
        clerk = self.people["ar-clerk"]
        for index, invoice in enumerate(invoices[:2]):
            items = list(Installment.objects.filter(invoice=invoice).order_by("due_date", "pk"))
            open_amount = sum((i.open_amount for i in items), Decimal(0))
            if not open_amount:
                continue
            amount = open_amount if index == 0 else (open_amount / 2).quantize(Decimal("0.01"))
            payments.register_payment(
                clerk,
                payments.PaymentInput(
                    company_id=invoice.company_id,
                    direction="inbound",
                    partner_id=invoice.partner_id,
                    date=self.today,
                    amount=amount,
                    currency_id=invoice.currency_id,
                    reference=f"Remittance {invoice.number}",
                    allocations=None,
                    take_discounts=False,
                ),
            )
            self.note("payments")

    def dunning(self, company: Company) -> None:
        dunning.configure_dunning_levels(self.people["controller"], company.pk, DUNNING_LEVELS)
        run = dunning.run_dunning(self.people["ar-clerk"], company.pk, self.today)
        self.note("dunning_letters", run.letter_count)

    # -- payables ---------------------------------------------------------------------------

    def _other_supplier(self, company: Company, not_this: int) -> Partner | None:
        return (
            Partner.objects.filter(
                company=company,
                is_supplier=True,
                active=True,
                approval_status="approved",
                group_company__isnull=True,
                currency=company.base_currency,
            )
            .exclude(pk=not_this)
            .order_by("code")
            .first()
        )

    def bill_and_land(self, company: Company, receipt: Any) -> None:
        clerk = self.people["ap-clerk"]
        bill = bill_from_receipt(clerk, receipt.pk, f"INV-{receipt.reference}", self.today)
        bill = post_invoice(clerk, bill.pk)
        self.note("vendor_bills")
        carrier = self._other_supplier(company, receipt.partner_id)
        if carrier is None:
            return
        value = sum(
            (m.quantity * (m.unit_cost or 0) for m in receipt.moves.all()), Decimal(0)
        )  # company currency, as received
        freight = (value * FREIGHT_SHARE).quantize(Decimal("0.01"))
        freight_bill = create_invoice(
            clerk,
            InvoiceInput(
                company_id=company.pk,
                kind=InvoiceKind.VENDOR_BILL,
                partner_id=carrier.pk,
                date=self.today,
                lines=[
                    InvoiceLineInput(
                        f"Sea freight {receipt.reference}",
                        Decimal(1),
                        freight,
                        account_id=accounts_by_role(company.pk)[
                            AccountRole.LANDED_COST_CLEARING
                        ].pk,
                    )
                ],
                partner_reference=f"FRT-{receipt.pk:05d}",
                memo="Freight in",
            ),
        )
        freight_bill = post_invoice(clerk, freight_bill.pk)
        self.note("vendor_bills")
        landed = create_landed_cost(
            clerk,
            LandedCostInput(
                company_id=company.pk,
                date=self.today,
                description=f"Sea freight on {receipt.reference}",
                amount=freight,
                split_method=SplitMethod.BY_VALUE,
                transfer_references=[receipt.reference],
                vendor_bill_id=freight_bill.pk,
            ),
        )
        post_landed_cost(clerk, landed.pk)
        self.note("landed_costs")

    def payment_run(self, company: Company) -> None:
        clerk = self.people["ap-clerk"]
        last = (
            Partner.objects.filter(
                company=company,
                is_supplier=True,
                active=True,
                approval_status="approved",
                group_company__isnull=True,
                currency=company.base_currency,
            )
            .order_by("-code")
            .first()
        )
        if last is None:
            return
        self._bank_account_on_file(last, CARRIER_IBANS[company.code])
        on = self.today - datetime.timedelta(days=40)
        bill = create_invoice(
            clerk,
            InvoiceInput(
                company_id=company.pk,
                kind=InvoiceKind.VENDOR_BILL,
                partner_id=last.pk,
                date=on,
                due_date=self.today - datetime.timedelta(days=10),
                lines=[
                    InvoiceLineInput(
                        f"Road haulage {on:%B %Y}",
                        Decimal(1),
                        CARRIER_BILL,
                        account_id=_transport_account(company),
                    )
                ],
                partner_reference=f"HAUL-{on:%Y%m}",
                memo="Transport",
            ),
        )
        post_invoice(clerk, bill.pk)
        self.note("vendor_bills")
        run = payments.create_payment_run(clerk, company.pk, self.today, due_until=self.today)
        payments.submit_payment_run(clerk, run.pk)
        self.note("payment_runs")

    def _bank_account_on_file(self, supplier: Partner, iban: str) -> None:
        """A long-standing, already approved bank account (loaded, not changed today)."""
        if PartnerBankAccount.objects.filter(partner=supplier, status="active").exists():
            return
        account = PartnerBankAccount.objects.create(
            partner=supplier, iban=iban, holder=supplier.name[:200], status="active"
        )
        audit.record(
            Actor.system("demo"),
            audit.Change("demo-load", account, None, {"iban": iban, "status": "active"}),
        )


def _transport_account(company: Company) -> int:
    expenses = Account.objects.filter(
        company=company, account_type=AccountType.EXPENSE, active=True
    ).order_by("code")
    found = expenses.filter(code=TRANSPORT_CODE).first() or expenses.first()
    assert found is not None, f"{company} has no expense account"
    return found.pk


def _run_policy(controller: Actor, company: Company) -> None:
    policy = policies.save_policy(
        controller,
        PolicyDraft(
            company_id=company.pk,
            document_type=payments.PAYMENT_RUN,
            name=RUN_POLICY,
            condition=EVERY_RUN,
            levels=[LevelDraft(name="Controller", rule="role", role="controller")],
        ),
    )
    policies.set_policy_status(controller, policy.pk, ApprovalPolicy.Status.ACTIVE)


def load_accounting_demo() -> dict[str, int]:
    """Build the demo books (see the module docstring); all or nothing, once."""
    with transaction.atomic():
        if ApprovalPolicy.objects.filter(name=RUN_POLICY).exists():
            return {}
        people = {
            u.username: Actor.of(u)
            for u in User.objects.filter(username__in=("ar-clerk", "ap-clerk", "controller"))
        }
        if len(people) < 3:
            return {}
        for company in Company.objects.filter(code__in=CARRIER_IBANS):
            _run_policy(people["controller"], company)
        builder = AccountingDemoBuilder(people)
        builder.build()
        return builder.counts
