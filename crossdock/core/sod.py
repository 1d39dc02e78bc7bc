"""Segregation of duties: incompatible actions by one person on one document chain.

Domains register rules (``register_rule``) naming two actions that the same
user must not both perform on the same chain — create a purchase order and
approve it, receive goods and approve the bill for them. Services call
:func:`check` before acting; it looks in the audit trail for the conflicting
action by the same user on any document of the chain and raises
:class:`SegregationOfDutiesError` naming the conflict. :func:`role_conflicts`
reports users whose roles would let them perform both sides of a rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crossdock.core.context import Actor
from crossdock.core.errors import SegregationOfDutiesError
from crossdock.core.models import AuditEntry


@dataclass(frozen=True)
class SodRule:
    code: str
    description: str
    first_action: str  # audit action, e.g. "purchasing.purchaseorder.create"
    second_action: str
    first_permission: str  # Django permission needed for the first action
    second_permission: str


_rules: dict[str, SodRule] = {}


def register_rule(rule: SodRule) -> None:
    _rules[rule.code] = rule


def rules() -> list[SodRule]:
    return sorted(_rules.values(), key=lambda r: r.code)


@dataclass(frozen=True)
class ChainObject:
    object_type: str
    object_id: str


def check(actor: Actor, action: str, chain: Iterable[ChainObject]) -> None:
    """Refuse ``action`` if the actor already did an incompatible action on the chain."""
    if actor.user is None:
        return
    chain = list(chain)
    for rule in _rules.values():
        for mine, other in (
            (rule.first_action, rule.second_action),
            (rule.second_action, rule.first_action),
        ):
            if action != mine:
                continue
            for link in chain:
                done = AuditEntry.objects.filter(
                    actor_id=actor.user_id,
                    action=other,
                    object_type=link.object_type,
                    object_id=link.object_id,
                ).exists()
                if done:
                    raise SegregationOfDutiesError(
                        f"Segregation of duties ({rule.code}): you already performed "
                        f"'{other}' on {link.object_type} {link.object_id}; "
                        f"someone else must perform '{action}'. {rule.description}"
                    )


@dataclass(frozen=True)
class RoleConflict:
    username: str
    rule: SodRule


def role_conflicts(users: Iterable[object]) -> list[RoleConflict]:
    """Users whose permissions allow both sides of some rule."""
    found = []
    for user in users:
        for rule in rules():
            if user.has_perm(rule.first_permission) and user.has_perm(rule.second_permission):  # type: ignore[attr-defined]
                found.append(RoleConflict(user.get_username(), rule))  # type: ignore[attr-defined]
    return found
