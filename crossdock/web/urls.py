"""Web shell URLs. Record pages are ``/<record-type>/…`` for each slug in the registry."""

from __future__ import annotations

import re

from django.urls import path, register_converter

from crossdock.masterdata.registry import BY_SLUG, RecordType
from crossdock.web.views import audit, auth, companies, home, imports, records


class RecordTypeConverter:
    """Matches only registered record-type slugs and hands the view the :class:`RecordType`."""

    regex = "|".join(re.escape(slug) for slug in sorted(BY_SLUG, key=len, reverse=True))

    def to_python(self, value: str) -> RecordType:
        return BY_SLUG[value]

    def to_url(self, value: RecordType | str) -> str:
        slug = value.slug if isinstance(value, RecordType) else value
        if slug not in BY_SLUG:
            raise ValueError(f"unknown record type {slug!r}")
        return slug


class ExportFormatConverter:
    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RecordTypeConverter, "record_type")
register_converter(ExportFormatConverter, "export_format")

app_name = "web"
urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("company/", companies.switch_company, name="switch_company"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/<int:pk>/", audit.audit_detail, name="audit_detail"),
    path("<record_type:record_type>/", records.record_list, name="record_list"),
    path("<record_type:record_type>/new/", records.record_create, name="record_create"),
    path("<record_type:record_type>/import/", imports.record_import, name="record_import"),
    path(
        "<record_type:record_type>/export/<export_format:fmt>/",
        records.record_export,
        name="record_export",
    ),
    path("<record_type:record_type>/<int:pk>/", records.record_detail, name="record_detail"),
    path("<record_type:record_type>/<int:pk>/edit/", records.record_edit, name="record_edit"),
    path("<record_type:record_type>/<int:pk>/delete/", records.record_delete, name="record_delete"),
]
