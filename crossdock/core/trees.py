"""Helpers for self-referencing trees (locations, categories, companies)."""

from typing import Any

from django.db import models

MAX_DEPTH = 64


def ancestor_ids(model: type[models.Model], parent_id: Any) -> list[Any]:
    """The ids from ``parent_id`` up to the root, read from the database (not stale objects)."""
    chain: list[Any] = []
    current = parent_id
    while current is not None and len(chain) <= MAX_DEPTH:
        if current in chain:
            break
        chain.append(current)
        current = (
            model._default_manager.filter(pk=current).values_list("parent_id", flat=True).first()
        )
    return chain


def would_create_cycle(instance: models.Model) -> bool:
    """Whether giving ``instance`` its current ``parent_id`` puts it inside itself."""
    parent_id = getattr(instance, "parent_id", None)
    if instance.pk is None or parent_id is None:
        return False
    return instance.pk in ancestor_ids(type(instance), parent_id)


def parent_path(model: type[models.Model], parent_id: Any) -> str | None:
    """The stored path of the parent (fresh from the database)."""
    if parent_id is None:
        return None
    return model._default_manager.filter(pk=parent_id).values_list("path", flat=True).first()
