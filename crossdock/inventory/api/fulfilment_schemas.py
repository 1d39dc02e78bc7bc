"""Request and response schemas of the fulfilment endpoints (waves, packages, shipping).

Quantities and weights are decimal strings (``"2.500"``); input refuses JSON
floats and more decimals than the stored scale (weights to the gram,
dimensions to the millimetre).
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from ninja import Field, Schema

from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.fields import QUANTITY_SCALE
from crossdock.inventory.api.schemas import MAX_LINES, DoneLineIn
from crossdock.inventory.models import PackageType, PickWaveState
from crossdock.inventory.models.fulfilment import DIMENSION_SCALE, WEIGHT_SCALE

if TYPE_CHECKING:
    Quantity = Decimal
    Weight = Decimal
    Dimension = Decimal
    WaveState = str
    Kind = str
else:
    Quantity = decimal_type(QUANTITY_SCALE)
    Weight = decimal_type(WEIGHT_SCALE)
    Dimension = decimal_type(DIMENSION_SCALE)
    WaveState = Literal[tuple(PickWaveState.values)]
    Kind = Literal[tuple(PackageType.values)]

Short = Annotated[Text, Field(max_length=60)]


class PickWaveIn(InputSchema):
    warehouse: Id
    transfers: list[Id] = Field(
        default_factory=list,
        max_length=MAX_LINES,
        description="Deliveries or picks with reserved stock; empty: every ready one "
        "(fully reserved, not in an open wave) of the warehouse, filtered below.",
    )
    carrier: Short = Field("", description="Only transfers planned for this carrier.")
    scheduled_until: datetime.date | None = Field(
        None, description="Only transfers scheduled on or before this day."
    )


class PickLineOut(Schema):
    move_line: int
    move: int
    transfer: int
    transfer_reference: str
    product: int
    sku: str
    name: str
    lot: str
    quantity: str
    unit: str


class PickStopOut(Schema):
    location: int
    location_path: str
    pick_sequence: int
    lines: list[PickLineOut]


class PickWaveOut(Schema):
    id: int
    reference: str
    state: str
    company: int
    warehouse: int
    carrier: str
    transfers: int = Field(description="How many transfers the wave groups.")
    created_by: int | None
    created_at: datetime.datetime
    done_at: datetime.datetime | None
    version: int


class PickWaveDetail(PickWaveOut):
    transfer_ids: list[int]
    stops: list[PickStopOut] = Field(description="The pick list: locations in walking order.")


class PickWavePage(Schema):
    items: list[PickWaveOut]
    next_cursor: str | None


class PickWaveParams(Schema):
    warehouse: QueryId | None = None
    state: WaveState | None = None
    ordering: Literal["-created_at", "created_at", "reference", "-reference"] | None = None
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=500)


class PickedLineIn(InputSchema):
    move_line: Id
    quantity: Quantity


class CompletePickingIn(InputSchema):
    lines: list[PickedLineIn] | None = Field(
        None,
        max_length=MAX_LINES,
        description="What was picked per move line; omitted: every reserved line in full.",
    )


class PackedItemIn(InputSchema):
    product: Id
    quantity: Quantity
    lot: Short = Field("", description="Lot or serial name.")


class PackageIn(InputSchema):
    number: Annotated[Text, Field(max_length=40)] = Field(
        "", description="The label's barcode; a new number is given when empty."
    )
    package_type: Kind = PackageType.BOX
    weight: Weight = Field(description="Gross weight in kg.")
    length: Dimension | None = Field(None, description="cm")
    width: Dimension | None = Field(None, description="cm")
    height: Dimension | None = Field(None, description="cm")
    contents: list[PackedItemIn] = Field(min_length=1, max_length=MAX_LINES)


class PackIn(InputSchema):
    packages: list[PackageIn] = Field(min_length=1, max_length=500)


class PackageContentOut(Schema):
    product: int
    sku: str
    lot: int | None
    lot_name: str
    quantity: str


class PackageOut(Schema):
    id: int
    number: str
    transfer: int
    transfer_reference: str
    package_type: str
    weight: str
    length: str | None
    width: str | None
    height: str | None
    contents: list[PackageContentOut]
    created_at: datetime.datetime


class PackagePage(Schema):
    items: list[PackageOut]
    total_weight: str | None = Field(None, description="Of a transfer's packages.")
    next_cursor: str | None


class PackageParams(Schema):
    number: Text | None = Field(None, max_length=40, description="The scanned number, exactly.")
    transfer: QueryId | None = None
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=500)


class TransferPackageParams(Schema):
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(100, ge=1, le=500)


class ShipIn(InputSchema):
    carrier: Short
    tracking_number: Short
    service_level: Short | None = None
    lines: list[DoneLineIn] | None = Field(
        None,
        max_length=MAX_LINES,
        description="What ships (never more than reserved); omitted: all that is reserved. "
        "The rest goes to a backorder.",
    )


class ShipmentOut(Schema):
    id: int
    transfer: int
    transfer_reference: str
    transfer_state: str
    partner: int | None
    carrier: str
    service_level: str
    tracking_number: str
    shipped_at: datetime.datetime | None
    packages: list[str]
    backorders: list[int]
