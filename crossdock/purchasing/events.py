"""Purchasing's domain events (past tense; webhooks subscribe to them)."""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class PurchaseOrderChanged(DomainEvent):
    """An order was created, submitted, approved, sent, confirmed, received, billed, revised
    or cancelled (``change`` says which; the event is named ``purchasing.order.<change>``)."""

    name = "purchasing.order"
    order_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"purchasing.order.{self.change}")


@dataclass(frozen=True)
class BillMatched(DomainEvent):
    """A vendor bill was matched against its order and receipts (``status`` says how)."""

    name = "purchasing.bill.matched"
    invoice_id: int
    status: str


@dataclass(frozen=True)
class PurchaseExceptionChanged(DomainEvent):
    """A purchasing exception was opened or closed (``purchasing.exception.<change>``)."""

    name = "purchasing.exception"
    exception_id: int
    kind: str
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"purchasing.exception.{self.change}")


@dataclass(frozen=True)
class RequisitionChanged(DomainEvent):
    """A requisition was created, changed, submitted, approved, rejected, ordered, sent for
    quotation or cancelled (``purchasing.requisition.<change>``)."""

    name = "purchasing.requisition"
    requisition_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"purchasing.requisition.{self.change}")


@dataclass(frozen=True)
class RfqChanged(DomainEvent):
    """An RFQ was created, sent, quoted, awarded or cancelled (``purchasing.rfq.<change>``)."""

    name = "purchasing.rfq"
    rfq_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"purchasing.rfq.{self.change}")
