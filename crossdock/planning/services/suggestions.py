"""Acting on replenishment suggestions: approve, reject, change the quantity, convert.

Design overview
---------------
Every service here takes a list of suggestion ids and acts on all of them or on none:
the ids are checked first (each unknown or invisible id is named as ``ids[i]``), the rows
are locked in id order (:func:`lock_suggestions`, so two planners acting on overlapping
selections never deadlock) and each state change is audited and published as
:class:`~crossdock.planning.events.SuggestionChanged`.

States: a run writes *proposed* suggestions; a planner *approves* or *rejects* them (a
rejection needs a reason); an approved suggestion is *converted* into a document. A later
run *supersedes* what is still proposed. Converted and superseded suggestions are final.

:func:`convert_suggestions` turns approved suggestions into documents through the owning
domains' services, so their checks, numbering, approvals and audit apply unchanged:

- ``requisition``: one purchase requisition per receiving warehouse;
- ``rfq``: one RFQ per receiving warehouse, asking the suggested suppliers;
- ``purchase_order``: one purchase order per supplier and receiving warehouse (lines of the
  same product merged), at the catalogue price;
- ``transfer``: one inter-warehouse dispatch per source and destination warehouse.

A refusal of any document (a supplier's MOQ, a missing price, an inactive warehouse) is
raised naming the suggestions behind the offending line and nothing is converted.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError, refuse_if
from crossdock.core.fields import QUANTITY_SCALE
from crossdock.core.inputs import exact
from crossdock.core.permissions import require
from crossdock.planning.events import SuggestionChanged
from crossdock.planning.models import Suggestion, SuggestionAction, SuggestionState

MAX_IDS = 2000
MAX_REASON = 300
DOCUMENT_TYPES = ("requisition", "rfq", "purchase_order", "transfer")
BUY_DOCUMENTS = ("requisition", "rfq", "purchase_order")
_LINE = re.compile(r"^lines\[(\d+)\]")


@dataclass(frozen=True)
class QuantityChange:
    """A planner's new quantity for one suggestion (rounded up to the pack rules)."""

    suggestion_id: int
    quantity: Any


@dataclass(frozen=True)
class Conversion:
    """What a conversion created: the documents and, per document, the suggestions in it."""

    document_type: str
    documents: list[dict[str, Any]]


# -- reading, checking and locking ------------------------------------------------------------


def _wanted_ids(ids: Any) -> list[int]:
    """The ids as given (duplicates dropped), or a refusal naming what is wrong."""
    if not isinstance(ids, list | tuple) or not ids:
        raise DomainError("ids: Give a list of suggestion ids.", fields={"ids": ["Give a list."]})
    if len(ids) > MAX_IDS:
        raise DomainError(
            f"ids: At most {MAX_IDS} suggestions at once.",
            fields={"ids": [f"At most {MAX_IDS} suggestions at once."]},
        )
    problems: dict[str, list[str]] = {}
    for index, value in enumerate(ids):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            problems[f"ids[{index}]"] = ["Not a suggestion id."]
    refuse_if(problems)
    return list(dict.fromkeys(ids))


def lock_suggestions(actor: Actor, ids: Any, action: str = "change") -> list[Suggestion]:
    """Lock the suggestions (in id order) after checking the actor may ``action`` each one.

    Ids the actor cannot see are reported as not found, like unknown ones.
    """
    wanted = _wanted_ids(ids)
    rows = Suggestion.objects.filter(pk__in=wanted)
    if actor.user is not None:
        rows = Suggestion.objects.restrict(actor.user).filter(pk__in=wanted)
    visible = set(rows.values_list("pk", flat=True))
    missing = {
        f"ids[{index}]": [f"No suggestion with id {pk}."]
        for index, pk in enumerate(wanted)
        if pk not in visible
    }
    if missing:
        raise NotFoundError.of_fields(missing)
    locked = list(
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("product__base_unit", "warehouse", "source_warehouse", "supplier")
        .filter(pk__in=wanted)
        .order_by("pk")
    )
    for suggestion in locked:
        require(actor, suggestion, action)
    order = {pk: index for index, pk in enumerate(wanted)}
    locked.sort(key=lambda s: order[s.pk])
    return locked


def _label(suggestion: Suggestion) -> str:
    return f"Suggestion {suggestion.pk} ({suggestion.product.sku} at {suggestion.warehouse.code})"


def _require_states(
    suggestions: Sequence[Suggestion], wanted_ids: list[int], states: Sequence[str], doing: str
) -> None:
    index_of = {pk: index for index, pk in enumerate(wanted_ids)}
    problems = {
        f"ids[{index_of[s.pk]}]": [
            f"{_label(s)} is {s.get_state_display().lower()}; only "
            f"{' or '.join(SuggestionState(x).label.lower() for x in states)} suggestions "
            f"can be {doing}."
        ]
        for s in suggestions
        if s.state not in states
    }
    if problems:
        raise ConflictError.of_fields(problems)


