"""The approval condition language: stored as JSON, validated on save, never ``eval``-ed.

Design overview
---------------
A condition is a tree of plain JSON::

    {"all": [c, ...]}      every child holds (an empty list always holds)
    {"any": [c, ...]}      at least one child holds
    {"not": c}             the child does not hold
    {"field": "amount", "op": ">=", "value": "10000"}

Each document type declares its fields and their kinds (:class:`FieldKind`);
:func:`validate` checks that every leaf names a declared field, uses an
operator its kind allows and carries a value of the right type, and returns
messages naming the offending path. :func:`evaluate` interprets the tree over a
document's facts with ``Decimal`` arithmetic.

:func:`may_overlap` decides whether two conditions can both hold for one
document. Conditions are expanded into disjunctive normal form; each
conjunction narrows every field to an interval (numbers), a set of allowed
values (text, choices) or a truth value, and two conjunctions overlap when
every field they both constrain still has a common value. This is exact for the
language above, which is what lets the engine refuse ambiguous policies on save.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import product
from typing import Any

MAX_DEPTH = 12
MAX_DNF_TERMS = 512


class FieldKind(StrEnum):
    DECIMAL = "decimal"  # amounts, percentages, quantities
    TEXT = "text"  # codes, category paths
    CHOICE = "choice"  # one of a fixed set
    BOOLEAN = "boolean"


NUMBER_OPS = ("==", "!=", "<", "<=", ">", ">=")
TEXT_OPS = ("==", "!=", "in", "not in", "starts with")
BOOLEAN_OPS = ("==",)
OPERATORS = {
    FieldKind.DECIMAL: NUMBER_OPS,
    FieldKind.TEXT: TEXT_OPS,
    FieldKind.CHOICE: ("==", "!=", "in", "not in"),
    FieldKind.BOOLEAN: BOOLEAN_OPS,
}


@dataclass(frozen=True)
class FieldSpec:
    """A document field that conditions may test."""

    kind: FieldKind
    label: str
    choices: tuple[str, ...] = ()


class ConditionError(ValueError):
    pass


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool | float):
        raise ConditionError(f'{where}: use a decimal string such as "1000.00", not {value!r}.')
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ConditionError(f"{where}: {value!r} is not a number.") from exc
    if not number.is_finite():
        raise ConditionError(f"{where}: the number must be finite.")
    return number


def validate(
    condition: Any, fields: Mapping[str, FieldSpec], where: str = "condition"
) -> list[str]:
    """Every problem with ``condition`` (empty when valid)."""
    problems: list[str] = []
    _validate(condition, fields, where, 0, problems)
    return problems


def _validate(
    node: Any, fields: Mapping[str, FieldSpec], where: str, depth: int, problems: list[str]
) -> None:
    if depth > MAX_DEPTH:
        problems.append(f"{where}: nested too deeply (at most {MAX_DEPTH} levels).")
        return
    if not isinstance(node, dict) or len(node) == 0:
        problems.append(f"{where}: expected an object with all/any/not or field/op/value.")
        return
    if "all" in node or "any" in node:
        key = "all" if "all" in node else "any"
        if set(node) != {key} or not isinstance(node[key], list):
            problems.append(f"{where}: '{key}' takes a list and nothing else.")
            return
        for index, child in enumerate(node[key]):
            _validate(child, fields, f"{where}.{key}[{index}]", depth + 1, problems)
        return
    if "not" in node:
        if set(node) != {"not"}:
            problems.append(f"{where}: 'not' takes one condition and nothing else.")
            return
        _validate(node["not"], fields, f"{where}.not", depth + 1, problems)
        return
    if set(node) != {"field", "op", "value"}:
        problems.append(f"{where}: a test has exactly 'field', 'op' and 'value'.")
        return
    name, op, value = node["field"], node["op"], node["value"]
    spec = fields.get(name) if isinstance(name, str) else None
    if spec is None:
        known = ", ".join(sorted(fields))
        problems.append(f"{where}.field: unknown field {name!r}; this document has {known}.")
        return
    if op not in OPERATORS[spec.kind]:
        allowed = ", ".join(OPERATORS[spec.kind])
        problems.append(f"{where}.op: {op!r} does not apply to {name} (use {allowed}).")
        return
    try:
        _normalise_value(spec, op, value, f"{where}.value")
    except ConditionError as error:
        problems.append(str(error))


def _normalise_value(spec: FieldSpec, op: str, value: Any, where: str) -> Any:
    if op in ("in", "not in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{where}: '{op}' needs a non-empty list of values.")
        return frozenset(_normalise_value(spec, "==", v, where) for v in value)
    if spec.kind == FieldKind.DECIMAL:
        return _decimal(value, where)
    if spec.kind == FieldKind.BOOLEAN:
        if not isinstance(value, bool):
            raise ConditionError(f"{where}: expected true or false.")
        return value
    if not isinstance(value, str):
        raise ConditionError(f"{where}: expected text.")
    if spec.kind == FieldKind.CHOICE and value not in spec.choices:
        raise ConditionError(f"{where}: {value!r} is not one of {', '.join(spec.choices)}.")
    return value


def evaluate(
    condition: Mapping[str, Any], facts: Mapping[str, Any], fields: Mapping[str, FieldSpec]
) -> bool:
    """Whether ``condition`` holds for a document's ``facts`` (a missing fact never matches)."""
    if "all" in condition:
        return all(evaluate(c, facts, fields) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, facts, fields) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], facts, fields)
    name, op = condition["field"], condition["op"]
    spec = fields[name]
    actual = facts.get(name)
    if actual is None:
        return False
    expected = _normalise_value(spec, op, condition["value"], name)
    if spec.kind == FieldKind.DECIMAL:
        actual = Decimal(actual)
    return _compare(actual, op, expected)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    match op:
        case "==":
            return bool(actual == expected)
        case "!=":
            return bool(actual != expected)
        case "<":
            return bool(actual < expected)
        case "<=":
            return bool(actual <= expected)
        case ">":
            return bool(actual > expected)
        case ">=":
            return bool(actual >= expected)
        case "in":
            return actual in expected
        case "not in":
            return actual not in expected
        case "starts with":
            return str(actual) == expected or str(actual).startswith(expected.rstrip("/") + "/")
    raise ConditionError(f"unknown operator {op!r}")


