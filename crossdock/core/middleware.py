"""Request-scoped middleware."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from crossdock.core.context import reset_request_id, set_request_id


class RequestIdMiddleware:
    """Give each request an id (or keep the caller's ``X-Request-ID``) for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")[:64]
        token = set_request_id(incoming if incoming.isprintable() and incoming else None)
        try:
            response = self.get_response(request)
        finally:
            from crossdock.core.context import current_request_id

            request_id = current_request_id()
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response
