"""Accounting events: what integrations and later domains subscribe to."""

from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class JournalEntriesPosted(DomainEvent):
    """Journal entries of one company were posted (manual, automatic or reversals)."""

    name = "accounting.entries-posted"
    entry_ids: tuple[int, ...]
