"""What every inventory endpoint shares: error statuses, scope look-ups, small renderers."""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from crossdock.api.queries import require_permission
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError
from crossdock.inventory.models import Transfer

ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})


def actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def transfers_in_scope(user: Any, action: str = "view") -> Any:
    require_permission(user, Transfer, action)
    return Transfer.objects.restrict(user, action)


def transfer_in_scope(user: Any, pk: int, action: str = "view") -> Transfer:
    found = transfers_in_scope(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No transfer with id {pk}.")
    return found


def decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def reference_problem(name: str, message: str) -> DomainError:
    return DomainError(f"{name}: {message}", fields={name: [message]})
