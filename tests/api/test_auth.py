"""Bearer tokens and browser sessions; everything else is a 401 problem."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from crossdock.core.models import ApiToken
from tests.api.conftest import ApiClient


def _assert_401(response):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("path", ["me", "partners", "partners/1", "audit-entries"])
def test_anonymous_is_401(db, path):
    _assert_401(Client().get(f"/api/v1/{path}"))


def test_anonymous_post_is_401_not_csrf_403(db):
    _assert_401(Client(enforce_csrf_checks=True).post("/api/v1/partners", {}))


@pytest.mark.parametrize(
    "header",
    ["Bearer cdk_wrong", "Bearer ", "Bearer " + "x" * 5000, "Token abc", "Basic Zm9vOmJhcg=="],
)
def test_bad_credentials_are_401(admin_user, header):
    _assert_401(Client(HTTP_AUTHORIZATION=header).get("/api/v1/me"))


def test_token_acts_as_its_user_and_records_use(admin_user):
    token, clear = ApiToken.issue(admin_user, "integration")
    response = ApiClient(token=clear).get("me")
    assert response.status_code == 200
    assert response.json()["username"] == admin_user.username
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_expired_and_inactive_tokens_are_refused(admin_user):
    revoked, clear_revoked = ApiToken.issue(admin_user, "revoked")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked=True)
    _assert_401(ApiClient(token=clear_revoked).get("me"))

    expired, clear_expired = ApiToken.issue(admin_user, "expired")
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    _assert_401(ApiClient(token=clear_expired).get("me"))

    _, clear = ApiToken.issue(admin_user, "fine")
    assert ApiClient(token=clear).get("me").status_code == 200
    admin_user.is_active = False
    admin_user.save(update_fields=["is_active"])
    _assert_401(ApiClient(token=clear).get("me"))


def test_session_auth_needs_csrf_on_unsafe_methods(admin_user, world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    assert browser.get("/api/v1/me").status_code == 200

    payload = {"code": "NET9", "name": "Net 9", "net_days": 9}
    refused = browser.post("/api/v1/payment-terms", payload, content_type="application/json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"

    browser.get("/api/v1/me")  # any page that sets the CSRF cookie would do; set it ourselves
    from django.middleware.csrf import _get_new_csrf_string

    csrf = _get_new_csrf_string()
    browser.cookies["csrftoken"] = csrf
    accepted = browser.post(
        "/api/v1/payment-terms", payload, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 201, accepted.content


def test_a_token_needs_no_csrf(admin_user, world):
    _, clear = ApiToken.issue(admin_user, "t")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {clear}")
    response = client.post(
        "/api/v1/payment-terms",
        {"code": "NET8", "name": "Net 8", "net_days": 8},
        content_type="application/json",
    )
    assert response.status_code == 201
