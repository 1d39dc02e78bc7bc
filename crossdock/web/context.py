"""The ``shell`` template variable: navigation, companies and the active page, computed lazily.

The context processor runs for every template rendered with a request (admin
pages and error pages included), so nothing is queried until a template asks.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from crossdock.web.navigation import NavGroup, navigation_for
from crossdock.web.workspace import Workspace, workspace_of


class Shell:
    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @cached_property
    def navigation(self) -> list[NavGroup]:
        user = getattr(self._request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        return navigation_for(user)

    @cached_property
    def workspace(self) -> Workspace:
        return workspace_of(self._request)

    @cached_property
    def active_key(self) -> str:
        match = self._request.resolver_match
        if match is None:
            return ""
        record_type = match.kwargs.get("record_type")
        if record_type is not None:
            return str(record_type.slug)
        return "audit" if match.url_name and match.url_name.startswith("audit") else ""


def shell(request: HttpRequest) -> dict[str, Any]:
    return {"shell": Shell(request)}
