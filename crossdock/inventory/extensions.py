"""Extension points of the inventory screens, for the domains above inventory.

Dependencies point one way (``inventory ← accounting``), so a transfer's page cannot
ask accounting whether a delivery is invoiced. Instead a higher domain registers a
provider here (in its ``AppConfig.ready``); the page shows whatever actions the
providers return for the transfer and the user: a link, or a button that posts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TransferAction:
    label: str
    url: str
    method: str = "get"  # "get": a link; "post": a button posting to ``url``


TransferActions = Callable[[Any, Any], Iterable[TransferAction]]
_PROVIDERS: list[TransferActions] = []


def register_transfer_actions(provider: TransferActions) -> TransferActions:
    """Add ``provider(user, transfer)`` to the providers of a transfer page's actions."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def transfer_actions(user: Any, transfer: Any) -> list[TransferAction]:
    return [action for provider in _PROVIDERS for action in provider(user, transfer)]
