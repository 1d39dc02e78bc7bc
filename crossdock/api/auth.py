"""Who is calling: a bearer API token, or the browser's signed-in session.

A token (``Authorization: Bearer cdk_…``) acts as its user, with that user's
roles and companies; only its SHA-256 digest is stored, so lookup is by digest.
A present but unknown, revoked or expired token is refused outright (401)
rather than falling back to the session. Session authentication serves the web
UI's own calls and checks CSRF on unsafe methods, as Django forms do.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from crossdock.core.models import ApiToken

# Recording every use would turn each read into a write; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a token from :meth:`ApiToken.issue`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        found = None
        if token.startswith(ApiToken.PREFIX) and len(token) < 200:
            found = (
                ApiToken.objects.select_related("user")
                .filter(digest=ApiToken.digest_of(token))
                .first()
            )
        if found is None or not found.is_usable or not found.user.is_active:
            raise AuthenticationError(message="The API token is unknown, revoked or expired.")
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


class SessionAuth(APIKeyCookie):
    """The Django session of the web UI, with CSRF checked on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        return self.authenticate(request, None)

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        return user


token_auth = TokenAuth()
session_auth = SessionAuth()
