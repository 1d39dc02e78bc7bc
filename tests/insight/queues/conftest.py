"""Exception-queue fixtures: refresh all kinds, read the open item of a kind, count events."""

from __future__ import annotations

import pytest

from crossdock.core.models import OutboxEvent
from crossdock.insight.models import ExceptionItem
from crossdock.insight.queues.services import refresh_queues


def refresh(*kinds: str):
    """Refresh the named kinds (all when none) today."""
    return refresh_queues(kinds=list(kinds) or None)


def open_items(kind: str) -> list[ExceptionItem]:
    return list(ExceptionItem.objects.filter(kind=kind, closed_at__isnull=True).order_by("pk"))


def the_open_item(kind: str) -> ExceptionItem:
    items = open_items(kind)
    assert len(items) == 1, [(i.kind, i.key, i.title) for i in items]
    return items[0]


def events(name: str, item: ExceptionItem) -> int:
    return sum(
        1 for e in OutboxEvent.objects.filter(name=name) if e.payload.get("item_id") == item.pk
    )


def assert_closed_by_refresh(item: ExceptionItem, *kinds: str) -> None:
    """Refresh and check the item closed as resolved, with its closing event."""
    refresh(*(kinds or (item.kind,)))
    item.refresh_from_db()
    assert (item.closed_at is not None, item.close_reason) == (True, "resolved")
    assert events("insight.exception.closed", item) == 1
    assert open_items(item.kind) == []


@pytest.fixture
def buying(warehouse_a):
    from tests.purchasing.conftest import Buying

    return Buying(warehouse_a)
