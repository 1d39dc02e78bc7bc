"""Inventory services: every stock change goes through these functions."""

from crossdock.inventory.services.interwarehouse import (
    DispatchDraft,
    DispatchLine,
    confirm_arrival,
    dispatch_to_warehouse,
)
from crossdock.inventory.services.packing import PackageDraft, PackedItem, pack
from crossdock.inventory.services.putaway import (
    PutawayRuleDraft,
    delete_putaway_rule,
    save_putaway_rule,
)
from crossdock.inventory.services.reservation import reserve_moves, unreserve_move
from crossdock.inventory.services.returns import ReturnLine, return_transfer
from crossdock.inventory.services.scrap import ScrapDraft, ScrapLine, damage_stock, scrap_stock
from crossdock.inventory.services.shipping import plan_shipment, ship
from crossdock.inventory.services.transfers import (
    LineDraft,
    TransferDraft,
    cancel_transfer,
    confirm_transfer,
    create_transfer,
)
from crossdock.inventory.services.validation import DoneLine, validate_transfer
from crossdock.inventory.services.waves import (
    PickedLine,
    PickWaveDraft,
    cancel_pick_wave,
    complete_picking,
    create_pick_wave,
)

__all__ = [
    "DispatchDraft",
    "DispatchLine",
    "DoneLine",
    "LineDraft",
    "PackageDraft",
    "PackedItem",
    "PickWaveDraft",
    "PickedLine",
    "PutawayRuleDraft",
    "ReturnLine",
    "ScrapDraft",
    "ScrapLine",
    "TransferDraft",
    "cancel_pick_wave",
    "cancel_transfer",
    "complete_picking",
    "confirm_arrival",
    "confirm_transfer",
    "create_pick_wave",
    "create_transfer",
    "damage_stock",
    "delete_putaway_rule",
    "dispatch_to_warehouse",
    "pack",
    "plan_shipment",
    "reserve_moves",
    "return_transfer",
    "save_putaway_rule",
    "scrap_stock",
    "ship",
    "unreserve_move",
    "validate_transfer",
]