def suggestion_picture(suggestion: Suggestion) -> dict[str, Any]:
    return audit.snapshot(suggestion)


def _save(
    actor: Actor,
    suggestions: Sequence[Suggestion],
    change: str,
    fields: list[str],
    apply: Callable[[Suggestion], None],
) -> None:
    """Apply ``apply`` to each row, write them in bulk, audit and publish each change."""
    before = {s.pk: suggestion_picture(s) for s in suggestions}
    now = timezone.now()
    for suggestion in suggestions:
        apply(suggestion)
        suggestion.version += 1
        suggestion.updated_at = now
    Suggestion.objects.bulk_update(
        list(suggestions), [*fields, "version", "updated_at"], batch_size=500
    )
    for suggestion in suggestions:
        audit.record(
            actor,
            audit.Change(
                f"planning.suggestion.{change}",
                suggestion,
                before[suggestion.pk],
                suggestion_picture(suggestion),
            ),
        )
        events.publish(SuggestionChanged(suggestion.pk, change, company_id=suggestion.company_id))


# -- deciding ---------------------------------------------------------------------------------


def approve_suggestions(actor: Actor, ids: Any) -> list[Suggestion]:
    """Approve proposed (or earlier rejected) suggestions."""
    wanted = _wanted_ids(ids)
    with transaction.atomic():
        suggestions = lock_suggestions(actor, wanted)
        _require_states(
            suggestions,
            wanted,
            (SuggestionState.PROPOSED, SuggestionState.REJECTED),
            "approved",
        )
        now = timezone.now()

        def approve(suggestion: Suggestion) -> None:
            suggestion.state = SuggestionState.APPROVED
            suggestion.decided_by = actor.user
            suggestion.decided_at = now
            suggestion.decision_note = ""

        _save(
            actor,
            suggestions,
            "approve",
            ["state", "decided_by", "decided_at", "decision_note"],
            approve,
        )
        return suggestions


def reject_suggestions(actor: Actor, ids: Any, reason: Any) -> list[Suggestion]:
    """Reject proposed or approved suggestions, saying why (the reason is kept)."""
    wanted = _wanted_ids(ids)
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise DomainError("reason: Say why.", fields={"reason": ["Say why."]})
    if len(text) > MAX_REASON:
        raise DomainError(
            f"reason: At most {MAX_REASON} characters.",
            fields={"reason": [f"At most {MAX_REASON} characters."]},
        )
    with transaction.atomic():
        suggestions = lock_suggestions(actor, wanted)
        _require_states(
            suggestions,
            wanted,
            (SuggestionState.PROPOSED, SuggestionState.APPROVED),
            "rejected",
        )
        now = timezone.now()

        def reject(suggestion: Suggestion) -> None:
            suggestion.state = SuggestionState.REJECTED
            suggestion.decided_by = actor.user
            suggestion.decided_at = now
            suggestion.decision_note = text

        _save(
            actor,
            suggestions,
            "reject",
            ["state", "decided_by", "decided_at", "decision_note"],
            reject,
        )
        return suggestions


def _up_to_unit(quantity: Decimal, places: int) -> Decimal:
    step = Decimal(1).scaleb(-places)
    return quantity.quantize(step, rounding=ROUND_CEILING)


def _rounded_quantities(suggestions: Sequence[Suggestion], given: dict[int, Decimal]) -> None:
    """Round each new quantity up to the unit, then (buys) to the supplier's MOQ and multiple."""
    from crossdock.purchasing.models import SupplierProduct

    buys = [s for s in suggestions if s.action == SuggestionAction.BUY and s.supplier_id]
    offers: dict[tuple[int, int | None, int], Any] = {
        (o.company_id, o.supplier_id, o.product_id): o
        for o in SupplierProduct.objects.filter(
            supplier_id__in={s.supplier_id for s in buys},
            product_id__in={s.product_id for s in buys},
            active=True,
        )
    }
    for suggestion in suggestions:
        quantity = _up_to_unit(given[suggestion.pk], suggestion.product.base_unit.decimal_places)
        offer = offers.get((suggestion.company_id, suggestion.supplier_id, suggestion.product_id))
        if suggestion.action == SuggestionAction.BUY and offer is not None:
            from crossdock.planning.policy import round_order_exact

            quantity = round_order_exact(
                quantity, offer.minimum_quantity, offer.order_multiple
            ).quantity
        given[suggestion.pk] = quantity


