"""Purchase orders: catalogue rules, the approval route, confirmation, revision, cancelling."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.approvals.models import ApprovalRequest
from crossdock.approvals.services import decide
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, SegregationOfDutiesError
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.purchasing.models import OrderState, PurchaseOrder, PurchaseOrderLine
from crossdock.purchasing.services import orders
from crossdock.purchasing.tasks import email_purchase_order
from tests import factories
from tests.purchasing.conftest import make_policy

D = Decimal


def _nothing_written() -> None:
    assert PurchaseOrder.objects.count() == 0
    assert PurchaseOrderLine.objects.count() == 0


def test_a_missing_price_comes_from_the_catalogue_break_for_the_quantity(buying):
    product = factories.product()
    buying.offer(product, ("0", "5.00"), ("100", "4.50"))
    order = buying.order((product, "120", None))
    line = order.lines.get()
    assert line.unit_price == D("4.50")
    assert order.amount == D("540.00")
    assert order.amount_company == D("540.00")
    assert line.off_contract is False
    assert order.state == OrderState.DRAFT
    assert order.reference.startswith(f"PO/{buying.company.code}/")


def test_a_price_other_than_the_contract_price_is_off_contract(buying):
    product = factories.product()
    buying.offer(product, ("0", "5.00"))
    order = buying.order((product, "10", "5.10"))
    assert order.lines.get().off_contract is True


def test_quantity_below_moq_is_refused_naming_the_line_and_the_minimum(buying):
    product = factories.product()
    buying.offer(product, ("0", "5.00"), moq="50")
    with pytest.raises(DomainError) as refused:
        buying.order((product, "40", None))
    assert "lines[0].quantity" in refused.value.fields
    assert "minimum order quantity of 50" in refused.value.message
    _nothing_written()


def test_quantity_that_is_not_whole_packs_names_the_nearest_pack_quantities(buying):
    product = factories.product()
    buying.offer(product, ("0", "5.00"), multiple="12")
    with pytest.raises(DomainError) as refused:
        buying.order((product, "30", None))
    assert "order 24 or 36" in refused.value.message
    _nothing_written()
    assert buying.order((product, "36", None)).lines.get().quantity == D(36)


@pytest.mark.parametrize(
    ("quantity", "price", "field"),
    [
        ("-1", "5.00", "quantity"),
        ("0", "5.00", "quantity"),
        ("1.5", "5.00", "quantity"),
        ("10", "-2", "unit_price"),
        ("10", "1.1234567", "unit_price"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(buying, quantity, price, field):
    product = factories.product()
    with pytest.raises(DomainError) as refused:
        buying.order((product, quantity, price))
    assert f"lines[0].{field}" in refused.value.fields
    _nothing_written()


def test_a_product_without_catalogue_price_needs_a_price(buying):
    product = factories.product()
    with pytest.raises(DomainError) as refused:
        buying.order((product, "5", None))
    assert "lines[0].unit_price" in refused.value.fields
    _nothing_written()


def test_a_currency_without_a_rate_is_refused(buying):
    usd = factories.Currency.objects.get(code="USD")
    product = factories.product()
    with pytest.raises(DomainError) as refused:
        buying.order(
            (product, "5", "2.00"), currency_id=usd.pk, order_date=datetime.date(1990, 1, 1)
        )
    assert "currency" in refused.value.fields
    _nothing_written()


def test_no_policy_approves_at_once_then_send_and_confirm(
    buying, mailoutbox, django_capture_on_commit_callbacks
):
    product = factories.product()
    buying.supplier.email = "orders@supplier.example"
    buying.supplier.save()
    order = buying.order((product, "10", "3.00"), (factories.product(), "2", "1.50"))
    order = orders.submit_purchase_order(buying.actor, order.pk)
    assert order.state == OrderState.APPROVED
    with django_capture_on_commit_callbacks(execute=True):
        order = orders.send_purchase_order(buying.actor, order.pk)
    assert order.state == OrderState.SENT
    assert mailoutbox == []  # the worker sends it
    assert email_purchase_order.call(order.pk) is True
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["orders@supplier.example"]
    assert mailoutbox[0].attachments[0][2] == "application/pdf"
    first, second = order.lines.order_by("pk")
    confirmed_on = order.order_date + datetime.timedelta(days=9)
    order = orders.confirm_purchase_order(
        buying.actor, order.pk, [orders.Confirmation(first.pk, D("8"), confirmed_on)]
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert order.state == OrderState.CONFIRMED
    assert (first.confirmed_quantity, first.confirmed_date) == (D(8), confirmed_on)
    assert (second.confirmed_quantity, second.confirmed_date) == (D(2), second.expected_date)
    actions = list(
        AuditEntry.objects.filter(object_type="purchasing.purchaseorder", object_id=str(order.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "purchasing.order.create",
        "purchasing.order.submit",
        "approvals.auto-approve",
        "purchasing.order.approve",
        "purchasing.order.send",
        "purchasing.order.confirm",
    ]


def test_an_order_over_the_threshold_waits_for_the_purchasing_manager(buying):
    manager = factories.user(Role.PURCHASING_MANAGER, companies=[buying.company])
    make_policy(buying.company, "purchase-order", {"field": "amount", "op": ">=", "value": "1000"})
    small = orders.submit_purchase_order(
        buying.actor, buying.order((factories.product(), "10", "3.00")).pk
    )
    assert small.state == OrderState.APPROVED
    big = buying.order((factories.product(), "100", "30.00"))
    big = orders.submit_purchase_order(buying.actor, big.pk)
    assert big.state == OrderState.TO_APPROVE
    with pytest.raises(ConflictError):
        orders.send_purchase_order(buying.actor, big.pk)
    request = ApprovalRequest.objects.get(document_type="purchase-order", document_id=str(big.pk))
    decide(Actor.of(manager), request.pk, approve=True)
    big.refresh_from_db()
    assert big.state == OrderState.APPROVED


def test_rejection_returns_the_order_to_draft_and_resubmission_reevaluates(buying):
    manager = factories.user(Role.PURCHASING_MANAGER, companies=[buying.company])
    make_policy(buying.company, "purchase-order", {"field": "amount", "op": ">=", "value": "1000"})
    product = factories.product()
    order = orders.submit_purchase_order(buying.actor, buying.order((product, "100", "30")).pk)
    request = ApprovalRequest.objects.get(document_id=str(order.pk), document_type="purchase-order")
    decide(Actor.of(manager), request.pk, approve=False, comment="Too much stock already")
    order.refresh_from_db()
    assert (order.state, order.rejection_comment) == (OrderState.DRAFT, "Too much stock already")
    order = orders.revise_purchase_order(
        buying.actor, order.pk, buying.draft((product, "10", "30"))
    )
    order = orders.submit_purchase_order(buying.actor, order.pk)
    assert order.state == OrderState.APPROVED  # 300 is under the threshold


def test_whoever_created_the_order_cannot_approve_it(buying):
    manager = factories.user(Role.PURCHASING_MANAGER, companies=[buying.company])
    other = factories.user(Role.PURCHASING_MANAGER, companies=[buying.company])
    make_policy(buying.company, "purchase-order", {"field": "amount", "op": ">=", "value": "1"})
    order = buying.order((factories.product(), "10", "3.00"), actor=Actor.of(manager))
    order = orders.submit_purchase_order(Actor.of(other), order.pk)  # submitted by someone else
    request = ApprovalRequest.objects.get(document_id=str(order.pk), document_type="purchase-order")
    with pytest.raises(SegregationOfDutiesError) as refused:
        decide(Actor.of(manager), request.pk, approve=True)
    assert "PO-CREATE-APPROVE" in refused.value.message
    order.refresh_from_db()
    assert order.state == OrderState.TO_APPROVE


def test_a_change_after_confirmation_makes_a_revision_and_is_approved_again(buying):
    product, other = factories.product(), factories.product()
    order = buying.order((product, "10", "3.00"))
    order = orders.submit_purchase_order(buying.actor, order.pk)
    order = orders.confirm_purchase_order(buying.actor, order.pk)
    order = orders.revise_purchase_order(
        buying.actor,
        order.pk,
        buying.draft((product, "12", "3.00"), (other, "1", "9.00")),
        expected_version=order.version,
        reason="Supplier offered a second item",
    )
    assert order.revision == 1
    assert order.state == OrderState.APPROVED
    revision = order.revisions.get()
    assert {c["change"] for c in revision.changes} == {"quantity", "added"}
    assert revision.reason == "Supplier offered a second item"
    line = order.lines.get(product=product)
    assert line.confirmed_quantity is None  # the changed line needs confirming again
    assert order.amount == D("45.00")


def test_a_stale_version_is_refused(buying):
    product = factories.product()
    order = buying.order((product, "10", "3.00"))
    orders.revise_purchase_order(buying.actor, order.pk, buying.draft((product, "11", "3.00")))
    with pytest.raises(DomainError):
        orders.revise_purchase_order(
            buying.actor, order.pk, buying.draft((product, "12", "3.00")), expected_version=1
        )
    assert order.lines.get().quantity == D(11)


def test_cancel_withdraws_the_pending_approval(buying):
    factories.user(Role.PURCHASING_MANAGER, companies=[buying.company])
    make_policy(buying.company, "purchase-order", {"field": "amount", "op": ">=", "value": "1"})
    order = orders.submit_purchase_order(
        buying.actor, buying.order((factories.product(), "10", "3.00")).pk
    )
    order = orders.cancel_purchase_order(buying.actor, order.pk, "Not needed")
    assert order.state == OrderState.CANCELLED
    request = ApprovalRequest.objects.get(document_id=str(order.pk), document_type="purchase-order")
    assert request.status == ApprovalRequest.Status.CANCELLED


def test_a_warehouse_operator_cannot_create_orders(buying):
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[buying.company])
    with pytest.raises(DomainError):
        buying.order((factories.product(), "10", "3.00"), actor=Actor.of(operator))
    _nothing_written()
