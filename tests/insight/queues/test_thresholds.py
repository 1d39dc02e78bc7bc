"""Per-company queue thresholds: the service (checks, versions, audit), the refresh reading
each company's values once, the API and the settings screen."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, StaleVersionError
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.insight.models import QueueThresholds
from crossdock.insight.queues.company_thresholds import update_queue_thresholds
from crossdock.insight.queues.thresholds import threshold
from tests import factories
from tests.api.conftest import ApiClient
from tests.insight.queues.conftest import open_items, refresh
from tests.inventory.conftest import Site

AUDITED = "insight.queuethresholds"


@pytest.fixture
def controller(company_a):
    return Actor.of(factories.user(Role.CONTROLLER, companies=[company_a]))


def _nothing_saved(company) -> bool:
    return (
        not QueueThresholds.objects.filter(company=company).exists()
        and not AuditEntry.objects.filter(object_type=AUDITED).exists()
    )


def test_a_company_sets_its_own_values_versioned_and_audited(controller, company_a, company_b):
    row = update_queue_thresholds(
        controller, company_a.pk, {"return_open_days": 21, "high_after_days": "10"}
    )
    assert (row.version, row.values) == (1, {"high_after_days": 10, "return_open_days": 21})
    assert threshold("return_open_days", company_a.pk) == 21
    assert threshold("return_open_days", company_b.pk) == 14  # the default
    assert AuditEntry.objects.filter(object_type=AUDITED).count() == 1

    row = update_queue_thresholds(
        controller, company_a.pk, {"return_open_days": None}, expected_version=1
    )
    assert (row.version, row.values) == (2, {"high_after_days": 10})
    assert threshold("return_open_days", company_a.pk) == 14

    with pytest.raises(StaleVersionError):
        update_queue_thresholds(
            controller, company_a.pk, {"high_after_days": 9}, expected_version=1
        )
    assert QueueThresholds.objects.get(company=company_a).values == {"high_after_days": 10}


def test_bad_values_are_refused_each_by_name_and_nothing_is_saved(controller, company_a):
    with pytest.raises(DomainError) as refused:
        update_queue_thresholds(
            controller,
            company_a.pk,
            {"colour_days": 3, "return_open_days": -1, "high_after_days": 2.5, "x": True},
        )
    assert refused.value.fields == {
        "colour_days": ["Not a queue threshold."],
        "return_open_days": ["A whole number from 0 to 100000."],
        "high_after_days": ["A whole number from 0 to 100000."],
        "x": ["Not a queue threshold."],
    }
    with pytest.raises(DomainError) as crossed:
        update_queue_thresholds(controller, company_a.pk, {"medium_after_days": 9})
    assert crossed.value.fields == {"high_after_days": ["At least medium_after_days (9)."]}
    assert _nothing_saved(company_a)


def test_the_refresh_applies_each_companys_values_reading_them_once(
    controller, warehouse_a, warehouse_b, company_a
):
    for warehouse in (warehouse_a, warehouse_b):
        Site(warehouse).deliver(factories.product(), "5")  # due today, no stock
    # company A: a shipment is blocked only two days after its date
    update_queue_thresholds(controller, company_a.pk, {"blocked_shipment_days": 2})

    with CaptureQueriesContext(connection) as queries:
        refresh()

    assert [item.warehouse_id for item in open_items("blocked_shipment")] == [warehouse_b.pk]
    reads = [q for q in queries.captured_queries if "insight_queuethresholds" in q["sql"]]
    assert len(reads) == 1


def test_the_api_reads_and_changes_a_companys_thresholds(company_a, company_b):
    api = ApiClient(factories.user(Role.CONTROLLER, companies=[company_a]))
    url = f"queue-thresholds/{company_a.pk}"
    got = api.get(url)
    assert (got.status_code, got["ETag"]) == (200, '"0"')
    assert got.json()["values"]["return_open_days"] == 14
    assert (got.json()["own"], got.json()["saved"]) == ([], False)

    patched = api.patch(url, {"return_open_days": 30}, HTTP_IF_MATCH='"0"')
    assert (patched.status_code, patched["ETag"]) == (200, '"1"')
    assert patched.json()["values"]["return_open_days"] == 30
    assert patched.json()["own"] == ["return_open_days"]

    stale = api.patch(url, {"return_open_days": 31}, HTTP_IF_MATCH='"0"')
    assert stale.status_code == 412
    for body, named in [
        ({"nonsense": 1}, ["nonsense"]),
        ({"return_open_days": -3, "high_after_days": 1.5}, ["high_after_days"]),
        ({"return_open_days": -3, "version": 1}, ["return_open_days"]),
    ]:
        bad = api.patch(url, body)
        assert (bad.status_code, sorted(bad.json()["errors"])) == (422, named), body
    assert QueueThresholds.objects.get(company=company_a).values == {"return_open_days": 30}

    assert api.get(f"queue-thresholds/{company_b.pk}").status_code == 404
    reader = ApiClient(factories.user(Role.BUYER, companies=[company_a]))
    assert reader.get(url).status_code == 200
    assert reader.patch(url, {"return_open_days": 1}).status_code == 403
    assert QueueThresholds.objects.get(company=company_a).version == 1


def test_the_settings_screen_saves_and_names_bad_fields(company_a):
    client = Client()
    client.force_login(factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a]))
    url = f"/insight/queues/thresholds/?company={company_a.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="blocked_shipment_days"' in page.content.decode()
    assert 'placeholder="0"' in page.content.decode()

    refused = client.post(url, {"company": company_a.pk, "version": "0", "return_open_days": "-2"})
    assert refused.status_code == 422
    assert 'data-field="return_open_days">A whole number from 0 to 100000.' in (
        refused.content.decode()
    )
    assert not QueueThresholds.objects.filter(company=company_a).exists()

    saved = client.post(
        url,
        {"company": company_a.pk, "version": "0", "return_open_days": "20", "high_after_days": ""},
    )
    assert saved.status_code == 302
    assert QueueThresholds.objects.get(company=company_a).values == {"return_open_days": 20}
    reader = Client()
    reader.force_login(factories.user(Role.BUYER, companies=[company_a]))
    assert reader.post(url, {"company": company_a.pk, "return_open_days": "1"}).status_code == 403
