"""Reading records for the API: permission, scope, filters, search and references.

Every read starts from ``Model.objects.restrict(user, action)``: a user whose
roles do not allow the action on the model gets a 403; a row outside the
user's companies or warehouses is simply not found (404), never "forbidden",
so its existence does not leak. References a client sends (``"warehouse": 7``)
are looked up within the user's scope the same way and refused with a 422
naming the field when they point outside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import reduce
from operator import or_
from typing import Any

from django.db import models
from django.db.models import Q
from django.http import HttpRequest

from crossdock.core.errors import DomainError, NotFoundError, PermissionDeniedError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.registry import RecordType

PAGING_PARAMS = frozenset({"cursor", "limit", "q", "ordering", "format"})


def require_permission(user: Any, model: type[models.Model], action: str) -> None:
    """403 unless one of the user's roles allows ``action`` on ``model``."""
    if not has_model_permission(user, model, action):
        raise PermissionDeniedError(
            f"Your roles do not allow you to {action} {model._meta.verbose_name_plural}."
        )


def records(record_type: RecordType, user: Any, action: str = "view") -> models.QuerySet[Any]:
    """The rows of ``record_type`` the user may ``action`` (403 if none by role)."""
    require_permission(user, record_type.model, action)
    queryset = record_type.model.objects.restrict(user, action)
    if record_type.select_related:
        queryset = queryset.select_related(*record_type.select_related)
    return queryset


def get_record(record_type: RecordType, user: Any, pk: int, action: str = "view") -> Any:
    """One row the user may ``action``; 404 when it does not exist or is out of scope."""
    found = records(record_type, user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No {record_type.label} with id {pk}.")
    return found


def refuse_unknown_params(request: HttpRequest, allowed: Iterable[str]) -> None:
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        raise DomainError(
            f"{unknown[0]}: unknown query parameter; use one of {', '.join(sorted(allowed))}.",
            fields={name: ["Unknown query parameter."] for name in unknown},
        )


def apply_filters(
    queryset: models.QuerySet[Any], record_type: RecordType, params: Mapping[str, Any]
) -> models.QuerySet[Any]:
    """Equality filters on ``filter_fields`` and the ``q`` search over ``search_fields``."""
    conditions = {
        name: params[name] for name in record_type.filter_fields if params.get(name) is not None
    }
    if conditions:
        queryset = queryset.filter(**conditions)
    text = (params.get("q") or "").strip()
    if text and record_type.search_fields:
        match = reduce(or_, (Q(**{f"{f}__icontains": text}) for f in record_type.search_fields))
        if any("__" in f for f in record_type.search_fields):
            # Searching across a to-many relation (product barcodes) would repeat rows.
            model = record_type.model
            queryset = queryset.filter(pk__in=model._base_manager.filter(match).values("pk"))
        else:
            queryset = queryset.filter(match)
    return queryset


def resolve_references(user: Any, model: type[models.Model], data: dict[str, Any]) -> None:
    """Replace foreign-key ids in ``data`` by rows within the user's scope, in place."""
    errors: dict[str, list[str]] = {}
    for name, value in list(data.items()):
        field = model._meta.get_field(name)
        if not isinstance(field, models.ForeignKey) or value is None:
            continue
        related = field.related_model
        assert isinstance(related, type)
        manager = related._default_manager
        queryset = manager.in_scope_of(user) if hasattr(manager, "in_scope_of") else manager.all()
        found = queryset.filter(pk=value).first()
        if found is None:
            errors[name] = [f"No {related._meta.verbose_name} with id {value}."]
        else:
            data[name] = found
    if errors:
        name, messages = next(iter(errors.items()))
        raise DomainError(f"{name}: {messages[0]}", fields=errors)
