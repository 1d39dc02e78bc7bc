"""Opening, editing, assigning and answering service cases.

:func:`open_case` checks the whole request before anything is written: the
customer (a customer of a company the user works in), the category and
priority, and each optional link — the sales order and the return authorization
must be the customer's own, the product any product of the catalogue. The
company's SLA policy for the priority sets the due times. Every refusal names
its field, and nothing is written.

:func:`update_case` changes the subject, description, category, priority and
links of a case that is not closed (a priority change moves the due times to
that priority's policy, still counted from the opening); :func:`assign_case`
gives it an owner who may work cases of that company; :func:`record_response`
stamps the first answer to the customer (later answers are audited only) and
moves an open case into progress. Status changes are in
:mod:`crossdock.service.services.status`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import refuse_if
from crossdock.core.permissions import can_act_on, require
from crossdock.masterdata.models import Company, Partner, Product
from crossdock.sales.models import ReturnAuthorization, SalesOrder
from crossdock.service.models import (
    CaseCategory,
    CasePriority,
    CaseStatus,
    ServiceCase,
    SLAPolicy,
)
from crossdock.service.services.common import changed, in_status, visible_case

SUBJECT_LENGTH = 200
DESCRIPTION_LENGTH = 5000


@dataclass(frozen=True)
class CaseDraft:
    """What a case is about; ``None`` links are left empty."""

    customer_id: Any
    subject: str
    category: str
    priority: str = CasePriority.NORMAL
    description: str = ""
    sales_order_id: Any = None
    product_id: Any = None
    return_authorization_id: Any = None


def _id(value: Any) -> int | None:
    return int(value) if str(value).isdigit() else None


def _customer(actor: Actor, customer_id: Any, problems: dict[str, list[str]]) -> Partner | None:
    customers = Partner.objects.select_related("company")
    if actor.user is not None:
        customers = customers.in_scope_of(actor.user)
    pk = _id(customer_id)
    customer = customers.filter(pk=pk).first() if pk is not None else None
    if customer is None:
        problems["customer"] = ["Unknown customer."]
    elif not customer.is_customer:
        problems["customer"] = [f"{customer.code} is not a customer."]
        return None
    return customer


def _texts(draft: CaseDraft, problems: dict[str, list[str]]) -> None:
    if not draft.subject.strip():
        problems["subject"] = ["Say what the case is about."]
    elif len(draft.subject.strip()) > SUBJECT_LENGTH:
        problems["subject"] = [f"At most {SUBJECT_LENGTH} characters."]
    if len(draft.description) > DESCRIPTION_LENGTH:
        problems["description"] = [f"At most {DESCRIPTION_LENGTH} characters."]
    if draft.category not in CaseCategory.values:
        problems["category"] = [f"One of {', '.join(CaseCategory.values)}."]
    if draft.priority not in CasePriority.values:
        problems["priority"] = [f"One of {', '.join(CasePriority.values)}."]


def _links(
    customer: Partner | None, draft: CaseDraft, problems: dict[str, list[str]]
) -> dict[str, Any]:
    """The linked order, product and return, each checked against the customer."""
    links: dict[str, Any] = {"sales_order": None, "product": None, "return_authorization": None}
    for name, model, given in (
        ("sales_order", SalesOrder, draft.sales_order_id),
        ("return_authorization", ReturnAuthorization, draft.return_authorization_id),
    ):
        if given in (None, ""):
            continue
        pk = _id(given)
        found = model.objects.filter(pk=pk).first() if pk is not None else None
        if found is None or customer is None or found.customer_id != customer.pk:
            problems[name] = ["Not a document of this customer."]
        else:
            links[name] = found
    if draft.product_id not in (None, ""):
        pk = _id(draft.product_id)
        product = Product.objects.filter(pk=pk).first() if pk is not None else None
        if product is None:
            problems["product"] = ["Unknown product."]
        links["product"] = product
    return links


def due_times(
    company_id: int, priority: str, opened_at: datetime.datetime
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """First-response and resolution due times from the company's policy (none without one)."""
    policy = SLAPolicy.objects.filter(company_id=company_id, priority=priority).first()
    if policy is None:
        return None, None
    return (
        opened_at + datetime.timedelta(hours=policy.response_hours),
        opened_at + datetime.timedelta(hours=policy.resolution_hours),
    )


