"""Request and response schemas of the inventory endpoints.

Quantities and money are decimal strings (``"12.50"``), as everywhere in the API;
input refuses JSON floats and more decimals than the stored scale.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from ninja import Field, Schema
from pydantic import AwareDatetime

from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.fields import PRICE_SCALE, QUANTITY_SCALE
from crossdock.inventory.models import AbcClass, CountScope, CountState, MoveState, TransferKind

MAX_LINES = 10_000
MAX_PRODUCTS = 500

if TYPE_CHECKING:  # built at run time for pydantic; plain types for mypy
    Quantity = Decimal
    Price = Decimal
    Kind = str
    State = str
else:
    Quantity = decimal_type(QUANTITY_SCALE)
    Price = decimal_type(PRICE_SCALE)
    Kind = Literal[tuple(TransferKind.values)]
    State = Literal[tuple(MoveState.values)]


class LineOut(Schema):
    id: int
    source: int
    source_path: str
    destination: int
    lot: int | None
    lot_name: str
    quantity: str
    done: bool
    done_at: datetime.datetime | None


class MoveOut(Schema):
    id: int
    product: int
    sku: str
    quantity: str = Field(description="In the product's base unit.")
    state: str
    source: int
    destination: int
    lot: int | None
    unit_cost: str | None
    scheduled_at: datetime.datetime
    done_at: datetime.datetime | None
    lines: list[LineOut]


class TransferOut(Schema):
    id: int
    reference: str
    kind: str
    state: str
    company: int
    warehouse: int
    source: int
    destination: int
    partner: int | None
    scheduled_at: datetime.datetime
    done_at: datetime.datetime | None
    origin: str
    priority: int
    promised_on: datetime.date | None
    backorder_of: int | None
    returned_from: int | None
    version: int


class TransferDetail(TransferOut):
    moves: list[MoveOut]
    backorders: list[int] = Field(description="Transfers holding what was not done.")


class TransferPage(Schema):
    items: list[TransferOut]
    next_cursor: str | None


class TransferListParams(Schema):
    kind: Kind | None = None
    state: State | None = None
    warehouse: QueryId | None = None
    q: Text | None = Field(None, max_length=100, description="Reference contains.")
    ordering: Literal["-scheduled_at", "scheduled_at", "reference", "-reference"] | None = None
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=500)


class TransferLineIn(InputSchema):
    product: Id
    quantity: Quantity = Field(description="In the product's base unit.")
    lot: Id | None = Field(None, description="Only this lot (deliveries).")
    unit_cost: Price | None = Field(None, description="Receipts: the purchase price per unit.")


class TransferIn(InputSchema):
    warehouse: Id
    kind: Kind
    source: Id = Field(description="Location id.")
    destination: Id = Field(description="Location id.")
    partner: Id | None = None
    scheduled_at: AwareDatetime | None = None
    promised_on: datetime.date | None = None
    origin: Annotated[Text, Field(max_length=100)] = ""
    priority: int = Field(50, strict=True, ge=0, le=32767, description="Lower is served first.")
    lines: list[TransferLineIn] = Field(min_length=1, max_length=MAX_LINES)


class DoneLineIn(InputSchema):
    move: Id
    quantity: Quantity
    lot: Annotated[Text, Field(max_length=60)] = ""
    serial: Annotated[Text, Field(max_length=60)] = ""
    expires_on: datetime.date | None = Field(None, description="Receipts: a new lot's expiry.")


class ValidateIn(InputSchema):
    lines: list[DoneLineIn] | None = Field(
        None,
        max_length=MAX_LINES,
        description="What was really done; omitted: everything. The rest goes to a backorder.",
    )


class StockParams(Schema):
    product: QueryId | None = None
    warehouse: QueryId | None = None
    location: QueryId | None = Field(None, description="This location and those inside it.")
    lot: QueryId | None = None
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=500)


class StockOut(Schema):
    id: int
    product: int
    sku: str
    product_name: str
    location: int
    location_path: str
    location_kind: str
    warehouse: int | None
    lot: int | None
    lot_name: str
    expires_on: datetime.date | None
    quantity: str
    reserved: str
    available: str


class StockPage(Schema):
    items: list[StockOut]
    next_cursor: str | None


class AvailabilityParams(Schema):
    products: Text = Field(max_length=5000, description="Product ids, comma-separated.")
    warehouses: Text | None = Field(None, max_length=2000, description="Warehouse ids.")
    group_by: Literal["warehouse", "region", "group"] = "warehouse"
    quantity: Quantity | None = Field(None, description="Find the earliest date for this.")


class Dated(Schema):
    date: datetime.date
    quantity: str


class AvailabilityOut(Schema):
    product: int
    sku: str
    scope: str = Field(description="Warehouse code, region, or 'group'.")
    on_hand: str
    reserved: str
    available_now: str
    in_transit: str = Field(description="Dispatched here by another warehouse, not arrived yet.")
    incoming: list[Dated]
    outgoing: list[Dated]
    earliest_date: datetime.date | None = Field(
        description="When ?quantity= can be promised; null if nothing planned covers it."
    )


class AvailabilityList(Schema):
    items: list[AvailabilityOut]


class ValuationParams(Schema):
    company: QueryId
    as_of: datetime.date | None = Field(None, description="End of this day; default now.")
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(500, ge=1, le=5000)


class ValuationOut(Schema):
    product: int
    sku: str
    name: str
    quantity: str
    value: str


class ValuationPage(Schema):
    company: int
    currency: str
    as_of: datetime.datetime | None
    total_value: str = Field(description="Over all products, not only this page.")
    products: int
    items: list[ValuationOut]
    next_cursor: str | None


class TraceStepOut(Schema):
    done_at: datetime.datetime | None
    reference: str
    transfer: int | None
    kind: str
    source: str
    destination: str
    quantity: str


class LotOut(Schema):
    id: int
    name: str
    product: int
    sku: str
    expires_on: datetime.date | None


class LotTrace(Schema):
    lot: LotOut
    steps: list[TraceStepOut]
    stock: list[StockOut]


class ScanIn(InputSchema):
    barcode: Annotated[Text, Field(min_length=1, max_length=500)] = Field(
        description="What the scanner sent: GS1 element string (GS as \\u001d), bracketed "
        "text, Digital Link URI, GTIN, location barcode, lot or serial."
    )
    transfer: Id | None = Field(None, description="Match against this transfer's moves.")


class ScanOut(Schema):
    kind: str
    symbology: str
    gtin: str | None
    lot: str
    serial: str
    expires_on: datetime.date | None
    count: str | None = Field(description="AI 30 or 37.")
    sscc: str | None
    elements: dict[str, str] = Field(description="AI → value.")
    product: int | None
    sku: str | None
    location: int | None
    location_path: str | None
    matched_lot: int | None
    quantity: str | None = Field(description="In the product's base unit (pack × count).")
    move: int | None
    problem: str


# -- cycle counts ---------------------------------------------------------------------------

if TYPE_CHECKING:
    CountStateName = str
    CountScopeName = str
    AbcClassName = str
else:
    CountStateName = Literal[tuple(CountState.values)]
    CountScopeName = Literal[tuple(CountScope.values)]
    AbcClassName = Literal[tuple(AbcClass.values)]

HIDDEN_DOC = "Null while the sheet is blind and not submitted yet."


class CountLineOut(Schema):
    id: int
    product: int
    sku: str
    location: int
    location_path: str
    lot: int | None
    lot_name: str
    expected: str | None = Field(description=f"On hand at the start. {HIDDEN_DOC}")
    moved: str | None = Field(description=f"Net moved in since the start. {HIDDEN_DOC}")
    difference: str | None = Field(description=f"Counted − (expected + moved). {HIDDEN_DOC}")
    counted: str | None
    counted_by: int | None
    counted_at: datetime.datetime | None
    added: bool = Field(description="Found by a counter, not on the sheet at the start.")


class CountSheetOut(Schema):
    id: int
    reference: str
    state: str
    company: int
    warehouse: int
    scope: str
    locations: list[int]
    abc_class: str
    blind: bool
    shows_expected: bool
    note: str
    created_by: int | None
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    submitted_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    adjustment: int | None = Field(description="The stock adjustment (transfer) booking it.")
    version: int


class CountSheetDetail(CountSheetOut):
    lines: list[CountLineOut]
    approval_request: int | None = Field(description="The adjustment's approval request.")


class CountSheetPage(Schema):
    items: list[CountSheetOut]
    next_cursor: str | None


class CountSheetListParams(Schema):
    state: CountStateName | None = None
    warehouse: QueryId | None = None
    q: Text | None = Field(None, max_length=100, description="Reference contains.")
    ordering: Literal["-created_at", "created_at", "reference", "-reference"] | None = None
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=500)


class CountSheetIn(InputSchema):
    warehouse: Id
    scope: CountScopeName
    locations: list[Id] = Field(
        default_factory=list, max_length=500, description="By location: these and below."
    )
    abc_class: AbcClassName | Literal[""] = ""
    blind: bool = False
    note: Annotated[Text, Field(max_length=200)] = ""


class CountEntryIn(InputSchema):
    product: Id
    location: Id
    quantity: Quantity = Field(description="Counted, in the product's base unit.")
    lot: Annotated[Text, Field(max_length=60)] = Field("", description="Lot or serial name.")
    add: bool = Field(False, description="Add to what was counted so far instead of replacing.")


class CountEntriesIn(InputSchema):
    entries: list[CountEntryIn] = Field(min_length=1, max_length=MAX_LINES)


# -- stock flows: returns, dispatches, arrivals, scrap, damage, putaway rules ---------------


class ReturnLineIn(InputSchema):
    move: Id = Field(description="A done move of the transfer being returned.")
    quantity: Quantity
    lot: Id | None = Field(None, description="Which lot or serial, when the move had several.")


class ReturnIn(InputSchema):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=MAX_LINES)
    location: Id | None = Field(
        None,
        description="Receipt: where the goods are taken from; delivery: where they come back "
        "to (e.g. quality hold). Default: where they were received, or left from.",
    )
    reason: Annotated[Text, Field(max_length=100)] = ""


class DispatchLineIn(InputSchema):
    product: Id
    quantity: Quantity
    lot: Id | None = None
    transfer_price: Price | None = Field(
        None, description="Between companies: the unit price; default the standard cost."
    )


class DispatchIn(InputSchema):
    from_warehouse: Id
    to_warehouse: Id = Field(description="Any active warehouse of the group.")
    expected_on: datetime.date | None = Field(None, description="Expected arrival date.")
    source: Id | None = Field(None, description="Default: the sending stock location.")
    destination: Id | None = Field(None, description="Default: the receiving stock location.")
    origin: Annotated[Text, Field(max_length=100)] = ""
    lines: list[DispatchLineIn] = Field(min_length=1, max_length=MAX_LINES)


class ArrivalIn(ValidateIn):
    location: Id | None = Field(None, description="Another stock location to receive into.")


class ScrapLineIn(InputSchema):
    product: Id
    quantity: Quantity
    lot: Id | None = None


class ScrapIn(InputSchema):
    warehouse: Id
    location: Id = Field(description="Where the stock is now.")
    reason: Annotated[Text, Field(min_length=1, max_length=100)]
    lines: list[ScrapLineIn] = Field(min_length=1, max_length=MAX_LINES)


class PutawayRuleIn(InputSchema):
    warehouse: Id
    location: Id
    product: Id | None = None
    category: Id | None = None
    sequence: int = Field(10, strict=True, ge=0, le=1_000_000)


class PutawayRuleOut(Schema):
    id: int
    warehouse: int
    location: int
    location_path: str
    product: int | None
    category: int | None
    sequence: int
    version: int


class PutawayRulePage(Schema):
    items: list[PutawayRuleOut]
    next_cursor: str | None


class PutawayRuleParams(Schema):
    warehouse: QueryId | None = None
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=500)
