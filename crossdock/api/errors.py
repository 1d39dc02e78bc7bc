"""Every API error as an RFC 9457 ``application/problem+json`` document.

Design overview
---------------
A problem has the standard members ``type``, ``title``, ``status`` and
``detail``, plus two extensions: ``code`` (a stable, machine-readable error
code: :class:`~crossdock.core.errors.ErrorCode` for business refusals,
:class:`ApiErrorCode` for HTTP-level ones) and ``errors``, a mapping of field
name to messages (body fields by name, list items as ``addresses[0].city``,
query parameters and headers by their own names; ``__all__`` for errors of the
record as a whole).

:func:`install` registers one handler per exception family on the NinjaAPI;
:func:`method_not_allowed_as_problem` and :func:`not_found_view` cover the two
answers Django and ninja produce outside those handlers. Nothing a client sends
should end as a 500; the catch-all handler logs the bug and answers a problem
document without internals.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from crossdock.core.errors import DomainError, ErrorCode

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ApiErrorCode(StrEnum):
    """Codes of HTTP-level problems (business refusals use ``ErrorCode``)."""

    UNAUTHENTICATED = "unauthenticated"
    MALFORMED_REQUEST = "malformed-request"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    PAYLOAD_TOO_LARGE = "payload-too-large"
    INTERNAL_ERROR = "internal-error"


_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
}
_CODES_BY_STATUS: dict[int, str] = {
    400: ApiErrorCode.MALFORMED_REQUEST,
    401: ApiErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ApiErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    412: ErrorCode.STALE_VERSION,
    413: ApiErrorCode.PAYLOAD_TOO_LARGE,
    422: ErrorCode.INVALID,
    500: ApiErrorCode.INTERNAL_ERROR,
}


class Problem(Schema):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: dict[str, list[str]] = {}


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """A problem+json response."""
    code = code or _CODES_BY_STATUS.get(status, ErrorCode.INVALID)
    body: dict[str, Any] = {
        "type": f"urn:crossdock:problem:{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": str(code),
        "errors": {name: list(messages) for name, messages in (errors or {}).items()},
    }
    body.update(extra or {})
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)


def field_name(loc: Sequence[Any]) -> str:
    """Turn a ninja/pydantic error location into the name a client sent.

    ``("body", "payload", "addresses", 0, "city")`` → ``addresses[0].city``;
    ``("query", "limit")`` → ``limit``; an error about the body as a whole → ``body``.
    """
    parts = list(loc)
    source = parts.pop(0) if parts else "body"
    if source == "body" and parts and parts[0] == "payload":
        parts.pop(0)
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or str(source)


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "model_attributes_type":
        return "Send a JSON object."
    message = str(error.get("msg", "Invalid."))
    return message.removeprefix("Value error, ")


def _validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, NinjaValidationError)
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        fields.setdefault(field_name(error.get("loc", ())), []).append(_message(error))
    if not fields:
        return problem(422, "The request is invalid.")
    name, messages = next(iter(fields.items()))
    return problem(422, f"{name}: {messages[0]}", errors=fields)


def _domain_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, DomainError)
    return problem(exc.status, exc.message, code=exc.code, errors=exc.fields)


def _django_validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, DjangoValidationError)
    return _domain_error(request, DomainError.from_validation_error(exc))


def _http_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, HttpError)
    message = exc.message
    if isinstance(exc, AuthenticationError) and message == "Unauthorized":
        message = "Send 'Authorization: Bearer <token>' or sign in to the web interface."
    elif exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = "The request body is not valid JSON."
    response = problem(exc.status_code, message)
    if exc.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="crossdock"'
    return response


def _not_found(request: HttpRequest, exc: Any) -> HttpResponse:
    return problem(404, "There is nothing at this address.")


def _permission_denied(request: HttpRequest, exc: Any) -> HttpResponse:
    return problem(403, str(exc) or "You may not do this.")


def _unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
    logger.exception("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return problem(
        500, "Something went wrong on our side; the request id identifies it in the logs."
    )


def install(api: NinjaAPI) -> None:
    """Answer every error of ``api`` as problem+json."""
    api.add_exception_handler(Exception, _unexpected)
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(DjangoValidationError, _django_validation_error)
    api.add_exception_handler(NinjaValidationError, _validation_error)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(PermissionDenied, _permission_denied)


def method_not_allowed_as_problem(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a ninja path view so its bare 405 answer becomes a problem document."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = ", ".join(sorted(m.strip() for m in response["Allow"].split(",")))
            response = problem(405, f"{request.method} is not allowed here; use {allowed}.")
            response["Allow"] = allowed
        return response

    return wrapper


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The answer for every ``/api/v1/`` address no endpoint matches."""
    return problem(404, f"There is no endpoint at {request.path}.")
