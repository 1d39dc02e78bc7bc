"""The sidebar: one entry per record type the user may view, grouped as a distributor thinks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.text import capfirst

from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.registry import BY_SLUG, RECORD_TYPES

NAV_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Organisation", ("companies", "warehouses", "locations")),
    ("Catalogue", ("products", "product-categories", "units", "unit-categories")),
    ("Partners", ("partners", "partner-bank-accounts")),
    ("Finance", ("currencies", "exchange-rates", "payment-terms")),
)
AUDIT_PERMISSION = "core.view_auditentry"


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url: str


@dataclass(frozen=True)
class NavGroup:
    label: str
    entries: tuple[NavEntry, ...]


def _groups() -> list[tuple[str, tuple[str, ...]]]:
    grouped = {slug for _, slugs in NAV_GROUPS for slug in slugs}
    rest = tuple(rt.slug for rt in RECORD_TYPES if rt.slug not in grouped)
    return [*NAV_GROUPS, ("Other", rest)] if rest else list(NAV_GROUPS)


def navigation_for(user: Any) -> list[NavGroup]:
    """The groups and entries ``user`` may open; empty groups are left out."""
    groups: list[NavGroup] = []
    for label, slugs in _groups():
        entries = tuple(
            NavEntry(
                slug,
                capfirst(BY_SLUG[slug].label_plural),
                reverse("web:record_list", args=[slug]),
            )
            for slug in slugs
            if slug in BY_SLUG and has_model_permission(user, BY_SLUG[slug].model, "view")
        )
        if entries:
            groups.append(NavGroup(label, entries))
    if user.is_authenticated and user.has_perm(AUDIT_PERMISSION):
        groups.append(
            NavGroup("Governance", (NavEntry("audit", "Audit trail", reverse("web:audit_list")),))
        )
    return groups
