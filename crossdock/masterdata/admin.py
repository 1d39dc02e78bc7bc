"""Django admin for master data, routed through the same services as every other entry point.

Saving or deleting in the admin calls the record type's service, so the change
is permission-checked, validated, audited and published like any other; lists
start from ``restrict(user, action)``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.masterdata.models import UserAccess
from crossdock.masterdata.registry import RECORD_TYPES, RecordType


class RecordTypeAdmin(admin.ModelAdmin):
    record_type: RecordType

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = self.model.objects.restrict(request.user, "view")
        return queryset.select_related(*self.record_type.select_related)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if not change:
            data = {name: form.cleaned_data[name] for name in form.fields}
        actor = Actor.of(request.user)
        if change:
            saved = self.record_type.update_record(actor, obj.pk, data)
        else:
            saved = self.record_type.create_record(actor, data)
        obj.pk = saved.pk

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A refusal the form could not foresee (permission, stale version) rolls back
        # the admin's transaction and comes back as a message, never a 500.
        try:
            return super().changeform_view(request, *args, **kwargs)
        except DomainError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().delete_view(request, *args, **kwargs)
        except DomainError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.record_type.delete_record(Actor.of(request.user), obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for pk in queryset.values_list("pk", flat=True):
            self.record_type.delete_record(Actor.of(request.user), pk)


for record_type in RECORD_TYPES:
    admin_class = type(
        f"{record_type.model.__name__}Admin",
        (RecordTypeAdmin,),
        {
            "record_type": record_type,
            "list_display": record_type.list_fields,
            "search_fields": record_type.search_fields,
            "list_filter": [
                f for f in record_type.filter_fields if f not in {"company", "parent", "warehouse"}
            ],
            "fields": record_type.form_fields,
            "list_select_related": record_type.select_related,
        },
    )
    admin.site.register(record_type.model, admin_class)


@admin.register(UserAccess)
class UserAccessAdmin(admin.ModelAdmin):
    list_display = ("user", "current_company")
    filter_horizontal = ("companies", "warehouses")