def _number(company: Company) -> str:
    prefix = f"SC/{company.code}/"
    count = ServiceCase.objects.filter(company=company).count() + 1
    while ServiceCase.objects.filter(number=f"{prefix}{count:06d}").exists():
        count += 1
    return f"{prefix}{count:06d}"


def _fill(case: ServiceCase, draft: CaseDraft, links: dict[str, Any]) -> None:
    case.subject = draft.subject.strip()
    case.description = draft.description.strip()
    case.category = draft.category
    case.priority = draft.priority
    case.sales_order = links["sales_order"]
    case.product = links["product"]
    case.return_authorization = links["return_authorization"]


def open_case(
    actor: Actor, draft: CaseDraft, *, opened_at: datetime.datetime | None = None
) -> ServiceCase:
    """Open a case for a customer, due by its company's SLA policy (nothing on bad input)."""
    problems: dict[str, list[str]] = {}
    customer = _customer(actor, draft.customer_id, problems)
    _texts(draft, problems)
    links = _links(customer, draft, problems)
    refuse_if(problems)
    assert customer is not None
    when = opened_at or timezone.now()
    case = ServiceCase(company_id=customer.company_id, customer=customer, opened_at=when)
    _fill(case, draft, links)
    case.opened_by = actor.user
    require(actor, case, "add")
    with transaction.atomic():
        case.first_response_due, case.resolve_due = due_times(case.company_id, case.priority, when)
        case.number = _number(customer.company)
        case.save()
        return changed(actor, case, "opened", None)


def update_case(
    actor: Actor, case_id: Any, draft: CaseDraft, *, version: int | None = None
) -> ServiceCase:
    """Change what a case is about (not its customer); a new priority moves its due times."""
    with transaction.atomic():
        case = visible_case(actor, case_id, "change", version)
        in_status(case, CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING)
        problems: dict[str, list[str]] = {}
        if draft.customer_id not in (None, "") and str(draft.customer_id) != str(case.customer_id):
            problems["customer"] = ["A case stays with its customer; open a new one."]
        _texts(draft, problems)
        links = _links(case.customer, draft, problems)
        refuse_if(problems)
        before = audit.snapshot(case)
        priority_changed = draft.priority != case.priority
        _fill(case, draft, links)
        if priority_changed:
            case.first_response_due, case.resolve_due = due_times(
                case.company_id, case.priority, case.opened_at
            )
        case.version = F("version") + 1
        case.save()
        case.refresh_from_db()
        return changed(actor, case, "updated", before)


def assign_case(
    actor: Actor, case_id: Any, owner_id: Any, *, version: int | None = None
) -> ServiceCase:
    """Give the case an owner who may work the company's cases (``None`` unassigns it)."""
    with transaction.atomic():
        case = visible_case(actor, case_id, "change", version)
        in_status(case, CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING)
        owner = None
        if owner_id not in (None, ""):
            pk = _id(owner_id)
            owner = get_user_model().objects.filter(pk=pk, is_active=True).first() if pk else None
            if owner is None or not can_act_on(owner, case, "change"):
                refuse_if({"owner": ["Not a user who may work this company's cases."]})
        before = audit.snapshot(case)
        case.owner = owner
        case.version = F("version") + 1
        case.save(update_fields=["owner", "version", "updated_at"])
        case.refresh_from_db()
        return changed(actor, case, "assigned", before)


def record_response(
    actor: Actor,
    case_id: Any,
    note: str = "",
    *,
    at: datetime.datetime | None = None,
    version: int | None = None,
) -> ServiceCase:
    """Record an answer to the customer: the first one stops the response clock."""
    with transaction.atomic():
        case = visible_case(actor, case_id, "change", version)
        in_status(case, CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING)
        if len(note) > DESCRIPTION_LENGTH:
            refuse_if({"note": [f"At most {DESCRIPTION_LENGTH} characters."]})
        when = max(at or timezone.now(), case.opened_at)
        before = audit.snapshot(case)
        if case.first_response_at is None:
            case.first_response_at = when
        if case.status == CaseStatus.OPEN:
            case.status = CaseStatus.IN_PROGRESS
        case.version = F("version") + 1
        case.save()
        case.refresh_from_db()
        return changed(actor, case, "responded", before, note=note.strip())
