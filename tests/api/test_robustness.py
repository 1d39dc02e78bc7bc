"""Whatever a client sends, the answer is never a 500 (property tests)."""

from __future__ import annotations

import json
import os
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import record_data, to_json

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "0", "-1", "1e999", "NaN", "12.50", "\x00", "ACME", "2024-02-30"])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=5,
)
FIELDS = st.sampled_from(
    [
        "company",
        "code",
        "name",
        "currency",
        "payment_term",
        "credit_limit",
        "is_customer",
        "customer_tier",
        "email",
        "version",
        "id",
        "?",
    ]
)
FUZZ = settings(
    max_examples=int(os.environ.get("CROSSDOCK_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(changes=st.dictionaries(FIELDS, JSON_VALUES, max_size=4))
def test_create_and_update_never_fail_with_500(admin_api, world, changes):
    payload = to_json(record_data("partners", world)) | changes
    created = admin_api.post("partners", payload)
    assert created.status_code in (201, 409, 422), created.content
    updated = admin_api.patch(f"partners/{world.partner.pk}", changes)
    assert updated.status_code in (200, 409, 412, 422), updated.content


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "ordering",
                "limit",
                "cursor",
                "company",
                "active",
                "is_supplier",
                "customer_tier",
                "currency",
                "x",
            ]
        ),
        st.text(max_size=40) | st.integers(min_value=-(10**30), max_value=10**30).map(str),
        max_size=4,
    )
)
def test_list_parameters_never_fail_with_500(admin_api, world, params):
    response = admin_api.get("partners?" + urlencode(params))
    assert response.status_code in (200, 422), response.content


@FUZZ
@given(body=st.binary(max_size=60) | JSON_VALUES.map(json.dumps))
def test_any_body_is_a_4xx_at_worst(admin_api, world, body):
    for path in ("partners", "products", f"partners/{world.partner.pk}/addresses"):
        method = admin_api.client.put if path.endswith("addresses") else admin_api.client.post
        response = method(f"/api/v1/{path}", body, content_type="application/json")
        assert response.status_code < 500, response.content
