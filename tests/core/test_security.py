"""Password hashing, login throttling and API tokens."""

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from crossdock.core.models import ApiToken
from crossdock.core.roles import Role
from tests import factories


def test_passwords_are_hashed_with_argon2(company_a, settings):
    from crossdock import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = factories.user(Role.BUYER, companies=[company_a], password="s3cret-enough-pass")
    assert user.password.startswith("argon2$")


def test_login_is_locked_after_repeated_failures(company_a, settings):
    user = factories.user(Role.BUYER, companies=[company_a], password="right-password-123")
    request_factory = RequestFactory()

    def attempt(password):
        request = request_factory.post("/login/", REMOTE_ADDR="10.0.0.9")
        return authenticate(request, username=user.username, password=password)

    assert attempt("right-password-123") is not None
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert attempt("wrong") is None
    assert attempt("right-password-123") is None  # locked out even with the right password


@pytest.mark.django_db
def test_api_tokens_store_only_a_digest(company_a):
    user = factories.user(Role.BUYER, companies=[company_a])
    token, clear = ApiToken.issue(user, "integration")
    assert clear.startswith("cdk_")
    assert clear not in {token.digest, token.hint}
    assert ApiToken.objects.get(digest=ApiToken.digest_of(clear)).user == user
    assert token.is_usable
    token.revoked = True
    assert not token.is_usable
