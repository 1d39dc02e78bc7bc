"""Inventory services: every stock change goes through these functions."""

from crossdock.inventory.services.reservation import reserve_moves, unreserve_move
from crossdock.inventory.services.transfers import (
    LineDraft,
    TransferDraft,
    cancel_transfer,
    confirm_transfer,
    create_transfer,
)
from crossdock.inventory.services.validation import DoneLine, validate_transfer

__all__ = [
    "DoneLine",
    "LineDraft",
    "TransferDraft",
    "cancel_transfer",
    "confirm_transfer",
    "create_transfer",
    "reserve_moves",
    "unreserve_move",
    "validate_transfer",
]