def change_quantities(actor: Actor, changes: Sequence[QuantityChange]) -> list[Suggestion]:
    """Set new quantities on proposed or approved suggestions, rounded up to the unit and,
    for purchases, to the supplier's minimum order quantity and order multiple."""
    problems: dict[str, list[str]] = {}
    if not changes:
        problems["changes"] = ["Give at least one suggestion and quantity."]
    elif len(changes) > MAX_IDS:
        problems["changes"] = [f"At most {MAX_IDS} suggestions at once."]
    refuse_if(problems)
    given: dict[int, Decimal] = {}
    ids = []
    for index, change in enumerate(changes):
        quantity = exact(
            change.quantity, QUANTITY_SCALE, f"changes[{index}].quantity", problems, positive=True
        )
        if change.suggestion_id in given:
            problems[f"changes[{index}].suggestion"] = ["Named twice."]
        if quantity is not None:
            given[change.suggestion_id] = quantity
        ids.append(change.suggestion_id)
    refuse_if(problems)
    with transaction.atomic():
        suggestions = lock_suggestions(actor, ids)
        _require_states(
            suggestions, ids, (SuggestionState.PROPOSED, SuggestionState.APPROVED), "changed"
        )
        _rounded_quantities(suggestions, given)

        def requantify(suggestion: Suggestion) -> None:
            suggestion.quantity = given[suggestion.pk]

        _save(actor, suggestions, "quantity", ["quantity"], requantify)
        return suggestions


# -- converting into documents ----------------------------------------------------------------


def _need_date(suggestion: Suggestion, today: datetime.date) -> datetime.date:
    return max(today, suggestion.arrives_on or today)


def _blamed(
    error: DomainError, groups: Sequence[Sequence[Suggestion]], index_of: dict[int, int]
) -> DomainError:
    """The document's refusal re-worded to name the suggestions behind the failing lines."""
    fields: dict[str, list[str]] = {}
    for name, messages in error.fields.items():
        match = _LINE.match(name)
        if match and int(match.group(1)) < len(groups):
            for suggestion in groups[int(match.group(1))]:
                fields[f"ids[{index_of[suggestion.pk]}]"] = [
                    f"{_label(suggestion)}: {m}" for m in messages
                ]
    if not fields:  # the document as a whole was refused (warehouse, supplier, date)
        for suggestion in (s for group in groups for s in group):
            fields[f"ids[{index_of[suggestion.pk]}]"] = [f"{_label(suggestion)}: {error.message}"]
    first = next(iter(fields.values()))[0]
    return type(error)(first, fields=fields, code=error.code)


def _merged(suggestions: Sequence[Suggestion]) -> list[list[Suggestion]]:
    """Suggestions grouped by product, in the order first seen (one document line each)."""
    by_product: dict[int, list[Suggestion]] = {}
    for suggestion in suggestions:
        by_product.setdefault(suggestion.product_id, []).append(suggestion)
    return list(by_product.values())


def _total(group: Sequence[Suggestion]) -> Decimal:
    return sum((s.quantity for s in group), Decimal(0))


def _to_requisition(actor: Actor, suggestions: Sequence[Suggestion], today: datetime.date) -> Any:
    from crossdock.purchasing.services.sourcing import (
        RequisitionDraft,
        RequisitionLineDraft,
        create_requisition,
    )

    groups = _merged(suggestions)
    draft = RequisitionDraft(
        warehouse_id=suggestions[0].warehouse_id,
        needed_by=min(_need_date(s, today) for s in suggestions),
        lines=[
            RequisitionLineDraft(g[0].product_id, _total(g), note=_note(g)[:200]) for g in groups
        ],
        note="From replenishment suggestions",
    )
    return groups, lambda: create_requisition(actor, draft)


def _to_rfq(actor: Actor, suggestions: Sequence[Suggestion], today: datetime.date) -> Any:
    from crossdock.purchasing.services.sourcing import RfqDraft, RfqLineDraft, create_rfq

    groups = _merged(suggestions)
    draft = RfqDraft(
        warehouse_id=suggestions[0].warehouse_id,
        supplier_ids=list(dict.fromkeys(s.supplier_id for s in suggestions if s.supplier_id)),
        needed_by=min(_need_date(s, today) for s in suggestions),
        lines=[
            RfqLineDraft(g[0].product_id, _total(g), min(_need_date(s, today) for s in g))
            for g in groups
        ],
        note="From replenishment suggestions",
    )
    return groups, lambda: create_rfq(actor, draft)


