"""Accounting events: what integrations and later domains subscribe to."""

from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class JournalEntriesPosted(DomainEvent):
    """Journal entries of one company were posted (manual, automatic or reversals)."""

    name = "accounting.entries-posted"
    entry_ids: tuple[int, ...]


@dataclass(frozen=True)
class InvoiceChanged(DomainEvent):
    """An invoice, bill or credit note was created, updated, posted, cancelled or paid."""

    name = "accounting.invoice"
    invoice_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"accounting.invoice.{self.change}")


@dataclass(frozen=True)
class PaymentChanged(DomainEvent):
    """A payment was posted or allocated."""

    name = "accounting.payment"
    payment_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"accounting.payment.{self.change}")


@dataclass(frozen=True)
class DunningLettersDrafted(DomainEvent):
    """A dunning run drafted reminder letters to customers with invoices at a new level."""

    name = "accounting.dunning-letters.drafted"
    run_id: int
    letter_ids: tuple[int, ...]


@dataclass(frozen=True)
class DunningLetterSent(DomainEvent):
    """A reminder letter was sent to a customer (e-mailed when it has an address)."""

    name = "accounting.dunning-letter.sent"
    letter_id: int
    partner_id: int
    level: int
    email_to: str


@dataclass(frozen=True)
class DunningLetterCancelled(DomainEvent):
    """A draft reminder letter was cancelled; its invoices are back at their previous level."""

    name = "accounting.dunning-letter.cancelled"
    letter_id: int
