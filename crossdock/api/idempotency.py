"""``Idempotency-Key`` on POSTs that create or act.

Design overview
---------------
A client that may retry a POST (a timeout, a dropped connection) sends a key of
its choosing. :func:`idempotent` wraps the endpoint: the action and the stored
response (:class:`~crossdock.core.models.IdempotencyKey`, unique per user and
key) are written in one transaction, so either both exist or neither does.

* same key, same request (method, path with query, body) → the stored status
  and body are replayed with ``Idempotent-Replayed: true``, nothing runs again;
* same key, different request → 422 ``idempotency-key-reused``;
* two requests racing with one key → the loser's transaction fails on the
  unique constraint, is rolled back whole, and it replays the winner's answer.

Only successful (2xx) answers are stored: after a refusal nothing was written
and the client may fix the request and retry under the same key. A POST
without the header simply runs.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from crossdock.api.http import etag
from crossdock.core.errors import DomainError, ErrorCode
from crossdock.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def request_digest(request: HttpRequest) -> str:
    """SHA-256 over what makes two requests the same request."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        # The raw body is gone (parsed into POST/FILES) and its boundary varies anyway.
        for name in sorted(request.POST):
            digest.update(f"field {name}={request.POST.getlist(name)!r}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"file {name} {upload.name}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _key_of(request: HttpRequest) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise DomainError(
            f"{HEADER}: use 1 to {MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID.",
            fields={HEADER: ["Invalid key."]},
        )
    return key


def _replay(stored: IdempotencyKey, digest: str) -> HttpResponse:
    if stored.request_digest != digest:
        raise DomainError(
            f"{HEADER}: this key was used for a different request; use a new key.",
            code=ErrorCode.IDEMPOTENCY_MISMATCH,
            fields={HEADER: ["Already used for a different request."]},
        )
    body = bytes(stored.response_body)
    response = HttpResponse(body, status=stored.status_code, content_type=stored.content_type)
    response["Idempotent-Replayed"] = "true"
    if stored.content_type.startswith("application/json"):
        data = json.loads(body) if body else None
        if isinstance(data, dict) and isinstance(data.get("version"), int):
            response["ETag"] = etag(data["version"])
    return response


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Make a POST endpoint honour ``Idempotency-Key`` (the view must return an HttpResponse)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = _key_of(request)
        if key is None:
            return view(request, *args, **kwargs)
        user: Any = request.user
        digest = request_digest(request)
        stored = IdempotencyKey.objects.filter(user=user, key=key).first()
        if stored is not None:
            return _replay(stored, digest)
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    IdempotencyKey.objects.create(
                        user=user,
                        key=key,
                        method=request.method or "POST",
                        path=request.get_full_path()[:500],
                        request_digest=digest,
                        status_code=response.status_code,
                        response_body=response.content,
                        content_type=response.get("Content-Type", ""),
                    )
                else:
                    transaction.set_rollback(True)
        except (IntegrityError, DomainError):
            # A concurrent request with this key may have won: answer as it did.
            stored = IdempotencyKey.objects.filter(user=user, key=key).first()
            if stored is None:
                raise
            return _replay(stored, digest)
        return response

    return wrapper
