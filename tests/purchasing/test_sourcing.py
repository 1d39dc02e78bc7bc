"""Sourcing services: requisitions (approval, conversion), RFQs, quotes, comparison, award."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.approvals.models import ApprovalRequest
from crossdock.approvals.services import decide
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role
from crossdock.masterdata.models import Currency, ExchangeRate
from crossdock.purchasing.comparison import compare_quotes
from crossdock.purchasing.models import (
    OrderState,
    PurchaseOrder,
    PurchaseRequisition,
    RequestForQuotation,
    RequisitionState,
    RfqState,
    SupplierQuote,
)
from crossdock.purchasing.services import sourcing
from crossdock.purchasing.services.catalogue import OfferDraft, PriceBreakDraft, save_offer
from crossdock.purchasing.tasks import email_request_for_quotation
from tests import factories
from tests.inventory.conftest import SYSTEM
from tests.purchasing.conftest import make_policy

D = Decimal


def _later(days: int = 14) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _supplier(buying, **fields):
    return factories.partner(buying.company, is_customer=False, is_supplier=True, **fields)


def _offer(buying, supplier, product, price, preference=1, currency=None, lead=7):
    return save_offer(
        SYSTEM,
        OfferDraft(
            company_id=buying.company.pk,
            supplier_id=supplier.pk,
            product_id=product.pk,
            currency_id=(currency or supplier.currency).pk,
            breaks=[PriceBreakDraft(D(0), D(price))],
            preference=preference,
            lead_time_days=lead,
        ),
    )


def _requisition(buying, *lines, actor=None):
    draft = sourcing.RequisitionDraft(
        warehouse_id=buying.warehouse.pk,
        needed_by=_later(),
        lines=[sourcing.RequisitionLineDraft(p.pk, D(q)) for p, q in lines],
    )
    return sourcing.create_requisition(actor or buying.actor, draft)


def _approved(buying, *lines):
    requisition = _requisition(buying, *lines)
    return sourcing.submit_requisition(buying.actor, requisition.pk)


def _usd_rate(company, rate="0.9137", days_ago=3):
    usd = Currency.objects.get(code="USD")
    ExchangeRate.objects.filter(currency=usd).delete()
    ExchangeRate.objects.filter(quote_currency=usd).delete()
    ExchangeRate.objects.create(
        currency=usd,
        quote_currency=company.base_currency,
        valid_from=timezone.localdate() - datetime.timedelta(days=days_ago),
        rate=D(rate),
    )
    return usd


def _sent_rfq(buying, suppliers, *lines):
    draft = sourcing.RfqDraft(
        warehouse_id=buying.warehouse.pk,
        supplier_ids=[s.pk for s in suppliers],
        needed_by=_later(),
        lines=[sourcing.RfqLineDraft(p.pk, D(q)) for p, q in lines],
    )
    rfq = sourcing.create_rfq(buying.actor, draft)
    return sourcing.send_rfq(buying.actor, rfq.pk)


def _quote(line, supplier, price, lead=7, **extra):
    return sourcing.QuoteDraft(
        line_id=line.pk, supplier_id=supplier.pk, unit_price=D(price), lead_time_days=lead, **extra
    )


# -- requisitions ---------------------------------------------------------------------------


def test_a_requisition_is_estimated_at_the_preferred_catalogue_price_else_standard_cost(buying):
    listed, unlisted = factories.product(), factories.product()
    other = _supplier(buying)
    _offer(buying, buying.supplier, listed, "4.00", preference=2)
    _offer(buying, other, listed, "5.00", preference=1)
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[buying.company])
    requisition = _requisition(buying, (listed, "10"), (unlisted, "3"), actor=Actor.of(manager))
    # 10 × 5.00 (preference 1 wins over the cheaper preference 2) + 3 × 6.00 standard cost
    assert requisition.estimated_amount == D("68.00")
    assert requisition.state == RequisitionState.DRAFT
    assert requisition.requested_by == manager
    assert requisition.reference.startswith(f"REQ/{buying.company.code}/")
    assert [(x.product, x.quantity) for x in requisition.lines.all()] == [
        (listed, D(10)),
        (unlisted, D(3)),
    ]
    assert OutboxEvent.objects.filter(name="purchasing.requisition.create").count() == 1
    assert AuditEntry.objects.filter(action="purchasing.requisition.create").count() == 1


def test_bad_requisition_input_names_every_field_and_writes_nothing(buying):
    draft = sourcing.RequisitionDraft(
        warehouse_id=buying.warehouse.pk,
        needed_by=timezone.localdate() - datetime.timedelta(days=1),
        lines=[
            sourcing.RequisitionLineDraft(factories.product().pk, D("-1")),
            sourcing.RequisitionLineDraft(999999, D("1")),
            sourcing.RequisitionLineDraft(factories.product().pk, 1.5),  # type: ignore[arg-type]
        ],
    )
    with pytest.raises(DomainError) as refused:
        sourcing.create_requisition(buying.actor, draft)
    assert set(refused.value.fields) == {
        "needed_by",
        "lines[0].quantity",
        "lines[1].product",
        "lines[2].quantity",
    }
    assert PurchaseRequisition.objects.count() == 0


def test_who_may_request_goods(buying):
    product = factories.product()
    for role in (Role.SALES_MANAGER, Role.PURCHASING_MANAGER):
        user = factories.user(role, companies=[buying.company])
        assert _requisition(buying, (product, "1"), actor=Actor.of(user)).pk
    for role in (Role.AP_CLERK, Role.AUDITOR, Role.WAREHOUSE_OPERATOR):
        user = factories.user(role, companies=[buying.company])
        with pytest.raises(PermissionDeniedError):
            _requisition(buying, (product, "1"), actor=Actor.of(user))
    assert PurchaseRequisition.objects.count() == 2


def test_no_policy_approves_a_requisition_at_once(buying):
    requisition = _approved(buying, (factories.product(), "2"))
    assert requisition.state == RequisitionState.APPROVED
    assert requisition.approved_at is not None
    assert OutboxEvent.objects.filter(name="purchasing.requisition.approve").exists()


def test_a_requisition_over_the_threshold_waits_for_approval_then_is_approved(buying):
    manager = factories.user(Role.PURCHASING_MANAGER, companies=[buying.company])
    make_policy(
        buying.company, "purchase-requisition", {"field": "amount", "op": ">=", "value": "100"}
    )
    small = _approved(buying, (factories.product(), "2"))  # 12.00 at standard cost
    assert small.state == RequisitionState.APPROVED
    big = _approved(buying, (factories.product(), "100"))  # 600.00
    assert big.state == RequisitionState.SUBMITTED
    request = ApprovalRequest.objects.get(
        document_type="purchase-requisition", document_id=str(big.pk)
    )
    assert D(request.facts["amount"]) == D("600.00")
    assert request.facts["warehouse"] == buying.warehouse.code
    with pytest.raises(ConflictError):
        sourcing.convert_requisition(buying.actor, big.pk)
    decide(Actor.of(manager), request.pk, approve=True)
    big.refresh_from_db()
    assert big.state == RequisitionState.APPROVED


def test_a_rejected_requisition_returns_to_draft_with_the_reason(buying):
    manager = factories.user(Role.PURCHASING_MANAGER, companies=[buying.company])
    make_policy(
        buying.company, "purchase-requisition", {"field": "amount", "op": ">=", "value": "1"}
    )
    requisition = _approved(buying, (factories.product(), "5"))
    request = ApprovalRequest.objects.get(document_type="purchase-requisition")
    decide(Actor.of(manager), request.pk, approve=False, comment="Use stock from depot 2")
    requisition.refresh_from_db()
    assert requisition.state == RequisitionState.DRAFT
    assert requisition.rejection_comment == "Use stock from depot 2"
    again = sourcing.submit_requisition(buying.actor, requisition.pk)
    assert again.state == RequisitionState.SUBMITTED
    assert again.rejection_comment == ""


def test_cancelling_a_submitted_requisition_withdraws_its_approval_request(buying):
    factories.user(Role.PURCHASING_MANAGER, companies=[buying.company])
    make_policy(
        buying.company, "purchase-requisition", {"field": "amount", "op": ">=", "value": "1"}
    )
    requisition = _approved(buying, (factories.product(), "5"))
    cancelled = sourcing.cancel_requisition(buying.actor, requisition.pk, "Not needed")
    assert cancelled.state == RequisitionState.CANCELLED
    request = ApprovalRequest.objects.get(document_type="purchase-requisition")
    assert request.status == ApprovalRequest.Status.CANCELLED
    with pytest.raises(ConflictError):
        sourcing.cancel_requisition(buying.actor, requisition.pk)
    with pytest.raises(ConflictError):
        sourcing.submit_requisition(buying.actor, requisition.pk)


def test_only_a_draft_requisition_can_be_edited(buying):
    product = factories.product()
    requisition = _requisition(buying, (product, "5"))
    draft = sourcing.RequisitionDraft(
        warehouse_id=buying.warehouse.pk,
        needed_by=_later(20),
        lines=[sourcing.RequisitionLineDraft(product.pk, D("7"), "urgent")],
    )
    edited = sourcing.update_requisition(buying.actor, requisition.pk, draft)
    assert edited.version == 2
    assert [(x.quantity, x.note) for x in edited.lines.all()] == [(D(7), "urgent")]
    sourcing.submit_requisition(buying.actor, requisition.pk)
    with pytest.raises(ConflictError):
        sourcing.update_requisition(buying.actor, requisition.pk, draft)


def test_conversion_orders_from_the_preferred_supplier_one_order_per_supplier_lines_merged(
    buying,
):
    bolts, nuts, washers = factories.product(), factories.product(), factories.product()
    second = _supplier(buying)
    _offer(buying, buying.supplier, bolts, "2.00", preference=1)
    _offer(buying, second, bolts, "1.50", preference=2)
    _offer(buying, buying.supplier, nuts, "0.40", preference=1)
    _offer(buying, second, washers, "0.10", preference=1, lead=30)
    requisition = _approved(buying, (bolts, "10"), (nuts, "100"), (bolts, "5"), (washers, "50"))
    orders = sourcing.convert_requisition(buying.actor, requisition.pk)
    assert len(orders) == 2
    by_supplier = {order.supplier_id: order for order in orders}
    first = by_supplier[buying.supplier.pk]
    assert sorted((x.product_id, x.quantity, x.unit_price) for x in first.lines.all()) == sorted(
        [(bolts.pk, D(15), D("2.00")), (nuts.pk, D(100), D("0.40"))]
    )
    assert first.amount == D("70.00")
    other = by_supplier[second.pk]
    assert [(x.product_id, x.quantity, x.unit_price) for x in other.lines.all()] == [
        (washers.pk, D(50), D("0.10"))
    ]
    assert other.expected_date == timezone.localdate() + datetime.timedelta(days=30)
    assert all(o.state == OrderState.DRAFT for o in orders)
    requisition.refresh_from_db()
    assert requisition.state == RequisitionState.ORDERED
    assert {x.product_id: x.purchase_order_id for x in requisition.lines.all()} == {
        bolts.pk: first.pk,
        nuts.pk: first.pk,
        washers.pk: other.pk,
    }
    with pytest.raises(ConflictError):
        sourcing.convert_requisition(buying.actor, requisition.pk)


def test_conversion_skips_expired_offers_and_refuses_lines_without_one(buying):
    product, orphan = factories.product(), factories.product()
    offer = _offer(buying, buying.supplier, product, "2.00")
    offer.valid_to = timezone.localdate() - datetime.timedelta(days=1)
    offer.valid_from = offer.valid_to - datetime.timedelta(days=10)
    offer.save()
    requisition = _approved(buying, (product, "1"), (orphan, "1"))
    with pytest.raises(DomainError) as refused:
        sourcing.convert_requisition(buying.actor, requisition.pk)
    assert set(refused.value.fields) == {"lines[0].product", "lines[1].product"}
    assert PurchaseOrder.objects.count() == 0
    requisition.refresh_from_db()
    assert requisition.state == RequisitionState.APPROVED


def test_a_warehouse_manager_may_request_but_not_convert(buying):
    product = factories.product()
    _offer(buying, buying.supplier, product, "2.00")
    manager = Actor.of(factories.user(Role.WAREHOUSE_MANAGER, companies=[buying.company]))
    requisition = _requisition(buying, (product, "3"), actor=manager)
    sourcing.submit_requisition(manager, requisition.pk)
    with pytest.raises(PermissionDeniedError):
        sourcing.convert_requisition(manager, requisition.pk)
    with pytest.raises(PermissionDeniedError):
        sourcing.requisition_to_rfq(manager, requisition.pk, [buying.supplier.pk])
    assert PurchaseOrder.objects.count() == 0
    assert RequestForQuotation.objects.count() == 0


def test_another_companys_requisition_and_rfq_are_not_found(buying, company_b):
    product = factories.product()
    requisition = _requisition(buying, (product, "3"))
    rfq = _sent_rfq(buying, [buying.supplier], (product, "3"))
    stranger = Actor.of(factories.user(Role.BUYER, companies=[company_b]))
    for call in (
        lambda: sourcing.submit_requisition(stranger, requisition.pk),
        lambda: sourcing.cancel_requisition(stranger, requisition.pk),
        lambda: sourcing.send_rfq(stranger, rfq.pk),
        lambda: sourcing.award_rfq(stranger, rfq.pk, {}),
    ):
        with pytest.raises(NotFoundError):
            call()


# -- RFQs, quotes, comparison, award ----------------------------------------------------------


def test_a_requisition_goes_out_for_quotation_and_the_award_orders_it(
    buying, mailoutbox, django_capture_on_commit_callbacks
):
    product = factories.product()
    asked = [_supplier(buying, email="sales@one.example"), _supplier(buying)]
    requisition = _approved(buying, (product, "40"))
    rfq = sourcing.requisition_to_rfq(buying.actor, requisition.pk, [s.pk for s in asked])
    requisition.refresh_from_db()
    assert requisition.state == RequisitionState.RFQ
    assert rfq.state == RfqState.DRAFT
    assert rfq.requisition == requisition
    line = rfq.lines.get()
    assert (line.product, line.quantity, line.needed_by) == (product, D(40), requisition.needed_by)
    with django_capture_on_commit_callbacks(execute=True):
        rfq = sourcing.send_rfq(buying.actor, rfq.pk)
    assert rfq.state == RfqState.SENT
    assert mailoutbox == []  # the worker sends it
    assert email_request_for_quotation.call(rfq.pk) == 1
    assert mailoutbox[0].to == ["sales@one.example"]
    assert product.sku in mailoutbox[0].body
    sourcing.record_quotes(
        buying.actor, rfq.pk, [_quote(line, asked[0], "3.10"), _quote(line, asked[1], "2.95")]
    )
    quote = SupplierQuote.objects.get(supplier=asked[1])
    orders = sourcing.award_rfq(buying.actor, rfq.pk, {line.pk: quote.pk})
    assert [(o.supplier, o.amount) for o in orders] == [(asked[1], D("118.00"))]
    requisition.refresh_from_db()
    assert requisition.state == RequisitionState.ORDERED
    assert requisition.lines.get().purchase_order == orders[0]


def test_bad_quotes_are_refused_field_by_field_and_nothing_is_written(buying):
    product = factories.product()
    asked, outsider = _supplier(buying), _supplier(buying)
    rfq = _sent_rfq(buying, [asked], (product, "10"))
    line = rfq.lines.get()
    gbp = Currency.objects.get(code="GBP")
    ExchangeRate.objects.filter(currency=gbp).delete()
    ExchangeRate.objects.filter(quote_currency=gbp).delete()
    with pytest.raises(DomainError) as refused:
        sourcing.record_quotes(
            buying.actor,
            rfq.pk,
            [
                _quote(line, asked, "-1.00"),
                _quote(line, outsider, "2.00"),
                _quote(line, asked, "2.00", currency_id=gbp.pk),
                _quote(line, asked, "2.00", lead=-3),
            ],
        )
    fields = refused.value.fields
    assert fields["quotes[0].unit_price"] == ["Cannot be negative."]
    assert fields["quotes[1].supplier"] == ["This supplier was not asked on this RFQ."]
    assert "No GBP/EUR exchange rate" in fields["quotes[2].currency"][0]
    assert "quotes[3].lead_time_days" in fields
    assert SupplierQuote.objects.count() == 0
    assert not AuditEntry.objects.filter(action="purchasing.rfq.quote").exists()


def test_quotes_need_a_sent_rfq_and_a_new_quote_replaces_the_old(buying):
    product = factories.product()
    draft = sourcing.RfqDraft(
        warehouse_id=buying.warehouse.pk,
        supplier_ids=[buying.supplier.pk],
        lines=[sourcing.RfqLineDraft(product.pk, D(5))],
    )
    rfq = sourcing.create_rfq(buying.actor, draft)
    line = rfq.lines.get()
    with pytest.raises(ConflictError):
        sourcing.record_quotes(buying.actor, rfq.pk, [_quote(line, buying.supplier, "1")])
    sourcing.send_rfq(buying.actor, rfq.pk)
    sourcing.record_quotes(buying.actor, rfq.pk, [_quote(line, buying.supplier, "1.00")])
    sourcing.record_quotes(buying.actor, rfq.pk, [_quote(line, buying.supplier, "0.90")])
    assert list(SupplierQuote.objects.values_list("unit_price", flat=True)) == [D("0.90")]


def test_the_comparison_converts_at_the_dated_rate_and_marks_cheapest_and_fastest(buying):
    usd = _usd_rate(buying.company, "0.9137", days_ago=3)
    product = factories.product()
    local = _supplier(buying, supplier_risk_class="medium")
    overseas = _supplier(buying, currency=usd)
    rfq = _sent_rfq(buying, [local, overseas], (product, "250"))
    line = rfq.lines.get()
    sourcing.record_quotes(
        buying.actor,
        rfq.pk,
        [
            _quote(line, local, "4.20", lead=5, estimated_landed_cost_percent=D("2")),
            _quote(
                line, overseas, "4.05", lead=35, estimated_landed_cost_percent=D("12.5"),
                minimum_quantity=D("200"),
            ),
        ],
    )  # fmt: skip
    [compared] = compare_quotes(rfq)
    figures = {f.supplier_code: f for f in compared.quotes}
    far = figures[overseas.code]
    assert far.currency_code == "USD"
    assert far.rate == D("0.9137")
    assert far.unit_price_company == D("3.700485")  # 4.05 × 0.9137
    assert far.landed_unit_price_company == D("4.163046")  # × 1.125, half-even
    assert far.line_total_company == D("1040.76")  # 250 × 4.163046
    assert far.moq_met is True
    near = figures[local.code]
    assert near.rate == D(1)
    assert near.landed_unit_price_company == D("4.284000")
    assert near.line_total_company == D("1071.00")
    assert near.risk_class == "medium"
    assert near.score is None
    assert (far.cheapest, far.fastest) == (True, False)
    assert (near.cheapest, near.fastest) == (False, True)
    assert [f.supplier_code for f in compared.quotes] == [overseas.code, local.code]


def test_an_expired_quote_or_one_under_its_moq_is_never_marked_and_cannot_win(buying):
    product = factories.product()
    cheap, dear = _supplier(buying), _supplier(buying)
    rfq = _sent_rfq(buying, [cheap, dear], (product, "10"))
    line = rfq.lines.get()
    sourcing.record_quotes(
        buying.actor,
        rfq.pk,
        [_quote(line, cheap, "1.00", minimum_quantity=D(50)), _quote(line, dear, "2.00")],
    )
    [compared] = compare_quotes(rfq)
    marked = {f.supplier_code: (f.cheapest, f.fastest) for f in compared.quotes}
    assert marked == {cheap.code: (False, False), dear.code: (True, True)}
    later = compare_quotes(rfq, on=_later(400))  # nothing expires without valid_until
    assert later[0].quotes[0].expired is False
    quote = SupplierQuote.objects.get(supplier=cheap)
    with pytest.raises(DomainError) as refused:
        sourcing.award_rfq(buying.actor, rfq.pk, {line.pk: quote.pk})
    assert "below the quoted minimum of 50" in refused.value.fields[f"awards[{line.pk}]"][0]
    assert PurchaseOrder.objects.count() == 0


def test_the_award_writes_one_order_per_supplier_at_the_quoted_prices_and_closes_the_rfq(
    buying,
):
    usd = _usd_rate(buying.company, "0.9137", days_ago=3)
    bolts, nuts, gears = factories.product(), factories.product(), factories.product()
    local = _supplier(buying)
    overseas = _supplier(buying, currency=usd)
    rfq = _sent_rfq(buying, [local, overseas], (bolts, "100"), (nuts, "400"), (gears, "7"))
    b, n, g = rfq.lines.order_by("sequence")
    sourcing.record_quotes(
        buying.actor,
        rfq.pk,
        [
            _quote(b, local, "0.21", lead=3), _quote(b, overseas, "0.18", lead=40),
            _quote(n, local, "0.05", lead=3), _quote(n, overseas, "0.04", lead=40),
            _quote(g, local, "12.50", lead=10),
        ],
    )  # fmt: skip
    awards = sourcing.supplier_awards(rfq, overseas.pk)
    awards[g.pk] = SupplierQuote.objects.get(line=g).pk
    orders = sourcing.award_rfq(buying.actor, rfq.pk, awards)
    assert len(orders) == 2
    by_supplier = {o.supplier_id: o for o in orders}
    far = by_supplier[overseas.pk]
    assert far.currency == usd
    assert far.rate == D("0.9137")
    assert sorted((x.product_id, x.quantity, x.unit_price) for x in far.lines.all()) == sorted(
        [(bolts.pk, D(100), D("0.18")), (nuts.pk, D(400), D("0.04"))]
    )
    assert far.amount == D("34.00")
    assert far.amount_company == D("31.07")  # 34.00 × 0.9137 = 31.0658
    near = by_supplier[local.pk]
    assert [(x.product_id, x.unit_price) for x in near.lines.all()] == [(gears.pk, D("12.50"))]
    rfq.refresh_from_db()
    assert rfq.state == RfqState.CLOSED
    assert rfq.closed_at is not None
    assert {x.pk: x.purchase_order_id for x in rfq.lines.all()} == {
        b.pk: far.pk,
        n.pk: far.pk,
        g.pk: near.pk,
    }
    assert OutboxEvent.objects.filter(name="purchasing.rfq.award").count() == 1
    assert AuditEntry.objects.filter(action="purchasing.rfq.award").count() == 1
    with pytest.raises(ConflictError):
        sourcing.award_rfq(buying.actor, rfq.pk, awards)


def test_a_quote_of_another_line_cannot_be_awarded_and_nothing_is_ordered(buying):
    one, two = factories.product(), factories.product()
    rfq = _sent_rfq(buying, [buying.supplier], (one, "1"), (two, "1"))
    first, second = rfq.lines.order_by("sequence")
    sourcing.record_quotes(buying.actor, rfq.pk, [_quote(first, buying.supplier, "1.00")])
    quote = SupplierQuote.objects.get()
    with pytest.raises(DomainError):
        sourcing.award_rfq(buying.actor, rfq.pk, {second.pk: quote.pk})
    with pytest.raises(DomainError):
        sourcing.award_rfq(buying.actor, rfq.pk, {})
    assert PurchaseOrder.objects.count() == 0
    rfq.refresh_from_db()
    assert rfq.state == RfqState.SENT


def test_cancelling_an_rfq_returns_its_requisition_to_approved(buying):
    requisition = _approved(buying, (factories.product(), "4"))
    rfq = sourcing.requisition_to_rfq(buying.actor, requisition.pk, [buying.supplier.pk])
    cancelled = sourcing.cancel_rfq(buying.actor, rfq.pk, "Prices agreed by phone")
    assert cancelled.state == RfqState.CANCELLED
    requisition.refresh_from_db()
    assert requisition.state == RequisitionState.APPROVED
    with pytest.raises(ConflictError):
        sourcing.send_rfq(buying.actor, rfq.pk)


def test_an_rfq_needs_real_suppliers_of_the_company(buying, company_b):
    foreign = factories.partner(company_b, is_customer=False, is_supplier=True)
    customer = factories.partner(buying.company)
    draft = sourcing.RfqDraft(
        warehouse_id=buying.warehouse.pk,
        supplier_ids=[foreign.pk, customer.pk, 999999],
        lines=[sourcing.RfqLineDraft(factories.product().pk, D(0))],
    )
    with pytest.raises(DomainError) as refused:
        sourcing.create_rfq(buying.actor, draft)
    assert set(refused.value.fields) == {
        "suppliers[0]",
        "suppliers[1]",
        "suppliers[2]",
        "lines[0].quantity",
    }
    assert RequestForQuotation.objects.count() == 0


def test_who_may_work_rfqs(buying):
    product = factories.product()
    rfq = _sent_rfq(buying, [buying.supplier], (product, "1"))
    line = rfq.lines.get()
    for role in (Role.WAREHOUSE_MANAGER, Role.AUDITOR, Role.CONTROLLER):
        actor = Actor.of(factories.user(role, companies=[buying.company]))
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            sourcing.record_quotes(actor, rfq.pk, [_quote(line, buying.supplier, "1")])
    manager = Actor.of(factories.user(Role.PURCHASING_MANAGER, companies=[buying.company]))
    assert sourcing.record_quotes(manager, rfq.pk, [_quote(line, buying.supplier, "1")])
