"""Small HTTP helpers: JSON responses, ETags and ``If-Match`` versions.

A record's ETag is its ``version`` in quotes (``ETag: "4"``); ``If-Match``
accepts that (weak or strong) or ``*``. PATCH and DELETE compare it with the
row's version under a row lock in the service, so a lost update is a 412, not a
silent overwrite.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

from crossdock.core.errors import StaleVersionError

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def json_response(data: Any, status: int = 200, *, etag_version: int | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder), status=status, content_type=JSON_CONTENT_TYPE
    )
    if etag_version is not None:
        response["ETag"] = etag(etag_version)
    return response


def etag(version: int) -> str:
    return f'"{version}"'


def version_from_etag(value: str) -> int | None:
    """The version in an ETag (``"4"`` or ``W/"4"``); ``None`` if it is not one of ours."""
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    return None


def expected_version(if_match: str | None, body_version: int | None = None) -> int | None:
    """The version a PATCH or DELETE was made against, from ``If-Match`` and/or the body.

    ``None`` means the client did not ask for a check. An ``If-Match`` that is
    not one of our ETags can never match: 412.
    """
    header_version = None
    if if_match is not None and if_match.strip() != "*":
        candidates = [version_from_etag(part) for part in if_match.split(",")]
        versions = {v for v in candidates if v is not None}
        if len(versions) != 1:
            raise StaleVersionError(
                'If-Match must be the ETag of the record you edited, e.g. "3".',
                fields={"If-Match": ["Does not match the current version."]},
            )
        header_version = versions.pop()
    if header_version is not None and body_version is not None and header_version != body_version:
        raise StaleVersionError(
            "If-Match and the version field disagree.",
            fields={"version": ["Does not match If-Match."]},
        )
    return header_version if header_version is not None else body_version
