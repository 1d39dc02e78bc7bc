"""``crossdock audit`` checks: entries balanced, trial balance zero, stock accounts = layers."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from crossdock.accounting.models import EntryState, JournalEntry, JournalLine
from crossdock.accounting.selectors import stock_reconciliation
from crossdock.core.fields import MoneyField
from crossdock.inventory.models import ValuationLayer
from crossdock.masterdata.models import Company

ZERO = Decimal(0)


def _total(aggregate: Sum) -> Coalesce:
    """A money sum that is zero, not null, over no rows."""
    return Coalesce(aggregate, Value(0), output_field=MoneyField())


def posted_entries_balanced() -> list[str]:
    """Every posted entry: debits = credits, foreign amounts balanced per currency."""
    problems = []
    posted = JournalLine.objects.filter(entry__state=EntryState.POSTED).order_by()
    for entry_id, number, debit, credit in (
        posted.values("entry_id", "entry__number")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .filter(~Q(d=F("c")))
        .values_list("entry_id", "entry__number", "d", "c")
    ):
        problems.append(
            f"entry {number} (id {entry_id}): debits {debit} ≠ credits {credit}, "
            f"off by {debit - credit}"
        )
    for entry_id, number, currency, total in (
        posted.filter(currency__isnull=False)
        .values("entry_id", "entry__number", "currency__code")
        .annotate(total=Sum("amount_currency"))
        .exclude(total=0)
        .values_list("entry_id", "entry__number", "currency__code", "total")
    ):
        problems.append(f"entry {number} (id {entry_id}): {currency} amounts off by {total}")
    for entry_id, number in (
        JournalEntry.objects.filter(state=EntryState.POSTED)
        .annotate(n=Count("lines"))
        .filter(n=0)
        .values_list("pk", "number")
    ):
        problems.append(f"entry {number} (id {entry_id}) is posted without lines")
    for line_id, entry_id in (
        JournalLine.objects.exclude(company_id=F("entry__company_id"), date=F("entry__date"))
        .order_by("pk")
        .values_list("pk", "entry_id")[:100]
    ):
        problems.append(f"line {line_id}: company or date differs from its entry {entry_id}")
    return problems


def trial_balance_zero() -> list[str]:
    """Per company, the posted debits equal the posted credits."""
    problems = []
    names = dict(Company.objects.values_list("pk", "code"))
    for company_id, debit, credit in (
        JournalLine.objects.filter(entry__state=EntryState.POSTED)
        .order_by()
        .values("company_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list("company_id", "d", "c")
    ):
        if debit != credit:
            problems.append(
                f"company {names.get(company_id, company_id)}: trial balance off by "
                f"{debit - credit} (debits {debit}, credits {credit})"
            )
    return problems


def stock_matches_layers() -> list[str]:
    """Per company and product, the stock accounts equal the valuation layers."""
    problems = []
    companies = set(ValuationLayer.objects.order_by().values_list("company_id", flat=True))
    companies |= set(
        JournalLine.objects.filter(account__account_type="stock")
        .order_by()
        .values_list("company_id", flat=True)
        .distinct()
    )
    names = dict(Company.objects.values_list("pk", "code"))
    for company_id in sorted(companies):
        for row in stock_reconciliation(company_id, only_differences=True):
            problems.append(
                f"company {names.get(company_id, company_id)}, {row.product_label}: "
                f"stock accounts {row.ledger} ≠ valuation layers {row.layers} "
                f"(difference {row.difference})"
            )
    return problems


def open_items_match_allocations() -> list[str]:
    """Every open item's open amounts = its amounts less everything allocated to it."""
    from crossdock.accounting.models import Installment

    problems = []
    rows = (
        Installment.objects.annotate(
            allocated=_total(Sum("allocations__amount")),
            allocated_company=_total(Sum("allocations__amount_company")),
        )
        .exclude(
            open_amount=F("amount") - F("allocated"),
            open_company=F("amount_company") - F("allocated_company"),
        )
        .order_by("pk")
        .values_list(
            "pk", "invoice__number", "open_amount", "amount", "allocated", "open_company",
            "amount_company", "allocated_company",
        )[:100]
    )  # fmt: skip
    for pk, number, open_amount, amount, allocated, open_company, company_amount, alloc_co in rows:
        problems.append(
            f"open item {pk} of {number}: open {open_amount} / {open_company} ≠ "
            f"{amount} − {allocated} / {company_amount} − {alloc_co} allocated"
        )
    return problems


