"""Create, read, update and delete every record type through the API."""

from __future__ import annotations

import pytest

from crossdock.api.schemas import output_schema
from crossdock.core.models import AuditEntry
from crossdock.masterdata.registry import BY_SLUG, RECORD_TYPES
from tests.api.conftest import change_data, make_record, record_data, to_json

SLUGS = [rt.slug for rt in RECORD_TYPES]
# A new company or warehouse gets its standard locations, which then protect it.
PROTECTED_ON_CREATE = {"companies", "warehouses"}


@pytest.mark.parametrize("slug", SLUGS)
def test_round_trip(admin_api, superuser_api, world, slug):
    # Only a superuser may add a company: nobody else has access to it yet.
    admin_api = superuser_api if slug == "companies" else admin_api
    record_type = BY_SLUG[slug]
    payload = to_json(record_data(slug, world))

    created = admin_api.post(slug, payload)
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["ETag"] == '"1"'
    assert body["version"] == 1
    for name, value in payload.items():
        assert body[name] == value or _same_decimal(body[name], value), name
    output_schema(record_type).model_validate(body)  # the documented shape

    fetched = admin_api.get(f"{slug}/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched["ETag"] == '"1"'

    changes = change_data(slug)
    updated = admin_api.patch(f"{slug}/{body['id']}", changes, HTTP_IF_MATCH='"1"')
    assert updated.status_code == 200, updated.content
    assert updated["ETag"] == '"2"'
    for name, value in changes.items():
        assert _same_decimal(updated.json()[name], value) or updated.json()[name] == value
    untouched = set(payload) - set(changes)
    assert {n: updated.json()[n] for n in untouched} == {n: body[n] for n in untouched}

    listed = admin_api.get(slug, {"limit": 500})
    assert body["id"] in [item["id"] for item in listed.json()["items"]]

    deleted = admin_api.delete(f"{slug}/{body['id']}", HTTP_IF_MATCH='"2"')
    if slug in PROTECTED_ON_CREATE:
        assert deleted.status_code == 422
        assert deleted.json()["code"] == "protected"
        assert record_type.model.objects.filter(pk=body["id"]).exists()
    else:
        assert deleted.status_code == 204, deleted.content
        assert admin_api.get(f"{slug}/{body['id']}").status_code == 404
        assert not record_type.model.objects.filter(pk=body["id"]).exists()
    actions = AuditEntry.objects.filter(
        object_type=record_type.model_label, object_id=str(body["id"]), actor=admin_api.user
    ).values_list("action", flat=True)
    assert {"create", "update"} <= set(actions)


def _same_decimal(left, right):
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(left) == Decimal(right)
    except (InvalidOperation, TypeError, ValueError):
        return False


def test_money_is_exact_decimal_string(admin_api, world):
    payload = to_json(record_data("partners", world)) | {"credit_limit": "12345678901.2345"}
    response = admin_api.post("partners", payload)
    assert response.status_code == 201, response.content
    assert response.json()["credit_limit"] == "12345678901.2345"
    assert (
        admin_api.post(
            "partners", to_json(record_data("partners", world)) | {"credit_limit": 250}
        ).json()["credit_limit"]
        == "250.0000"
    )


def test_patch_sends_only_changed_fields_and_can_clear_nullable(admin_api, world):
    product = make_record("products", world)
    response = admin_api.patch(f"products/{product.pk}", {"weight_kg": None})
    assert response.status_code == 200, response.content
    assert response.json()["weight_kg"] is None
    assert response.json()["name"] == product.name


def test_etag_if_match_and_version(admin_api, world):
    partner = make_record("partners", world)
    url = f"partners/{partner.pk}"
    first = admin_api.patch(url, {"name": "First"}, HTTP_IF_MATCH='"1"')
    assert first.status_code == 200
    assert first["ETag"] == '"2"'

    stale = admin_api.patch(url, {"name": "Lost update"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"
    assert stale.json()["code"] == "stale-version"
    stale_body = admin_api.patch(url, {"name": "Lost update", "version": 1})
    assert stale_body.status_code == 412
    garbage = admin_api.patch(url, {"name": "Lost update"}, HTTP_IF_MATCH="yesterday")
    assert garbage.status_code == 412
    partner.refresh_from_db()
    assert (partner.name, partner.version) == ("First", 2)

    assert admin_api.patch(url, {"name": "Second", "version": 2}).status_code == 200
    assert admin_api.patch(url, {"name": "Third"}, HTTP_IF_MATCH='W/"3"').status_code == 200
    assert admin_api.patch(url, {"name": "Any"}, HTTP_IF_MATCH="*").status_code == 200

    assert admin_api.delete(url, HTTP_IF_MATCH='"1"').status_code == 412
    assert type(partner).objects.filter(pk=partner.pk).exists()
    not_modified = admin_api.get(url, HTTP_IF_NONE_MATCH='"5"')
    assert not_modified.status_code == 304
    assert admin_api.delete(url, HTTP_IF_MATCH='"5"').status_code == 204


def test_unknown_id_is_404(admin_api, world):
    for method in ("get", "patch", "delete"):
        response = getattr(admin_api, method)("partners/987654")
        assert response.status_code == 404
        assert response.json()["code"] == "not-found"
