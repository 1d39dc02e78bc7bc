"""Service cases: opening with SLA due times, assigning, answering, the status life,
escalation past the due times — and refusals that write nothing."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from crossdock.core.context import Actor
from crossdock.core.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role
from crossdock.service.models import ServiceCase
from crossdock.service.services.cases import (
    CaseDraft,
    assign_case,
    record_response,
    update_case,
)
from crossdock.service.services.escalation import escalate_overdue_cases
from crossdock.service.services.policies import PolicyDraft, save_policy
from crossdock.service.services.status import (
    change_status,
    close_case,
    reopen_case,
    resolve_case,
)
from tests import factories
from tests.inventory.conftest import SYSTEM
from tests.service.conftest import OPENED, hours, make_case


def _written() -> tuple[int, int, int]:
    return ServiceCase.objects.count(), AuditEntry.objects.count(), OutboxEvent.objects.count()


def test_opening_numbers_the_case_and_sets_due_times_from_the_policy(
    agent_actor, customer_a, policies
):
    case = make_case(agent_actor, customer_a, priority="urgent")
    assert case.number == "SC/ACME/000001"
    assert (case.status, case.company_id, case.opened_by) == (
        "open",
        customer_a.company_id,
        agent_actor.user,
    )
    assert case.first_response_due == OPENED + hours(1)
    assert case.resolve_due == OPENED + hours(8)
    assert make_case(agent_actor, customer_a).number == "SC/ACME/000002"
    entry = AuditEntry.objects.get(object_type="service.servicecase", object_id=str(case.pk))
    assert (entry.action, entry.actor_id) == ("create", agent_actor.user.pk)
    assert OutboxEvent.objects.filter(name="service.case.opened").count() == 2


def test_a_priority_without_policy_has_no_due_times(agent_actor, customer_a, policies):
    case = make_case(agent_actor, customer_a, priority="low")
    assert (case.first_response_due, case.resolve_due) == (None, None)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject": "  "}, "subject"),
        ({"category": "gossip"}, "category"),
        ({"priority": "asap"}, "priority"),
        ({"sales_order_id": 999999}, "sales_order"),
        ({"return_authorization_id": "x"}, "return_authorization"),
        ({"product_id": 999999}, "product"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(agent_actor, customer_a, fields, field):
    before = _written()
    with pytest.raises(DomainError) as refused:
        make_case(agent_actor, customer_a, **fields)
    assert field in refused.value.fields
    assert _written() == before


def test_a_customer_of_another_company_is_unknown(agent_actor, company_b):
    stranger = factories.partner(company_b)
    before = _written()
    with pytest.raises(DomainError) as refused:
        make_case(agent_actor, stranger)
    assert refused.value.fields == {"customer": ["Unknown customer."]}
    assert _written() == before


def test_a_sales_rep_may_not_open_cases(company_a, customer_a):
    rep = Actor.of(factories.user(Role.SALES_REP, companies=[company_a]))
    before = _written()
    with pytest.raises(PermissionDeniedError):
        make_case(rep, customer_a)
    assert _written() == before


def test_a_linked_order_must_be_the_customers(agent_actor, customer_a, company_a):
    from tests.sales.conftest import Selling

    selling = Selling(factories.warehouse(company_a))
    product = factories.product()
    selling.price(product, "10")
    order = selling.order((product, "2", None))
    with pytest.raises(DomainError) as refused:
        make_case(agent_actor, customer_a, sales_order_id=order.pk)
    assert refused.value.fields == {"sales_order": ["Not a document of this customer."]}
    case = make_case(agent_actor, selling.customer, sales_order_id=order.pk, product_id=product.pk)
    assert (case.sales_order_id, case.product_id) == (order.pk, product.pk)


def test_response_resolve_close_reopen(agent_actor, customer_a, policies):
    case = make_case(agent_actor, customer_a)
    case = record_response(agent_actor, case.pk, "Photos received", at=OPENED + hours(2))
    assert (case.status, case.first_response_at) == ("in_progress", OPENED + hours(2))
    case = record_response(agent_actor, case.pk, "Replacement on its way", at=OPENED + hours(3))
    assert case.first_response_at == OPENED + hours(2)  # the first answer stays
    case = change_status(agent_actor, case.pk, "waiting", at=OPENED + hours(4))
    assert case.status == "waiting"
    case = resolve_case(agent_actor, case.pk, "Replaced", at=OPENED + hours(5))
    assert (case.status, case.resolved_at, case.resolution) == (
        "resolved",
        OPENED + hours(5),
        "Replaced",
    )
    case = close_case(agent_actor, case.pk, at=OPENED + hours(6))
    assert (case.status, case.closed_at) == ("closed", OPENED + hours(6))
    case = reopen_case(agent_actor, case.pk, "Still broken", at=OPENED + hours(30))
    assert (case.status, case.resolved_at, case.closed_at) == ("open", None, None)
    names = list(
        OutboxEvent.objects.filter(name__startswith="service.case.")
        .order_by("pk")
        .values_list("name", flat=True)
    )
    assert names == [
        "service.case.opened",
        "service.case.responded",
        "service.case.responded",
        "service.case.waiting",
        "service.case.resolved",
        "service.case.closed",
        "service.case.reopened",
    ]
    assert case.version == 7


def test_resolving_counts_as_the_first_response(agent_actor, customer_a):
    case = make_case(agent_actor, customer_a)
    case = resolve_case(agent_actor, case.pk, at=OPENED + hours(1))
    assert case.first_response_at == OPENED + hours(1)


@pytest.mark.parametrize(
    ("path", "status"),
    [(["resolved"], "waiting"), ([], "closed"), ([], "open"), (["resolved", "closed"], "resolved")],
)
def test_moves_its_life_does_not_allow_are_refused(agent_actor, customer_a, path, status):
    case = make_case(agent_actor, customer_a)
    for step in path:
        case = change_status(agent_actor, case.pk, step)
    before = (_written(), ServiceCase.objects.get(pk=case.pk).version)
    with pytest.raises(ConflictError) as refused:
        change_status(agent_actor, case.pk, status)
    assert "status" in refused.value.fields
    assert (_written(), ServiceCase.objects.get(pk=case.pk).version) == before


def test_a_stale_version_is_refused(agent_actor, customer_a):
    case = make_case(agent_actor, customer_a)
    record_response(agent_actor, case.pk)
    with pytest.raises(StaleVersionError):
        resolve_case(agent_actor, case.pk, version=1)
    assert ServiceCase.objects.get(pk=case.pk).status == "in_progress"


def test_assigning_needs_an_owner_who_may_work_the_companys_cases(
    agent_actor, agent, customer_a, company_a, company_b
):
    case = make_case(agent_actor, customer_a)
    elsewhere = factories.user(Role.SERVICE_AGENT, companies=[company_b])
    reader = factories.user(Role.SALES_REP, companies=[company_a])
    for owner in (elsewhere, reader):
        with pytest.raises(DomainError) as refused:
            assign_case(agent_actor, case.pk, owner.pk)
        assert "owner" in refused.value.fields
    assert ServiceCase.objects.get(pk=case.pk).owner is None
    assert assign_case(agent_actor, case.pk, agent.pk).owner == agent
    assert assign_case(agent_actor, case.pk, None).owner is None


def test_a_case_outside_the_users_companies_is_not_found(agent_actor, company_b):
    theirs = make_case(SYSTEM, factories.partner(company_b))
    with pytest.raises(NotFoundError):
        record_response(agent_actor, theirs.pk)


def test_a_priority_change_moves_the_due_times(agent_actor, customer_a, policies):
    case = make_case(agent_actor, customer_a)
    draft = CaseDraft(customer_a.pk, "Pallet arrived damaged", "complaint", priority="urgent")
    case = update_case(agent_actor, case.pk, draft)
    assert (case.category, case.first_response_due, case.resolve_due) == (
        "complaint",
        OPENED + hours(1),
        OPENED + hours(8),
    )


def test_escalation_raises_overdue_cases_once(agent_actor, customer_a, policies):
    late_answer = make_case(agent_actor, customer_a)  # due: answer 13:00, resolve next 09:00
    answered = make_case(agent_actor, customer_a)
    record_response(agent_actor, answered.pk, at=OPENED + hours(1))
    resolved = make_case(agent_actor, customer_a)
    resolve_case(agent_actor, resolved.pk, at=OPENED + hours(1))
    no_policy = make_case(agent_actor, customer_a, priority="low")

    assert escalate_overdue_cases(OPENED + hours(4)).escalated == 0  # due, not yet past
    first = escalate_overdue_cases(OPENED + hours(5))
    assert first.case_ids == [late_answer.pk]
    assert escalate_overdue_cases(OPENED + hours(6)).escalated == 0  # idempotent
    later = escalate_overdue_cases(OPENED + hours(25))
    assert later.case_ids == [late_answer.pk, answered.pk]
    levels = dict(ServiceCase.objects.values_list("pk", "escalation_level"))
    assert levels == {late_answer.pk: 2, answered.pk: 2, resolved.pk: 0, no_policy.pk: 0}
    assert ServiceCase.objects.get(pk=late_answer.pk).escalated_at == OPENED + hours(25)
    assert OutboxEvent.objects.filter(name="service.case.escalated").count() == 3
    entry = AuditEntry.objects.filter(action="service.case.escalated").latest("sequence")
    assert entry.actor_label == "system:service SLA escalation"


def test_the_database_refuses_a_resolved_case_without_its_time(agent_actor, customer_a):
    case = make_case(agent_actor, customer_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceCase.objects.filter(pk=case.pk).update(status="resolved")


def test_policies_refuse_bad_hours_and_a_second_policy_per_priority(company_a, policies):
    for response, resolution, field in ((0, 5, "response_hours"), (8, 4, "resolution_hours"),
                                        ("1.5", 4, "response_hours")):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            save_policy(SYSTEM, PolicyDraft(company_a.pk, "high", response, resolution))
        assert field in refused.value.fields
    with pytest.raises(DomainError) as refused:
        save_policy(SYSTEM, PolicyDraft(company_a.pk, "normal", 2, 8))
    assert "priority" in refused.value.fields
    assert sorted(policies) == ["normal", "urgent"]
