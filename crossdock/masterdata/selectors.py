"""Read-side queries for master data."""

from __future__ import annotations

from typing import Any

from crossdock.core.permissions import Access
from crossdock.masterdata.models import UserAccess


def access_for_user(user: Any) -> Access:
    """Companies and warehouses ``user`` may see; no access row means none at all."""
    access = UserAccess.objects.filter(user=user).first()
    if access is None:
        return Access(frozenset(), frozenset())
    companies = frozenset(access.companies.values_list("pk", flat=True))
    warehouses = frozenset(access.warehouses.values_list("pk", flat=True))
    return Access(companies, warehouses or None)