def payments_match() -> list[str]:
    """Every posted payment's unallocated amounts = its amounts less its cash allocations."""
    from crossdock.accounting.models import Payment

    problems = []
    rows = (
        Payment.objects.filter(state="posted")
        .annotate(
            used=_total(Sum("allocations__amount", filter=Q(allocations__discount=False))),
            used_company=_total(
                Sum("allocations__payment_amount_company", filter=Q(allocations__discount=False))
            ),
        )
        .exclude(
            unallocated_amount=F("amount") - F("used"),
            unallocated_company=F("amount_company") - F("used_company"),
        )
        .order_by("pk")
        .values_list("number", "unallocated_amount", "amount", "used", "unallocated_company")[:100]
    )
    for number, unallocated, amount, used, unallocated_company in rows:
        problems.append(
            f"payment {number}: unallocated {unallocated} (company {unallocated_company}) ≠ "
            f"{amount} − {used} allocated"
        )
    return problems


def invoices_match_items() -> list[str]:
    """Every posted invoice's open amounts and payment state follow its open items."""
    from crossdock.accounting.models import Invoice
    from crossdock.accounting.services.payments import payment_state_of

    problems = []
    rows = (
        Invoice.objects.filter(state="posted")
        .annotate(
            items_open=_total(Sum("installments__open_amount")),
            items_company=_total(Sum("installments__open_company")),
        )
        .values_list(
            "number", "open_amount", "open_company", "items_open", "items_company",
            "payment_state", "total_amount",
        )
        .order_by("pk")
    )  # fmt: skip
    for number, open_amount, open_company, items_open, items_company, state, total in rows:
        if (open_amount, open_company) != (abs(items_open), abs(items_company)):
            problems.append(
                f"invoice {number}: open {open_amount} / {open_company} ≠ its open items "
                f"{abs(items_open)} / {abs(items_company)}"
            )
        elif state != payment_state_of(open_amount, total):
            problems.append(f"invoice {number}: payment state {state} ≠ open {open_amount}")
        if len(problems) >= 100:
            break
    return problems


def subledgers_match_control() -> list[str]:
    """Per company: open receivables less unapplied receipts = the receivable accounts, and
    open payables less unapplied payments = the payable accounts."""
    from crossdock.accounting.models import Installment, Payment

    problems = []
    names = dict(Company.objects.values_list("pk", "code"))
    posted = JournalLine.objects.filter(entry__state=EntryState.POSTED).order_by()
    for side, account_type, direction, sign in (
        ("receivable", "receivable", "inbound", 1),
        ("payable", "payable", "outbound", -1),
    ):
        ledger = {
            c: (d - k) * sign
            for c, d, k in posted.filter(account__account_type=account_type)
            .values("company_id")
            .annotate(d=Sum("debit"), k=Sum("credit"))
            .values_list("company_id", "d", "k")
        }
        items = dict(
            Installment.objects.filter(side=side)
            .order_by()
            .values("company_id")
            .annotate(t=Sum("open_company"))
            .values_list("company_id", "t")
        )
        unapplied = dict(
            Payment.objects.filter(state="posted", direction=direction)
            .order_by()
            .values("company_id")
            .annotate(t=Sum("unallocated_company"))
            .values_list("company_id", "t")
        )
        for company_id in sorted(set(ledger) | set(items) | set(unapplied)):
            sub = items.get(company_id, ZERO) - unapplied.get(company_id, ZERO)
            gl = ledger.get(company_id, ZERO)
            if sub != gl:
                problems.append(
                    f"company {names.get(company_id, company_id)}: {side}s sub-ledger {sub} ≠ "
                    f"{side} accounts {gl} (difference {sub - gl})"
                )
    return problems


def grni_matches_ledger() -> list[str]:
    """Per company, goods received not invoiced per receipt line = the GRNI account."""
    from crossdock.accounting.statements import grni, grni_ledger_balance

    problems = []
    names = dict(Company.objects.values_list("pk", "code"))
    companies = set(
        JournalLine.objects.filter(account__role="grni")
        .order_by()
        .values_list("company_id", flat=True)
        .distinct()
    )
    for company_id in sorted(companies):
        report = sum((row.open_value for row in grni(company_id)), ZERO)
        ledger = grni_ledger_balance(company_id)
        if report != ledger:
            problems.append(
                f"company {names.get(company_id, company_id)}: goods received not invoiced "
                f"{report} ≠ GRNI account {ledger} (difference {report - ledger})"
            )
    return problems


def dunning_levels_match_letters() -> list[str]:
    """Every customer invoice's dunning level = the highest level of its letters not cancelled."""
    from crossdock.accounting.models import Invoice, InvoiceKind
    from crossdock.accounting.services.dunning import highest_letter_level

    rows = (
        Invoice.objects.filter(kind=InvoiceKind.CUSTOMER_INVOICE)
        .annotate(letters_level=highest_letter_level())
        .exclude(dunning_level=F("letters_level"))
        .order_by("pk")
        .values_list("pk", "number", "dunning_level", "letters_level")[:100]
    )
    return [
        f"invoice {number or pk}: dunning level {level} ≠ {letters} on its letters"
        for pk, number, level, letters in rows
    ]
