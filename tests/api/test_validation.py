"""Bad input is a clear 4xx problem naming the field, and nothing is written."""

from __future__ import annotations

import json

import pytest

from crossdock.core.models import AuditEntry
from crossdock.masterdata.models import Location, Partner, Product
from tests.api.conftest import record_data, to_json


@pytest.fixture
def partner_payload(world):
    return to_json(record_data("partners", world))


def _counts():
    return (Partner.objects.count(), Product.objects.count(), AuditEntry.objects.count())


def _assert_problem(response, status, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(body)
    assert body["status"] == status
    if field is not None:
        assert field in body["errors"], body
        assert body["detail"]
    return body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credit_limit", 12.5),  # a JSON float is not exact
        ("credit_limit", "12.345678"),  # more places than the field keeps
        ("credit_limit", "1e400"),
        ("credit_limit", "99999999999999999999"),
        ("credit_limit", "NaN"),
        ("credit_limit", "Infinity"),
        ("credit_limit", "twelve"),
        ("credit_limit", True),
        ("credit_limit", "-5"),  # the model refuses a negative limit
        ("credit_limit", None),
        ("company", "abc"),  # a string where an id is expected
        ("company", 10**30),
        ("company", 0),
        ("company", 1.5),
        ("company", True),
        ("company", 987654321),  # no such company
        ("currency", [1]),
        ("code", 42),
        ("code", "x" * 500),
        ("code", "lower case"),  # the model's code rule
        ("name", "nul\x00byte"),
        ("name", ""),
        ("is_customer", "maybe"),
        ("customer_tier", "platinum"),
        ("email", "not-an-email"),
        ("unknown_field", "value"),
    ],
)
def test_bad_field_is_422_naming_it_and_nothing_is_written(
    admin_api, partner_payload, field, value
):
    before = _counts()
    response = admin_api.post("partners", partner_payload | {field: value})
    _assert_problem(response, 422, field)
    assert _counts() == before


def test_missing_required_fields_are_all_named(admin_api):
    body = _assert_problem(admin_api.post("partners", {}), 422)
    assert {"company", "code", "name", "currency"} <= set(body["errors"])


def test_record_level_rules_come_back_as_field_errors(admin_api, partner_payload):
    response = admin_api.post("partners", partner_payload | {"is_customer": False})
    _assert_problem(response, 422, "is_customer")
    duplicate = admin_api.post("partners", partner_payload)
    assert duplicate.status_code == 201
    again = admin_api.post("partners", partner_payload)
    assert again.status_code in (409, 422)
    assert Partner.objects.filter(code=partner_payload["code"]).count() == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"name": "unterminated',
        b"\xff\xfe\x00garbage",
        b"1" * 5000,  # Python refuses ints this long
    ],
)
def test_malformed_json_is_400(admin_api, raw):
    before = _counts()
    response = admin_api.client.post("/api/v1/partners", raw, content_type="application/json")
    _assert_problem(response, 400)
    assert _counts() == before


@pytest.mark.parametrize("raw", ["[1, 2]", "null", '"text"', "42"])
def test_body_that_is_not_an_object_is_422(admin_api, raw):
    response = admin_api.post("partners", raw)
    _assert_problem(response, 422, "body")


def test_patch_bad_input_changes_nothing(admin_api, world):
    partner = world.partner
    url = f"partners/{partner.pk}"
    for bad in (
        {"credit_limit": 1.25},
        {"name": None},  # not nullable
        {"company": "B"},
        {"version": "1"},
        {"id": 5},
    ):
        response = admin_api.patch(url, bad)
        assert response.status_code == 422, (bad, response.content)
    partner.refresh_from_db()
    assert (partner.version, partner.name) == (1, "Acme customer")


def test_cannot_reference_rows_outside_ones_companies(as_user, role_user, world, warehouse_b):
    from crossdock.core.roles import Role

    api = as_user(role_user(Role.WAREHOUSE_MANAGER))
    before = Location.objects.count()
    payload = to_json(record_data("locations", world)) | {"warehouse": warehouse_b.pk}
    response = api.post("locations", payload)
    body = _assert_problem(response, 422, "warehouse")
    assert "No warehouse with id" in body["errors"]["warehouse"][0]
    moved = api.post("locations", payload | {"company": warehouse_b.company_id})
    _assert_problem(moved, 422, "company")
    assert Location.objects.count() == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ordering=credit_limit_secret", "ordering"),
        ("ordering=tax_id", "ordering"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("limit=ten", "limit"),
        ("company=abc", "company"),
        ("company=99999999999999999999999", "company"),
        ("active=perhaps", "active"),
        ("customer_tier=platinum", "customer_tier"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=%00", "cursor"),
        ("q=%00", "q"),
        ("colour=red", "colour"),
    ],
)
def test_bad_list_parameters_are_422(admin_api, world, query, field):
    _assert_problem(admin_api.get(f"partners?{query}"), 422, field)


def test_cursor_of_another_ordering_is_refused(admin_api, world):
    from tests import factories

    for _ in range(3):
        factories.partner(world.company)
    cursor = admin_api.get("partners?limit=1&ordering=name").json()["next_cursor"]
    _assert_problem(admin_api.get(f"partners?limit=1&ordering=code&cursor={cursor}"), 422, "cursor")


def test_errors_of_the_http_layer_are_problems_too(admin_api, world):
    _assert_problem(admin_api.get("no-such-resource"), 404)
    _assert_problem(admin_api.get("partners/not-a-number"), 404)
    _assert_problem(admin_api.get("partners/99999999999999999999999"), 404)
    _assert_problem(admin_api.patch("partners/99999999999999999999999", {}), 404)
    not_allowed = admin_api.put("partners", {})
    _assert_problem(not_allowed, 405)
    assert not_allowed["Allow"] == "GET, POST"


def test_problem_detail_is_json_serialisable_text(admin_api, partner_payload):
    response = admin_api.post("partners", partner_payload | {"credit_limit": 1.5})
    body = json.loads(response.content)
    assert isinstance(body["detail"], str)
    assert body["errors"]["credit_limit"] == [
        'Send decimals as strings, e.g. "12.50": floats are not exact.'
    ]
