"""Segregation-of-duties rules are checked against the audit trail at action time."""

import pytest

from crossdock.core import sod
from crossdock.core.context import Actor
from crossdock.core.errors import SegregationOfDutiesError
from crossdock.core.roles import Role
from tests import factories

RULE = sod.SodRule(
    code="TEST-CREATE-APPROVE",
    description="Whoever creates a partner must not approve it.",
    first_action="create",
    second_action="approve",
    first_permission="masterdata.add_partner",
    second_permission="masterdata.change_partner",
)


@pytest.fixture
def rule():
    sod.register_rule(RULE)
    yield RULE
    sod._rules.pop(RULE.code)


def test_same_user_cannot_do_both_sides(rule, company_a):
    buyer = factories.user(Role.BUYER, companies=[company_a])
    other = factories.user(Role.BUYER, companies=[company_a])
    from crossdock.core.records import create_record
    from crossdock.masterdata.models import Partner

    partner = create_record(
        Actor.of(buyer),
        Partner,
        {
            "company": company_a,
            "code": "S1",
            "name": "s",
            "is_supplier": True,
            "currency": company_a.base_currency,
        },
    )
    chain = [sod.ChainObject("masterdata.partner", str(partner.pk))]
    with pytest.raises(SegregationOfDutiesError, match="TEST-CREATE-APPROVE"):
        sod.check(Actor.of(buyer), "approve", chain)
    sod.check(Actor.of(other), "approve", chain)  # someone else may


def test_role_conflict_report_lists_users_with_both_permissions(rule, company_a):
    buyer = factories.user(Role.BUYER, companies=[company_a])
    clerk = factories.user(Role.AP_CLERK, companies=[company_a])
    found = [c for c in sod.role_conflicts([buyer, clerk]) if c.rule.code == RULE.code]
    assert [c.username for c in found] == [buyer.username]