def _to_purchase_order(
    actor: Actor, suggestions: Sequence[Suggestion], today: datetime.date
) -> Any:
    from crossdock.purchasing.services.orders import (
        OrderDraft,
        OrderLineDraft,
        create_purchase_order,
    )

    groups = _merged(suggestions)
    lines = [
        OrderLineDraft(
            g[0].product_id,
            _total(g),
            expected_date=min(_need_date(s, today) for s in g),
        )
        for g in groups
    ]
    draft = OrderDraft(
        supplier_id=suggestions[0].supplier_id or 0,
        warehouse_id=suggestions[0].warehouse_id,
        lines=lines,
        order_date=today,
        expected_date=min(line.expected_date or today for line in lines),
        note="From replenishment suggestions",
    )
    return groups, lambda: create_purchase_order(actor, draft)


def _to_transfer(actor: Actor, suggestions: Sequence[Suggestion], today: datetime.date) -> Any:
    from crossdock.inventory.services.interwarehouse import (
        DispatchDraft,
        DispatchLine,
        dispatch_to_warehouse,
    )

    groups = _merged(suggestions)
    first = suggestions[0]
    draft = DispatchDraft(
        from_warehouse_id=first.source_warehouse_id or 0,
        to_warehouse_id=first.warehouse_id,
        lines=[DispatchLine(g[0].product_id, _total(g)) for g in groups],
        expected_on=min(_need_date(s, today) for s in suggestions),
        origin="Replenishment",
    )
    return groups, lambda: dispatch_to_warehouse(actor, draft)


def _note(group: Sequence[Suggestion]) -> str:
    return "Suggestion " + ", ".join(str(s.pk) for s in group)


_BUILDERS = {
    "requisition": _to_requisition,
    "rfq": _to_rfq,
    "purchase_order": _to_purchase_order,
    "transfer": _to_transfer,
}


def _document_key(into: str, suggestion: Suggestion) -> tuple[int, ...]:
    if into == "purchase_order":
        return (suggestion.supplier_id or 0, suggestion.warehouse_id)
    if into == "transfer":
        return (suggestion.source_warehouse_id or 0, suggestion.warehouse_id)
    return (suggestion.warehouse_id,)


def _check_convertible(suggestions: Sequence[Suggestion], wanted: list[int], into: str) -> None:
    _require_states(suggestions, wanted, (SuggestionState.APPROVED,), "converted")
    index_of = {pk: index for index, pk in enumerate(wanted)}
    problems: dict[str, list[str]] = {}
    for suggestion in suggestions:
        where = f"ids[{index_of[suggestion.pk]}]"
        if into == "transfer" and suggestion.action != SuggestionAction.TRANSFER:
            problems[where] = [f"{_label(suggestion)} is a purchase; it cannot become a transfer."]
        elif into in BUY_DOCUMENTS and suggestion.action != SuggestionAction.BUY:
            problems[where] = [f"{_label(suggestion)} is a transfer; convert it into a transfer."]
        elif into in ("rfq", "purchase_order") and suggestion.supplier_id is None:
            problems[where] = [
                f"{_label(suggestion)} has no supplier; convert it into a requisition."
            ]
    refuse_if(problems)


def convert_suggestions(actor: Actor, ids: Any, into: Any) -> Conversion:
    """Turn approved suggestions into requisitions, RFQs, purchase orders or transfers.

    All or nothing: when any document is refused, the refusal names the suggestions behind
    it and no document is created and no suggestion changes.
    """
    if into not in DOCUMENT_TYPES:
        raise DomainError(
            f"into: Choose one of {', '.join(DOCUMENT_TYPES)}.",
            fields={"into": [f"Choose one of {', '.join(DOCUMENT_TYPES)}."]},
        )
    wanted = _wanted_ids(ids)
    index_of = {pk: index for index, pk in enumerate(wanted)}
    today = timezone.localdate()
    with transaction.atomic():
        suggestions = lock_suggestions(actor, wanted)
        _check_convertible(suggestions, wanted, into)
        batches: dict[tuple[int, ...], list[Suggestion]] = defaultdict(list)
        for suggestion in suggestions:
            batches[_document_key(into, suggestion)].append(suggestion)
        documents = []
        made: dict[int, Any] = {}
        for batch in batches.values():
            groups, create = _BUILDERS[into](actor, batch, today)
            try:
                document = create()
            except DomainError as error:
                raise _blamed(error, groups, index_of) from error
            documents.append(
                {
                    "type": into,
                    "id": document.pk,
                    "reference": document.reference,
                    "suggestions": [s.pk for s in batch],
                }
            )
            for suggestion in batch:
                made[suggestion.pk] = document

        def convert(suggestion: Suggestion) -> None:
            document = made[suggestion.pk]
            suggestion.state = SuggestionState.CONVERTED
            suggestion.document_type = into
            suggestion.document_id = document.pk
            suggestion.document_reference = document.reference[:40]

        _save(
            actor,
            suggestions,
            "convert",
            ["state", "document_type", "document_id", "document_reference"],
            convert,
        )
        return Conversion(into, documents)