# --- overlap ---------------------------------------------------------------------------


@dataclass
class _Interval:
    low: Decimal | None = None
    low_open: bool = False
    high: Decimal | None = None
    high_open: bool = False
    excluded: set[Decimal] = field(default_factory=set)

    def narrow(self, op: str, value: Decimal) -> None:
        if op == "==":
            self.narrow(">=", value)
            self.narrow("<=", value)
        elif op == "!=":
            self.excluded.add(value)
        elif op in (">", ">="):
            opened = op == ">"
            if self.low is None or value > self.low or (value == self.low and opened):
                self.low, self.low_open = value, opened
        elif op in ("<", "<="):
            opened = op == "<"
            if self.high is None or value < self.high or (value == self.high and opened):
                self.high, self.high_open = value, opened

    def empty(self) -> bool:
        if self.low is not None and self.high is not None:
            if self.low > self.high:
                return True
            if self.low == self.high:
                return self.low_open or self.high_open or self.low in self.excluded
        return False


@dataclass
class _Values:
    """Allowed values of a text/choice field: ``allowed`` (None = any) minus ``excluded``."""

    allowed: set[Any] | None = None
    excluded: set[Any] = field(default_factory=set)
    prefixes: list[str] = field(default_factory=list)

    def narrow(self, op: str, value: Any) -> None:
        if op == "==":
            self._allow({value})
        elif op == "in":
            self._allow(set(value))
        elif op == "!=":
            self.excluded.add(value)
        elif op == "not in":
            self.excluded |= set(value)
        elif op == "starts with":
            self.prefixes.append(value)

    def _allow(self, values: set[Any]) -> None:
        self.allowed = values if self.allowed is None else self.allowed & values

    def empty(self, spec: FieldSpec) -> bool:
        allowed = self.allowed
        if allowed is None and spec.kind == FieldKind.CHOICE:
            allowed = set(spec.choices)
        if allowed is None:
            return False  # an unbounded text field always has some other value
        remaining = {v for v in allowed - self.excluded if all(_under(v, p) for p in self.prefixes)}
        return not remaining


def _under(value: Any, prefix: str) -> bool:
    return str(value) == prefix or str(value).startswith(prefix.rstrip("/") + "/")


_NEGATED = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
    "in": "not in",
    "not in": "in",
}


def _dnf(node: Mapping[str, Any], negate: bool = False) -> list[list[dict[str, Any]]]:
    """Disjunctive normal form: a list of conjunctions of leaf tests."""
    if "not" in node:
        return _dnf(node["not"], not negate)
    if "all" in node or "any" in node:
        is_all = ("all" in node) != negate
        children = [_dnf(c, negate) for c in node.get("all", node.get("any", []))]
        if is_all:
            terms: list[list[dict[str, Any]]] = [[]]
            for child in children:
                terms = [a + b for a, b in product(terms, child)]
                if len(terms) > MAX_DNF_TERMS:
                    raise ConditionError("The condition is too complex to check for overlaps.")
            return terms
        return [term for child in children for term in child]
    leaf = dict(node)
    if negate:
        if leaf["op"] == "starts with":
            return [[{**leaf, "op": "not starts with"}]]
        if isinstance(leaf["value"], bool):
            return [[{**leaf, "value": not leaf["value"]}]]
        leaf["op"] = _NEGATED[leaf["op"]]
    return [[leaf]]


def _satisfiable(term: list[dict[str, Any]], fields: Mapping[str, FieldSpec]) -> bool:
    numbers: dict[str, _Interval] = {}
    values: dict[str, _Values] = {}
    booleans: dict[str, set[bool]] = {}
    for leaf in term:
        spec = fields[leaf["field"]]
        name, op = leaf["field"], leaf["op"]
        if op == "not starts with":
            continue  # conservatively satisfiable: other values exist outside any prefix
        value = _normalise_value(spec, op, leaf["value"], name)
        if spec.kind == FieldKind.DECIMAL:
            numbers.setdefault(name, _Interval()).narrow(op, value)
        elif spec.kind == FieldKind.BOOLEAN:
            booleans.setdefault(name, {True, False}).intersection_update({value})
        else:
            values.setdefault(name, _Values()).narrow(op, value)
    if any(interval.empty() for interval in numbers.values()):
        return False
    if any(not allowed for allowed in booleans.values()):
        return False
    return not any(v.empty(fields[name]) for name, v in values.items())


def may_overlap(
    first: Mapping[str, Any], second: Mapping[str, Any], fields: Mapping[str, FieldSpec]
) -> bool:
    """Whether some document could satisfy both conditions."""
    return any(_satisfiable(a + b, fields) for a, b in product(_dnf(first), _dnf(second)))


def satisfiable(condition: Mapping[str, Any], fields: Mapping[str, FieldSpec]) -> bool:
    """Whether any document at all could satisfy ``condition``."""
    return any(_satisfiable(term, fields) for term in _dnf(condition))
