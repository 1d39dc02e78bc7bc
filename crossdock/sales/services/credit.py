"""Hard credit control: exposure against the limit, holds, releases through approval.

Design overview
---------------
A customer's exposure, in the company's currency, is its open receivables
(the open items of posted invoices, less unapplied credit) plus the value not
yet invoiced of its confirmed, partially shipped and shipped orders, plus the
order being confirmed. :func:`check_and_release` compares it with the credit
limit (kept in the customer's currency, converted at today's rate — a currency
without a rate is refused, naming it and the date, and confirmation writes nothing) and also
holds when an invoice is overdue by more than the company's
``overdue_hold_days``. A customer without a limit has no credit; group
companies (intercompany customers) are not credit-checked.

A held order goes to the approvals engine as ``sales-credit-release``; when
a company has no policy for it, one is created that asks any credit
controller. Until it is approved the order has no delivery transfers: it
cannot be reserved, picked or shipped. When a payment of the customer is
posted or allocated, :func:`payment_changed` re-checks its held orders, oldest
first, and releases each one the exposure now allows (withdrawing its request).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from crossdock.accounting.services.rates import MissingRateError, company_rate
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.events import DomainEvent
from crossdock.masterdata.models import Partner
from crossdock.sales.models import SalesOrder, SalesOrderState
from crossdock.sales.models.orders import EXPOSED_STATES
from crossdock.sales.services.orders import changed, lock_order, release_to_warehouse
from crossdock.sales.services.pricing import settings_of

CREDIT_RELEASE = "sales-credit-release"
ZERO = Decimal(0)


@dataclass(frozen=True)
class Exposure:
    receivables: Decimal
    open_orders: Decimal
    limit: Decimal
    overdue_days: int  # the oldest open item's days overdue (0: none overdue)

    @property
    def total(self) -> Decimal:
        return self.receivables + self.open_orders


def exposure_of(customer: Partner, on: datetime.date | None = None) -> Exposure:
    """What the customer owes and has ordered, in company currency, and its limit."""
    from crossdock.accounting.models import Installment
    from crossdock.accounting.models.invoices import Side

    on = on or timezone.localdate()
    items = Installment.objects.filter(
        company_id=customer.company_id, partner=customer, side=Side.RECEIVABLE
    ).exclude(open_amount=0)
    receivables = items.aggregate(total=Sum("open_company"))["total"] or ZERO
    oldest = (
        items.filter(open_amount__gt=0, due_date__lt=on)
        .order_by("due_date")
        .values_list("due_date", flat=True)
        .first()
    )
    open_orders = (
        SalesOrder.objects.filter(customer=customer, state__in=EXPOSED_STATES).aggregate(
            total=Sum("uninvoiced_company")
        )["total"]
        or ZERO
    )
    base = customer.company.base_currency
    # The limit is in the customer's currency: without a rate it is refused, never taken 1:1.
    rate = company_rate(customer.company, customer.currency, on, field="credit_limit")
    return Exposure(
        receivables=base.round(receivables),
        open_orders=base.round(open_orders),
        limit=base.round(customer.credit_limit * rate),
        overdue_days=(on - oldest).days if oldest else 0,
    )


def hold_reason(order: SalesOrder, exposure: Exposure, hold_days: int) -> str:
    reasons = []
    base = order.company.base_currency
    with_order = base.round(exposure.total + order.amount_company)
    if with_order > exposure.limit:
        reasons.append(
            f"exposure {with_order} {base.code} over the limit "
            f"{exposure.limit} (open items {exposure.receivables}, open orders "
            f"{exposure.open_orders}, this order {base.round(order.amount_company)})"
        )
    if exposure.overdue_days > hold_days:
        reasons.append(
            f"an invoice is {exposure.overdue_days} days overdue (more than {hold_days})"
        )
    return "; ".join(reasons)


def ensure_policy(company_id: int, document_type: str, role: str, name: str) -> None:
    """A company without an active policy for ``document_type`` gets one: anyone with ``role``
    decides. Held orders and price exceptions always need a person, never an automatic yes.

    The policy is saved and activated through the approvals app's policy service, so it is
    checked (the role exists, someone in the company holds it) and audited like any other;
    when it cannot be, the refusal says that no one can approve and nothing is written.
    """
    from crossdock.approvals.models import ApprovalPolicy, ApproverRule
    from crossdock.approvals.policies import (
        LevelDraft,
        PolicyDraft,
        save_policy,
        set_policy_status,
    )

    policies = ApprovalPolicy.objects.filter(company_id=company_id, document_type=document_type)
    if policies.filter(status=ApprovalPolicy.Status.ACTIVE).exists():
        return
    system = Actor.system(f"default {document_type} policy")
    draft = PolicyDraft(
        company_id=company_id,
        document_type=document_type,
        name=name,
        condition={"all": []},
        levels=(LevelDraft(name=role, rule=ApproverRule.ROLE, role=role),),
    )
    # A draft or retired policy of that name is brought back rather than duplicated.
    same_name = policies.filter(name=name).values_list("pk", flat=True).first()
    try:
        with transaction.atomic():
            policy = save_policy(system, draft, policy_id=same_name)
            set_policy_status(system, policy.pk, ApprovalPolicy.Status.ACTIVE)
    except DomainError as refused:
        raise DomainError(
            f"No one can approve “{name}”: {refused.message}", fields=refused.fields
        ) from refused


def check_and_release(actor: Actor, order: SalesOrder) -> SalesOrder:
    """Hold the (locked) order for credit, or release it to the warehouse."""
    from crossdock.approvals import services as approvals

    # One credit decision per customer at a time: two orders confirmed at once must not
    # both fit under the limit that only one of them fits under.
    Partner.objects.select_for_update().filter(pk=order.customer_id).values_list("pk").first()
    customer = order.customer
    if customer.group_company_id is None:
        exposure = exposure_of(customer)
        reason = hold_reason(order, exposure, settings_of(order.company_id).overdue_hold_days)
        order.credit_exposure = exposure.total + order.amount_company
        order.credit_limit = exposure.limit
    else:
        reason = ""
    if not reason:
        order.hold_reason = ""
        return release_to_warehouse(actor, order)
    before = {"state": order.state}
    order.state = SalesOrderState.CREDIT_HOLD
    order.hold_reason = reason[:300]
    order.save(
        update_fields=["state", "hold_reason", "credit_exposure", "credit_limit", "updated_at"]
    )
    changed(
        actor, order, "credit-hold", before, {"state": order.state, "reason": order.hold_reason}
    )
    try:
        with transaction.atomic():
            ensure_policy(
                order.company_id,
                CREDIT_RELEASE,
                "credit-controller",
                "Credit release by a credit controller",
            )
            approvals.submit(actor, order, CREDIT_RELEASE)
    except DomainError as nobody:  # the order stays held; payments can still release it
        order.hold_reason = f"{order.hold_reason} — {nobody.message}"[:300]
        order.save(update_fields=["hold_reason", "updated_at"])
    order.refresh_from_db()
    return order


def credit_released(actor: Actor, order: SalesOrder) -> None:
    """The approvals engine released the order: it goes to the warehouse."""
    order = lock_order(order.pk)
    if order.state != SalesOrderState.CREDIT_HOLD:
        return
    order.released_by = actor.label[:150]
    release_to_warehouse(actor, order)


def credit_refused(actor: Actor, order: SalesOrder, comment: str) -> None:
    """The credit controller refused: the order goes back to a quotation."""
    order = lock_order(order.pk)
    if order.state != SalesOrderState.CREDIT_HOLD:
        return
    order.state = SalesOrderState.QUOTATION
    order.rejection_comment = comment
    order.save(update_fields=["state", "rejection_comment", "updated_at"])
    changed(
        actor,
        order,
        "credit-refused",
        {"state": "credit_hold"},
        {"state": order.state, "comment": comment},
    )


def release_if_covered(actor: Actor, customer: Partner) -> list[SalesOrder]:
    """Release the customer's held orders, oldest first, that its exposure now allows."""
    from crossdock.approvals import services as approvals

    released = []
    hold_days = settings_of(customer.company_id).overdue_hold_days
    held = SalesOrder.objects.filter(customer=customer, state=SalesOrderState.CREDIT_HOLD).order_by(
        "pk"
    )
    for order_id in held.values_list("pk", flat=True):
        order = lock_order(order_id)
        if order.state != SalesOrderState.CREDIT_HOLD:
            continue
        try:
            exposure = exposure_of(customer)
        except MissingRateError:  # the limit cannot be converted: the orders stay held
            break
        if hold_reason(order, exposure, hold_days):
            break
        approvals.withdraw(actor, CREDIT_RELEASE, str(order.pk))
        order.credit_exposure = exposure.total + order.amount_company
        order.credit_limit = exposure.limit
        order.released_by = "payments brought the exposure under the limit"
        released.append(release_to_warehouse(actor, order))
    return released


def payment_changed(event: DomainEvent) -> None:
    """A customer paid: held orders the exposure now allows are released automatically."""
    from crossdock.accounting.models import Payment

    payment_id: Any = getattr(event, "payment_id", None)
    payment = (
        Payment.objects.select_related("partner__company__base_currency", "partner__currency")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None or not payment.partner.is_customer:
        return
    if not SalesOrder.objects.filter(
        customer=payment.partner, state=SalesOrderState.CREDIT_HOLD
    ).exists():
        return
    release_if_covered(Actor.system(f"payment {payment.pk}"), payment.partner)
