"""Events reach in-process handlers inside the transaction; side effects wait for commit."""

from dataclasses import dataclass

import pytest
from django.db import transaction

from crossdock.core import events
from crossdock.core.models import OutboxEvent


@dataclass(frozen=True)
class SomethingHappened(events.DomainEvent):
    name = "test.something-happened"
    what: str


@pytest.fixture
def calls():
    seen: dict[str, list[str]] = {"inside": [], "after": []}

    def inside(event):
        seen["inside"].append(event.what)

    def after(event):
        seen["after"].append(event.what)

    events.subscribe(SomethingHappened)(inside)
    events.subscribe(SomethingHappened, after_commit=True)(after)
    yield seen
    events.unsubscribe(SomethingHappened, inside)
    events.unsubscribe(SomethingHappened, after)


@pytest.mark.django_db(transaction=True)
def test_handlers_run_and_outbox_stores_on_commit(calls):
    with transaction.atomic():
        events.publish(SomethingHappened("shipped", company_id=7))
        assert calls == {"inside": ["shipped"], "after": []}
    assert calls["after"] == ["shipped"]
    stored = OutboxEvent.objects.get()
    assert (stored.name, stored.company_id, stored.payload) == (
        "test.something-happened",
        7,
        {"what": "shipped"},
    )


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_has_no_side_effects_and_no_outbox_row(calls):
    class Boom(Exception):
        pass

    def cancel():
        with transaction.atomic():
            events.publish(SomethingHappened("cancelled"))
            raise Boom

    with pytest.raises(Boom):
        cancel()
    assert calls == {"inside": ["cancelled"], "after": []}
    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_a_bug():
    with pytest.raises(RuntimeError, match="inside a transaction"):
        events.publish(SomethingHappened("nowhere"))
