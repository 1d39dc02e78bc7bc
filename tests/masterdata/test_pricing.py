"""Price lists: quantity breaks, validity dates, and price changes governed by approvals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.approvals import policies, services
from crossdock.approvals.models import ApprovalRequest
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, PermissionDeniedError
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role
from crossdock.masterdata import pricing
from crossdock.masterdata.models import (
    Currency,
    PriceList,
    PriceListChange,
    PriceListChangeLine,
    PriceListItem,
)
from crossdock.masterdata.pricing import PRICE_LIST_CHANGE, PriceLine
from crossdock.masterdata.selectors import price_for
from tests import factories

D = Decimal
SYSTEM = Actor.system("tests")
TODAY = datetime.date(2026, 5, 1)
BIG_CUT = {"field": "discount_pct", "op": ">", "value": "10"}


@pytest.fixture
def price_list(company_a):
    return pricing.create_price_list(
        SYSTEM,
        {
            "company": company_a,
            "code": "RETAIL",
            "name": "Retail",
            "currency": Currency.objects.get(code="EUR"),
        },
    )


@pytest.fixture
def sales(company_a):
    return {
        "rep": factories.user(Role.SALES_REP, companies=[company_a], username="rep"),
        "manager": factories.user(Role.SALES_MANAGER, companies=[company_a], username="boss"),
    }


@pytest.fixture
def cut_policy(company_a, sales):
    draft = PolicyDraft(
        company_id=company_a.pk,
        document_type=PRICE_LIST_CHANGE,
        name="Price cuts above 10 %",
        condition=BIG_CUT,
        levels=[LevelDraft(name="Sales manager", rule="role", role="sales-manager")],
    )
    policy = policies.save_policy(SYSTEM, draft)
    return policies.set_policy_status(SYSTEM, policy.pk, "active")


def item(price_list, product, price, min_quantity="1", valid_from=TODAY, valid_to=None):
    return PriceListItem.objects.create(
        price_list=price_list,
        product=product,
        min_quantity=D(min_quantity),
        unit_price=D(price),
        valid_from=valid_from,
        valid_to=valid_to,
    )


def prices(price_list):
    return sorted(
        (i.product.sku, i.min_quantity, i.unit_price)
        for i in price_list.items.select_related("product")
    )


def unit_price(product, price_list, quantity="1", day=TODAY) -> Decimal | None:
    quote = price_for(product, price_list, D(quantity), day)
    return None if quote is None else quote.unit_price


def request_of(change) -> ApprovalRequest:
    request = services.request_for(PRICE_LIST_CHANGE, change.pk)
    assert request is not None
    return request


def written():
    return (
        PriceListChange.objects.count(),
        PriceListChangeLine.objects.count(),
        PriceListItem.objects.count(),
        AuditEntry.objects.count(),
    )


# -- looking up prices ----------------------------------------------------------------------------


def test_price_for_picks_the_highest_break_not_above_the_quantity(price_list):
    product = factories.product("SKU-BREAKS")
    item(price_list, product, "10.00", "1")
    item(price_list, product, "9.00", "10")
    item(price_list, product, "8.25", "100")
    assert unit_price(product, price_list, "0.5") is None
    assert unit_price(product, price_list, "1") == D("10.00")
    assert unit_price(product, price_list, "9.999") == D("10.00")
    assert unit_price(product, price_list, "10") == D("9.00")
    assert unit_price(product, price_list, "99") == D("9.00")
    assert unit_price(product, price_list, "100") == D("8.25")
    assert unit_price(product, price_list, "5000") == D("8.25")
    quote = price_for(product, price_list, D(150), TODAY)
    assert quote is not None
    assert quote.min_quantity == D(100)


def test_price_for_honours_the_validity_of_items_and_of_the_list(price_list):
    product = factories.product("SKU-DATES")
    item(price_list, product, "10.00", valid_from=datetime.date(2026, 1, 1))
    item(
        price_list,
        product,
        "7.50",
        valid_from=datetime.date(2026, 6, 1),
        valid_to=datetime.date(2026, 6, 30),
    )

    def on(day: datetime.date) -> Decimal | None:
        return unit_price(product.pk, price_list.pk, day=day)

    assert on(datetime.date(2025, 12, 31)) is None
    assert on(datetime.date(2026, 5, 31)) == D("10.00")
    assert on(datetime.date(2026, 6, 1)) == D("7.50")  # the later start wins
    assert on(datetime.date(2026, 6, 30)) == D("7.50")
    assert on(datetime.date(2026, 7, 1)) == D("10.00")
    PriceList.objects.filter(pk=price_list.pk).update(valid_to=datetime.date(2026, 6, 15))
    assert on(datetime.date(2026, 6, 15)) == D("7.50")
    assert on(datetime.date(2026, 6, 16)) is None
    PriceList.objects.filter(pk=price_list.pk).update(valid_to=None, active=False)
    assert on(datetime.date(2026, 6, 1)) is None


BREAKS = st.lists(
    st.tuples(
        st.decimals(min_value=0, max_value=1000, places=2),
        st.decimals(min_value=0, max_value=500, places=2),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda pair: pair[0],
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(breaks=BREAKS, quantity=st.decimals(min_value=0, max_value=1200, places=3))
def test_price_for_always_returns_the_highest_applicable_break(price_list, breaks, quantity):
    product = factories.product()
    with transaction.atomic():
        for min_quantity, price in breaks:
            item(price_list, product, price, min_quantity)
        quote = price_for(product, price_list, quantity, TODAY)
        applicable = [(m, p) for m, p in breaks if m <= quantity]
        if not applicable:
            assert quote is None
        else:
            best = max(applicable)
            assert quote is not None
            assert (quote.min_quantity, quote.unit_price) == best
            assert quote.min_quantity <= quantity
        transaction.set_rollback(True)


def test_the_database_refuses_bad_items(price_list):
    product = factories.product()
    item(price_list, product, "1.00")
    for bad in (
        {"unit_price": D("-0.01")},
        {"valid_from": TODAY, "min_quantity": D(1)},  # duplicate break
        {"valid_to": TODAY - datetime.timedelta(days=1), "min_quantity": D(2)},
    ):
        fields = {"min_quantity": D(5), "unit_price": D(1), "valid_from": TODAY, **bad}
        with pytest.raises(IntegrityError), transaction.atomic():
            PriceListItem.objects.create(price_list=price_list, product=product, **fields)


# -- proposing and applying changes ----------------------------------------------------------------


def test_a_change_without_matching_policy_is_applied_at_once(price_list, sales, cut_policy):
    shirt, socks, hat = (factories.product(sku) for sku in ("SHIRT", "SOCKS", "HAT"))
    item(price_list, shirt, "20.00")
    item(price_list, socks, "5.00")
    change = pricing.propose_price_changes(
        Actor.of(sales["rep"]),
        price_list.pk,
        [
            PriceLine(shirt.pk, D("19.00")),  # −5 %: below the policy's threshold
            PriceLine(socks.pk, None),
            PriceLine(hat.pk, D("12.50"), min_quantity=D(10)),
        ],
    )
    assert prices(price_list) == [("SHIRT", D(1), D("20.00")), ("SOCKS", D(1), D("5.00"))]
    lines = {line.product.sku: line for line in change.lines.select_related("product")}
    assert (lines["SHIRT"].action, lines["SHIRT"].old_price) == ("update", D("20.00"))
    assert (lines["SOCKS"].action, lines["SOCKS"].new_price) == ("remove", None)
    assert (lines["HAT"].action, lines["HAT"].old_price) == ("add", None)
    change = pricing.submit_price_change(Actor.of(sales["rep"]), change.pk)
    assert change.state == "applied"
    assert services.request_for(PRICE_LIST_CHANGE, change.pk) is None
    assert prices(price_list) == [("HAT", D(10), D("12.50")), ("SHIRT", D(1), D("19.00"))]
    applied = AuditEntry.objects.get(action="masterdata.pricelist.apply")
    assert applied.object_id == str(price_list.pk)
    assert applied.before is not None
    assert applied.before["items"][0]["unit_price"] == "20.000000"
    assert OutboxEvent.objects.filter(name="masterdata.pricelist.updated").count() == 1


def test_a_cut_above_the_threshold_waits_for_the_sales_manager_then_applies(
    price_list, sales, cut_policy
):
    product = factories.product("DRILL", standard_cost=D("60.00"))
    item(price_list, product, "100.00")
    change = pricing.propose_price_changes(
        Actor.of(sales["rep"]), price_list.pk, [PriceLine(product.pk, D("85.00"))]
    )
    change = pricing.submit_price_change(Actor.of(sales["rep"]), change.pk)
    assert change.state == "submitted"
    request = request_of(change)
    assert request.status == "pending"
    assert request.facts == {
        "discount_pct": "15.00",
        "lines": "1",
        "category": product.category.path,
        "company": "ACME",
        "margin_pct": "29.41",
        "margin_drop_pct": "10.59",
    }
    assert list(request.steps.values_list("approver__username", flat=True)) == ["boss"]
    assert unit_price(product, price_list) == D("100.00")
    with pytest.raises(ConflictError):  # a submitted change cannot be revised meanwhile
        pricing.revise_price_change(
            Actor.of(sales["rep"]), change.pk, [PriceLine(product.pk, D("99"))]
        )
    services.decide(Actor.of(sales["manager"]), request.pk, approve=True)
    change.refresh_from_db()
    assert change.state == "applied"
    assert change.applied_at is not None
    assert unit_price(product, price_list) == D("85.00")


def test_rejection_returns_the_change_to_draft_and_resubmitting_reevaluates(
    price_list, sales, cut_policy
):
    product = factories.product("SAW")
    item(price_list, product, "50.00")
    rep = Actor.of(sales["rep"])
    change = pricing.propose_price_changes(rep, price_list.pk, [PriceLine(product.pk, D("40"))])
    pricing.submit_price_change(rep, change.pk)
    first = request_of(change)
    services.decide(Actor.of(sales["manager"]), first.pk, approve=False, comment="Too deep")
    change.refresh_from_db()
    assert (change.state, change.rejection_comment) == ("draft", "Too deep")
    assert unit_price(product, price_list) == D("50.00")
    # Submitted again unchanged: the policy still matches, a new request waits.
    pricing.submit_price_change(rep, change.pk)
    second = request_of(change)
    assert second.pk != first.pk
    assert second.status == "pending"
    services.decide(Actor.of(sales["manager"]), second.pk, approve=False, comment="Still")
    # Revised to a 6 % cut: no policy matches any more, it is applied at once.
    pricing.revise_price_change(rep, change.pk, [PriceLine(product.pk, D("47.00"))])
    change = pricing.submit_price_change(rep, change.pk)
    assert change.state == "applied"
    assert change.rejection_comment == ""
    assert unit_price(product, price_list) == D("47.00")
    assert ApprovalRequest.objects.filter(document_type=PRICE_LIST_CHANGE).count() == 2


def test_the_requester_cannot_approve_their_own_cut(price_list, sales, cut_policy):
    manager = sales["manager"]  # the only sales manager: nobody else may approve
    product = factories.product()
    item(price_list, product, "10.00")
    change = pricing.propose_price_changes(
        Actor.of(manager), price_list.pk, [PriceLine(product.pk, D("5.00"))]
    )
    with pytest.raises(DomainError, match="No one can approve"):
        pricing.submit_price_change(Actor.of(manager), change.pk)
    change.refresh_from_db()
    assert change.state == "draft"


def test_an_approved_change_against_a_moved_price_is_refused_whole(price_list, sales, cut_policy):
    drill, saw = factories.product(), factories.product()
    drill_item = item(price_list, drill, "100.00")
    item(price_list, saw, "10.00")
    change = pricing.propose_price_changes(
        Actor.of(sales["rep"]),
        price_list.pk,
        [PriceLine(drill.pk, D("50.00")), PriceLine(saw.pk, D("11.00"))],
    )
    pricing.submit_price_change(Actor.of(sales["rep"]), change.pk)
    PriceListItem.objects.filter(pk=drill_item.pk).update(unit_price=D("90.00"))
    request = request_of(change)
    with pytest.raises(ConflictError, match="changed since"):
        services.decide(Actor.of(sales["manager"]), request.pk, approve=True)
    change.refresh_from_db()
    assert change.state == "submitted"
    assert unit_price(saw, price_list) == D("10.00")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (PriceLine(0, D("1.00")), "lines[0].product"),
        ("negative", "lines[0].new_price"),
        ("float", "lines[0].new_price"),
        ("precise", "lines[0].new_price"),
        ("quantity", "lines[0].min_quantity"),
        ("dates", "lines[0].valid_to"),
        ("remove-missing", "lines[0].new_price"),
        ("twice", "lines[1].product"),
    ],
)
def test_bad_proposals_name_the_field_and_write_nothing(price_list, sales, line, field):
    product = factories.product()
    lines = {
        "negative": [PriceLine(product.pk, D("-1"))],
        "float": [PriceLine(product.pk, 1.5)],  # type: ignore[arg-type]  # a float is refused
        "precise": [PriceLine(product.pk, D("1.0000001"))],
        "quantity": [PriceLine(product.pk, D(1), min_quantity=D(-2))],
        "dates": [
            PriceLine(
                product.pk, D(1), valid_from=TODAY, valid_to=TODAY - datetime.timedelta(days=1)
            )
        ],
        "remove-missing": [PriceLine(product.pk, None)],
        "twice": [PriceLine(product.pk, D(1)), PriceLine(product.pk, D(2))],
    }.get(line, [line])
    before = written()
    with pytest.raises(DomainError) as refused:
        pricing.propose_price_changes(Actor.of(sales["rep"]), price_list.pk, lines)
    assert field in refused.value.fields
    assert refused.value.message.startswith(field)
    assert written() == before


def test_an_empty_proposal_and_a_stranger_are_refused(price_list, company_b, sales):
    stranger = factories.user(Role.SALES_REP, companies=[company_b])
    product = factories.product()
    before = written()
    with pytest.raises(DomainError) as refused:
        pricing.propose_price_changes(Actor.of(sales["rep"]), price_list.pk, [])
    assert "lines" in refused.value.fields
    with pytest.raises(PermissionDeniedError):
        pricing.propose_price_changes(
            Actor.of(stranger), price_list.pk, [PriceLine(product.pk, D(1))]
        )
    assert written() == before


def test_a_bad_price_list_names_the_field_and_writes_nothing(company_a):
    before = PriceList.objects.count()
    with pytest.raises(DomainError) as refused:
        pricing.create_price_list(
            SYSTEM,
            {
                "company": company_a, "code": "X", "name": "X",
                "currency": Currency.objects.get(code="EUR"),
                "valid_from": TODAY, "valid_to": TODAY - datetime.timedelta(days=1),
            },
        )  # fmt: skip
    assert "valid_to" in refused.value.fields
    assert PriceList.objects.count() == before


def test_facts_skip_margins_without_a_cost_in_the_list_currency(price_list, sales):
    free = factories.product(standard_cost=D(0))
    dollars = factories.product(standard_cost=D(5), currency=Currency.objects.get(code="USD"))
    item(price_list, free, "10.00")
    item(price_list, dollars, "10.00")
    change = pricing.propose_price_changes(
        Actor.of(sales["rep"]),
        price_list.pk,
        [PriceLine(free.pk, D("8.00")), PriceLine(dollars.pk, D("12.00"))],
    )
    facts = pricing.change_facts(change)
    assert facts["discount_pct"] == D("20.00")
    assert facts["lines"] == D(2)
    assert (facts["margin_pct"], facts["margin_drop_pct"]) == (None, None)
    assert facts["category"] is None  # two unrelated categories share no path


def test_a_price_below_cost_is_flagged_for_the_approver(price_list, sales):
    from crossdock.approvals.selectors import risk_flags

    product = factories.product(standard_cost=D("6.00"))
    item(price_list, product, "10.00")
    change = pricing.propose_price_changes(
        Actor.of(sales["rep"]), price_list.pk, [PriceLine(product.pk, D("5.00"))]
    )
    facts = pricing.change_facts(change)
    assert (facts["margin_pct"], facts["margin_drop_pct"]) == (D("-20.00"), D("60.00"))
    assert risk_flags(audit_ready(facts)) == ["Priced below standard cost"]
    pricing.revise_price_change(Actor.of(sales["rep"]), change.pk, [PriceLine(product.pk, D(7))])
    assert risk_flags(audit_ready(pricing.change_facts(change))) == []


def audit_ready(facts):
    from crossdock.core.audit import json_ready

    return json_ready(facts)


def test_changes_are_audited_in_their_company_and_a_draft_policy_can_be_simulated(
    price_list, company_a, sales
):
    from crossdock.approvals import selectors

    cut, rise = factories.product(), factories.product()
    item(price_list, cut, "10.00")
    item(price_list, rise, "10.00")
    rep = Actor.of(sales["rep"])
    deep = pricing.propose_price_changes(rep, price_list.pk, [PriceLine(cut.pk, D("8.00"))])
    pricing.propose_price_changes(rep, price_list.pk, [PriceLine(rise.pk, D("11.00"))])
    created = AuditEntry.objects.get(
        action="create", object_type="masterdata.pricelistchange", object_id=str(deep.pk)
    )
    assert created.company_id == company_a.pk
    draft = PolicyDraft(
        company_id=company_a.pk,
        document_type=PRICE_LIST_CHANGE,
        name="Simulated cuts",
        condition=BIG_CUT,
        levels=[LevelDraft(name="Sales manager", rule="role", role="sales-manager")],
    )
    result = selectors.simulate(
        draft, selectors.documents_since(PRICE_LIST_CHANGE, company_a.pk, 30)
    )
    assert result.documents == 2
    assert [m["id"] for m in result.matched] == [deep.pk]
    assert result.matched[0]["route"] == [{"level": "Sales manager", "approvers": ["boss"]}]
