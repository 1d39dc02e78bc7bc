"""Inventory REST endpoints: transfers and their actions, stock, ATP, valuation, lots, scans.

Endpoints are thin, like :mod:`crossdock.api.crud`: check the role permission
(403), find the rows within the user's companies and warehouses (404 when out
of scope), resolve the ids a client sends within that scope (422 naming the
field), call one service with the acting user, and render the result. The
services own transactions, locks and every business rule; their refusals
(unknown or expired lot, a serial already in stock, more decimals than the
unit allows, a location of another company…) arrive here as
:class:`~crossdock.core.errors.DomainError` and leave as problem+json.

Permissions: transfers need ``inventory.<action>_transfer`` (confirm, reserve,
validate and cancel are changes); stock and ATP ``view_quant``; stock value
``view_valuationlayer``; lot traces ``view_lot``; reading a scan
``view_transfer``; count sheets ``inventory.<action>_countsheet`` (start, counts,
submit and cancel are changes). Returns, dispatches, scrap and damage create transfers
(``add_transfer``); confirming an arrival is a change; putaway rules need
``*_putawayrule`` (:mod:`crossdock.inventory.api.flows`). Pick waves, packages,
shipping and delivery notes: :mod:`crossdock.inventory.api.fulfilment`.
"""

from ninja import Router

from crossdock.inventory.api import counts, flows, fulfilment, stock, transfers

router = Router()
router.add_router("", transfers.router)
router.add_router("", stock.router)
router.add_router("", counts.router)
router.add_router("", flows.router)
router.add_router("", fulfilment.router)

__all__ = ["router"]
