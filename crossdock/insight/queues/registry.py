"""The exception-queue registry: the sources that feed the queues and the actions run from them.

Design overview
---------------
Every module feeds the queues through a *source*: a function decorated with
:func:`source` that looks at the documents set-based and returns what should be
open right now, as :class:`Wanted` items. A source never writes; the refresh
compares what it wants with the open items of its kind — it opens the new ones,
refreshes the ones still wanted and closes the ones whose cause is gone. So an
item closes itself when the cause is resolved, and a source stays a plain query
that can be tested on its own.

An item can carry a suggested *action*: the code of a function registered with
:func:`action`, the parameters it needs and a label that says what it will do
("Transfer 40 from Central, arrives Tue 8 Dec"). Running it from the queue calls
the owning module's service as the person who clicked, under the permission the
action names.

``key`` identifies the cause inside its kind (``"po-line:123"``), so the same
cause is one item across refreshes however often it is seen.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from crossdock.core.context import Actor

LOW, MEDIUM, HIGH = 1, 2, 3


@dataclass(frozen=True)
class Wanted:
    """One item a source wants open, with everything a person needs to act on it.

    ``context`` holds JSON-ready figures (Decimals as strings, dates as ISO text).
    ``since`` is when the cause began; the item's age counts from it.
    """

    key: str
    company_id: int
    title: str
    document_label: str
    document_url: str
    severity: int = MEDIUM
    owner_role: str = ""
    owner_id: int | None = None
    warehouse_id: int | None = None
    since: datetime.datetime | None = None
    context: dict[str, Any] = field(default_factory=dict)
    action: str = ""
    action_label: str = ""
    action_params: dict[str, Any] = field(default_factory=dict)


SourceFunction = Callable[[datetime.date, frozenset[int]], Iterable[Wanted]]
ActionFunction = Callable[[Actor, Any, dict[str, Any]], str]


@dataclass(frozen=True)
class Source:
    """A kind of exception: its queue, its label, the default owner and the function."""

    kind: str
    queue: str
    label: str
    owner_role: str
    function: SourceFunction
    description: str
    reads: str = ""  # a permission ("sales.view_salesorder") whose holders see the kind too


@dataclass(frozen=True)
class Action:
    """Something a person can run from an item; ``permission`` is checked before it runs."""

    code: str
    label: str
    permission: str
    function: ActionFunction


SOURCES: dict[str, Source] = {}
ACTIONS: dict[str, Action] = {}


def source(
    kind: str, *, queue: str, label: str, owner_role: str, reads: str = ""
) -> Callable[[SourceFunction], SourceFunction]:
    """Register ``function(today, company_ids)`` as the source of ``kind`` items in ``queue``.

    The function's docstring says what raises an item and what closes it. Whoever holds
    ``owner_role`` sees the kind's items; so does whoever holds the permission ``reads``
    (the right to read the documents the items are about), when given.
    """

    def register(function: SourceFunction) -> SourceFunction:
        if kind in SOURCES:
            raise ValueError(f"Exception kind {kind!r} is registered twice.")
        SOURCES[kind] = Source(
            kind=kind,
            queue=queue,
            label=label,
            owner_role=owner_role,
            function=function,
            description=(function.__doc__ or "").strip(),
            reads=reads,
        )
        return function

    return register


def action(code: str, *, label: str, permission: str) -> Callable[[ActionFunction], ActionFunction]:
    """Register ``function(actor, item, params) -> message`` as the action ``code``."""

    def register(function: ActionFunction) -> ActionFunction:
        if code in ACTIONS:
            raise ValueError(f"Queue action {code!r} is registered twice.")
        ACTIONS[code] = Action(code=code, label=label, permission=permission, function=function)
        return function

    return register
