"""``Idempotency-Key``: replay on retry, refuse reuse, nothing stored on failure."""

from __future__ import annotations

import io

import pytest

from crossdock.core.models import IdempotencyKey
from crossdock.masterdata.models import Partner
from tests.api.conftest import ApiClient, record_data, to_json


@pytest.fixture
def payload(world):
    return to_json(record_data("partners", world))


def test_retry_with_the_same_key_replays_the_first_answer(admin_api, payload):
    first = admin_api.post("partners", payload, HTTP_IDEMPOTENCY_KEY="order-7")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    retry = admin_api.post("partners", payload, HTTP_IDEMPOTENCY_KEY="order-7")
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert retry["ETag"] == first["ETag"]
    assert Partner.objects.filter(code=payload["code"]).count() == 1
    stored = IdempotencyKey.objects.get(key="order-7")
    assert (stored.user, stored.status_code, stored.method) == (admin_api.user, 201, "POST")


def test_same_key_with_another_body_is_refused(admin_api, payload):
    assert admin_api.post("partners", payload, HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    other = payload | {"code": payload["code"] + "X"}
    response = admin_api.post("partners", other, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency-key-reused"
    assert not Partner.objects.filter(code=other["code"]).exists()
    elsewhere = admin_api.post(
        "payment-terms", {"code": "N1", "name": "n", "net_days": 3}, HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert elsewhere.json()["code"] == "idempotency-key-reused"


def test_keys_belong_to_their_user(admin_api, payload, admin_user):
    assert admin_api.post("partners", payload, HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    second_token = ApiClient(admin_user)  # same user, another token: still a replay
    assert (
        second_token.post("partners", payload, HTTP_IDEMPOTENCY_KEY="shared")["Idempotent-Replayed"]
        == "true"
    )
    from crossdock.core.roles import Role
    from tests import factories

    colleague = ApiClient(
        factories.user(Role.BUYER, companies=[admin_user.access.companies.first()])
    )
    response = colleague.post(
        "partners", payload | {"code": "OTHER1"}, HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_a_refused_request_stores_nothing_and_may_be_retried(admin_api, payload):
    bad = admin_api.post("partners", payload | {"credit_limit": "-1"}, HTTP_IDEMPOTENCY_KEY="k2")
    assert bad.status_code == 422
    assert not IdempotencyKey.objects.filter(key="k2").exists()
    good = admin_api.post("partners", payload, HTTP_IDEMPOTENCY_KEY="k2")
    assert good.status_code == 201


def test_post_without_a_key_just_runs(admin_api, payload):
    assert admin_api.post("partners", payload).status_code == 201
    assert admin_api.post("partners", payload).status_code in (409, 422)  # a real duplicate
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "clé"])
def test_invalid_keys_are_422(admin_api, payload, key):
    response = admin_api.post("partners", payload, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Partner.objects.filter(code=payload["code"]).exists()


def test_imports_are_idempotent_too(admin_api):

    def upload():
        file = io.BytesIO(b"sku,name\n")
        file.name = "products.csv"
        return admin_api.client.post(
            "/api/v1/products/import?dry_run=true", {"file": file}, HTTP_IDEMPOTENCY_KEY="imp-1"
        )

    first = upload()
    second = upload()
    assert second.status_code == first.status_code
    if first.status_code == 200:
        assert second["Idempotent-Replayed"] == "true"
