"""Lists: cursor pagination, filters, search, ordering, query counts and export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crossdock.masterdata.models import Partner
from crossdock.masterdata.registry import RECORD_TYPES
from tests import factories
from tests.api.conftest import make_record


@pytest.fixture
def partners(world):
    """Twelve partners of company A with clashing names and limits (ties need the id)."""
    rows = [world.partner]
    for i in range(11):
        rows.append(
            factories.partner(
                world.company,
                name=f"Partner {'AB'[i % 2]}",
                credit_limit=Decimal(i % 3) * 100,
                is_supplier=i % 4 == 0,
            )
        )
    return rows


def _walk(api, query, limit):
    ids, cursor, pages = [], None, 0
    while True:
        params = {**query, "limit": limit} | ({"cursor": cursor} if cursor else {})
        response = api.get("partners", params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["items"]) <= limit
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        pages += 1
        if cursor is None:
            return ids, pages


@pytest.mark.parametrize(
    "ordering", ["code", "-code", "name", "-name", "credit_limit", "-credit_limit"]
)
def test_cursor_walks_every_row_once_in_order(admin_api, partners, ordering):
    ids, pages = _walk(admin_api, {"ordering": ordering}, limit=5)
    assert len(ids) == len(set(ids)) == len(partners)
    assert pages == 3
    field = ordering.lstrip("-")
    rows = Partner.objects.in_bulk(ids)
    keys = [(getattr(rows[i], field), i) for i in ids]
    assert keys == sorted(keys, reverse=ordering.startswith("-"))


def test_cursor_is_stable_while_rows_are_added(admin_api, partners, world):
    first = admin_api.get("partners", {"limit": 4, "ordering": "code"}).json()
    factories.partner(world.company, code="A0000")  # sorts before every page already seen
    rest, _ = _walk(admin_api, {"ordering": "code", "cursor": first["next_cursor"]}, limit=4)
    seen = [item["id"] for item in first["items"]] + rest
    assert len(seen) == len(set(seen)) == len(partners)


def test_filters(admin_api, partners, world, company_b):
    in_b = factories.partner(company_b, is_supplier=True)  # the admin sees both companies
    suppliers = admin_api.get("partners", {"is_supplier": "true", "limit": 100}).json()["items"]
    expected = {p.pk for p in partners if p.is_supplier} | {in_b.pk}
    assert {item["id"] for item in suppliers} == expected
    in_a = admin_api.get("partners", {"company": world.company.pk, "limit": 100}).json()["items"]
    assert {item["company"] for item in in_a} == {world.company.pk}
    assert len(in_a) == len(partners)
    none = admin_api.get("partners", {"company": world.company.pk, "active": "false"})
    assert none.json() == {"items": [], "next_cursor": None}


def test_search_is_case_insensitive_or_over_search_fields(admin_api, partners):
    target = partners[3]
    by_code = admin_api.get("partners", {"q": target.code.lower()}).json()["items"]
    assert [item["id"] for item in by_code] == [target.pk]
    by_name = admin_api.get("partners", {"q": "partner b", "limit": 100}).json()["items"]
    assert {item["id"] for item in by_name} == {p.pk for p in partners if p.name == "Partner B"}


def test_search_across_barcodes_returns_each_product_once(admin_api, world):
    from crossdock.core.context import Actor
    from crossdock.masterdata import services

    product = make_record("products", world)
    other = make_record("products", world)
    services.set_product_barcodes(Actor.system("tests"), product, ["4006381333931", "96385074"])
    found = admin_api.get("products", {"q": "0"}).json()["items"]
    ids = [item["id"] for item in found]
    assert ids.count(product.pk) == 1
    only = admin_api.get("products", {"q": "4006381333931"}).json()["items"]
    assert [item["id"] for item in only] == [product.pk]
    assert other.pk not in [item["id"] for item in only]


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda rt: rt.slug)
def test_list_queries_do_not_grow_with_rows(admin_api, world, record_type):
    """No N+1: a page of many rows costs the same queries as a page of one."""
    make_record(record_type.slug, world)
    with CaptureQueriesContext(connection) as few:
        assert admin_api.get(record_type.slug, {"limit": 1}).status_code == 200
    for _ in range(4):
        make_record(record_type.slug, world)
    with CaptureQueriesContext(connection) as many:
        assert admin_api.get(record_type.slug, {"limit": 500}).status_code == 200
    assert len(many) <= len(few)


def test_every_ordering_field_and_filter_is_accepted(admin_api, world):
    for record_type in RECORD_TYPES:
        for field in record_type.ordering_fields:
            for ordering in (field, f"-{field}"):
                response = admin_api.get(record_type.slug, {"ordering": ordering, "limit": 2})
                assert response.status_code == 200, (record_type.slug, ordering, response.content)
                cursor = response.json()["next_cursor"]
                if cursor:
                    more = admin_api.get(
                        record_type.slug, {"ordering": ordering, "limit": 2, "cursor": cursor}
                    )
                    assert more.status_code == 200, more.content


def test_export_takes_the_list_filters(admin_api, partners, world):
    response = admin_api.get(
        "partners/export", {"format": "csv", "is_supplier": "true", "ordering": "-code"}
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    suppliers = sorted((p.code for p in partners if p.is_supplier), reverse=True)
    body = "\n".join(",".join(r) for r in rows[1:])
    assert len(rows) - 1 == len(suppliers)
    positions = [body.index(code) for code in suppliers]
    assert positions == sorted(positions)

    xlsx = admin_api.get("partners/export", {"format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"  # a zip container
    assert admin_api.get("partners/export", {"format": "pdf"}).status_code == 422
    assert admin_api.get("partners/export", {"cursor": "x"}).status_code == 422
