"""The condition language: validation messages, evaluation, and exact overlap detection."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossdock.approvals.conditions import (
    FieldKind,
    FieldSpec,
    evaluate,
    may_overlap,
    satisfiable,
    validate,
)

FIELDS = {
    "amount": FieldSpec(FieldKind.DECIMAL, "Amount"),
    "risk": FieldSpec(FieldKind.CHOICE, "Risk", ("low", "medium", "high")),
    "category": FieldSpec(FieldKind.TEXT, "Category"),
    "off_contract": FieldSpec(FieldKind.BOOLEAN, "Off contract"),
}


def test_validation_names_the_path_and_reason():
    problems = validate(
        {
            "all": [
                {"field": "amount", "op": ">=", "value": 1000.5},
                {"field": "colour", "op": "==", "value": "red"},
                {"field": "risk", "op": "==", "value": "extreme"},
                {"field": "off_contract", "op": ">", "value": True},
                {"any": "nope"},
            ]
        },
        FIELDS,
    )
    assert problems == [
        'condition.all[0].value: use a decimal string such as "1000.00", not 1000.5.',
        "condition.all[1].field: unknown field 'colour'; this document has amount, category, "
        "off_contract, risk.",
        "condition.all[2].value: 'extreme' is not one of low, medium, high.",
        "condition.all[3].op: '>' does not apply to off_contract (use ==).",
        "condition.all[4]: 'any' takes a list and nothing else.",
    ]


def test_evaluation_with_decimals_sets_prefixes_and_negation():
    condition = {
        "all": [
            {"field": "amount", "op": ">", "value": "10000"},
            {
                "any": [
                    {"field": "risk", "op": "in", "value": ["medium", "high"]},
                    {"field": "category", "op": "starts with", "value": "Food"},
                ]
            },
            {"not": {"field": "off_contract", "op": "==", "value": True}},
        ]
    }
    base = {
        "amount": Decimal("10000.01"),
        "risk": "low",
        "category": "Food/Dairy",
        "off_contract": False,
    }
    assert evaluate(condition, base, FIELDS)
    assert not evaluate(condition, {**base, "amount": Decimal("10000")}, FIELDS)
    assert not evaluate(condition, {**base, "category": "Foodstuff"}, FIELDS)
    assert evaluate(condition, {**base, "category": "Tools", "risk": "high"}, FIELDS)
    assert not evaluate(condition, {**base, "off_contract": True}, FIELDS)
    assert not evaluate(condition, {k: v for k, v in base.items() if k != "amount"}, FIELDS)


def above(value):
    return {"field": "amount", "op": ">=", "value": str(value)}


def below(value):
    return {"field": "amount", "op": "<", "value": str(value)}


def test_overlap_of_threshold_bands():
    assert not may_overlap(below(1000), above(1000), FIELDS)
    assert may_overlap({"all": [above(500), below(2000)]}, above(1000), FIELDS)
    assert not may_overlap(
        {"all": [above(0), {"field": "risk", "op": "==", "value": "high"}]},
        {"field": "risk", "op": "in", "value": ["low", "medium"]},
        FIELDS,
    )
    assert may_overlap({"not": above(1000)}, below(5), FIELDS)
    assert not satisfiable({"all": [above(10), below(10)]}, FIELDS)
    assert not satisfiable(
        {"all": [{"field": "risk", "op": "!=", "value": v} for v in ("low", "medium", "high")]},
        FIELDS,
    )


amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@given(threshold=amounts, other=amounts, value=amounts)
def test_overlap_agrees_with_evaluation(threshold, other, value):
    """If one document satisfies both conditions, may_overlap must say they overlap."""
    first, second = above(threshold), below(other)
    facts = {"amount": value}
    if evaluate(first, facts, FIELDS) and evaluate(second, facts, FIELDS):
        assert may_overlap(first, second, FIELDS)
    assert may_overlap(first, second, FIELDS) == (threshold < other)


@given(threshold=amounts, value=amounts)
def test_a_condition_and_its_negation_never_both_hold(threshold, value):
    condition = above(threshold)
    facts = {"amount": value}
    assert evaluate(condition, facts, FIELDS) != evaluate({"not": condition}, facts, FIELDS)
    assert not may_overlap(condition, {"not": condition}, FIELDS)


@pytest.mark.parametrize("bad", [[], "x", {"all": [], "any": []}, {"field": "amount"}])
def test_malformed_trees_are_refused(bad):
    assert validate(bad, FIELDS)
