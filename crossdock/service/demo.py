"""Service demo: SLA policies and a few dozen customer cases at every stage of their life.

Design overview
---------------
:func:`load_service_demo` runs after the sales demo. For each operating company the
sales manager keeps four SLA policies (low 24 h / 5 days, normal 8 h / 2 days, high
4 h / 1 day, urgent 1 h / 8 h), and the customer-service agent opens fifteen cases over
the last ten days for the company's first customers — about their orders and products
where the sales demo gave them some — and works them: some answered, some waiting on
the customer, some resolved or closed, one reopened, and a few left unanswered past
their due times. Finally the escalation runs as the clock would, so the list shows
cases past their SLA and the exception queue and the sales dashboard's service backlog
have something to show. Times are relative to now; a second run does nothing.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from crossdock.core.context import Actor
from crossdock.core.models import User
from crossdock.masterdata.models import Company, Partner, Product
from crossdock.sales.models import SalesOrder
from crossdock.service.models import ServiceCase
from crossdock.service.services.cases import CaseDraft, assign_case, open_case, record_response
from crossdock.service.services.escalation import escalate_overdue_cases
from crossdock.service.services.policies import PolicyDraft, save_policy
from crossdock.service.services.status import change_status

POLICIES = (("low", 24, 120), ("normal", 8, 48), ("high", 4, 24), ("urgent", 1, 8))
# subject, category, priority, hours ago opened, what happened (see _work)
CASES = (
    ("Pallet arrived with crushed cartons", "delivery_issue", "high", 200, "closed"),
    ("Wrong flavour delivered", "complaint", "normal", 180, "resolved"),
    ("Is the 5 l size back in stock?", "enquiry", "low", 170, "closed"),
    ("Dispenser stopped working after a week", "warranty_claim", "high", 150, "reopened"),
    ("Invoice charged twice", "billing", "urgent", 120, "resolved"),
    ("Delivery two days late", "delivery_issue", "normal", 100, "waiting"),
    ("Missing item on the delivery note", "delivery_issue", "high", 80, "answered"),
    ("Leaking canister", "warranty_claim", "urgent", 60, "unanswered"),
    ("Request for safety data sheets", "enquiry", "low", 50, "answered"),
    ("Damaged labels on the whole batch", "complaint", "normal", 40, "unanswered"),
    ("Price differs from the agreed list", "billing", "normal", 30, "waiting"),
    ("Driver left goods outside", "delivery_issue", "high", 20, "answered"),
    ("Need a copy of the proof of delivery", "enquiry", "normal", 6, "unanswered"),
    ("Seal broken on arrival", "complaint", "urgent", 3, "unanswered"),
    ("Question about the new catalogue", "enquiry", "low", 1, "open"),
)


def load_service_demo() -> dict[str, int]:
    """Build the service demo (see the module docstring); all or nothing."""
    counts = {"service_cases": 0, "sla_policies": 0}
    with transaction.atomic():
        if ServiceCase.objects.exists():
            return counts
        people = {
            u.username: Actor.of(u)
            for u in User.objects.filter(
                username__in=["service-agent", "sales-manager"], is_active=True
            )
        }
        if len(people) < 2:
            return counts
        now = timezone.now()
        for company in Company.objects.filter(code__in=("NSE", "NSUK")).order_by("code"):
            _company_demo(company, people, now, counts)
        escalate_overdue_cases(now)
    return counts


def _company_demo(
    company: Company, people: dict[str, Actor], now: datetime.datetime, counts: dict[str, int]
) -> None:
    customers = list(
        Partner.objects.filter(company=company, is_customer=True, active=True, group_company=None)
        .order_by("pk")
        .values_list("pk", flat=True)[:6]
    )
    if not customers:
        return
    for priority, response, resolution in POLICIES:
        save_policy(
            people["sales-manager"], PolicyDraft(company.pk, priority, response, resolution)
        )
        counts["sla_policies"] += 1
    orders = dict(
        SalesOrder.objects.filter(company=company, customer_id__in=customers)
        .order_by("pk")
        .values_list("customer_id", "pk")
    )
    products = list(Product.objects.order_by("pk").values_list("pk", flat=True)[:15])
    agent = people["service-agent"]
    for index, (subject, category, priority, ago, outcome) in enumerate(CASES):
        customer = customers[index % len(customers)]
        draft = CaseDraft(
            customer_id=customer,
            subject=subject,
            category=category,
            priority=priority,
            sales_order_id=orders.get(customer) if category != "enquiry" else None,
            product_id=products[index % len(products)] if products and index % 3 else None,
        )
        opened = now - datetime.timedelta(hours=ago)
        case = open_case(agent, draft, opened_at=opened)
        _work(agent, case.pk, outcome, opened)
        counts["service_cases"] += 1


def _work(agent: Actor, case_id: int, outcome: str, opened: datetime.datetime) -> None:
    """Take the case as far as ``outcome`` says, at times after its opening."""
    if outcome in ("open", "unanswered"):
        return
    assign_case(agent, case_id, agent.user.pk if agent.user else None)
    record_response(agent, case_id, "Thank you, we are looking into it.", at=_after(opened, 1))
    if outcome == "waiting":
        change_status(agent, case_id, "waiting", "Asked for photos.", at=_after(opened, 2))
    if outcome in ("resolved", "closed", "reopened"):
        change_status(agent, case_id, "resolved", "Credit note issued.", at=_after(opened, 20))
    if outcome == "closed":
        change_status(agent, case_id, "closed", at=_after(opened, 40))
    if outcome == "reopened":
        change_status(agent, case_id, "open", "Same fault again.", at=_after(opened, 60))


def _after(opened: datetime.datetime, hours: int) -> datetime.datetime:
    return min(opened + datetime.timedelta(hours=hours), timezone.now())
