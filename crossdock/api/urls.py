"""URLs under ``/api/v1/``: the NinjaAPI's routes, then a problem+json 404 for the rest."""

from django.urls import URLPattern, URLResolver, path, re_path

from crossdock.api.app import api
from crossdock.api.errors import method_not_allowed_as_problem, not_found_view

_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    if isinstance(_pattern, URLPattern):
        _pattern.callback = method_not_allowed_as_problem(_pattern.callback)

urlpatterns: list[URLPattern | URLResolver] = [
    path("", (_patterns, _app_name, _namespace)),
    re_path(r"", not_found_view, name="api-not-found"),
]
