"""Access control: one mechanism for every view, endpoint, search and export.

Design overview
---------------
A user may act on a row when (1) one of their roles grants the action on the
row's model (Django permission ``app.action_model``) and (2) the row belongs to
a company — and, where the model is warehouse-bound, a warehouse — the user has
access to. :meth:`ScopedQuerySet.restrict` applies both as a queryset filter;
every list, detail, search, export and API query starts from it, so a row
outside the user's scope is simply not there (404, never 403 leaking
existence). Models declare how to reach their company with ``company_path``
(``None`` for group-wide reference data such as products and units) and,
optionally, their warehouse with ``warehouse_path``.

Company and warehouse access is provided by the masterdata app through
:func:`register_access_provider`, keeping ``core`` below ``masterdata``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.db.models import Q

from crossdock.core.errors import PermissionDeniedError

if TYPE_CHECKING:
    from crossdock.core.context import Actor

ACTIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True)
class Access:
    """The companies and warehouses a user may see (``None`` = no restriction)."""

    company_ids: frozenset[int] | None
    warehouse_ids: frozenset[int] | None


_access_provider: Callable[[Any], Access] | None = None


def register_access_provider(provider: Callable[[Any], Access]) -> None:
    global _access_provider
    _access_provider = provider


def access_of(user: Any) -> Access:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access(frozenset(), frozenset())
    if user.is_superuser or _access_provider is None:
        return Access(None, None)
    cached = getattr(user, "_crossdock_access", None)
    if cached is None:
        cached = _access_provider(user)
        user._crossdock_access = cached
    return cached


def permission_name(model: type[models.Model], action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def has_model_permission(user: Any, model: type[models.Model], action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.has_perm(permission_name(model, action)))


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet:
        """Only the rows ``user`` may ``action``: role permission and company/warehouse scope."""
        if not has_model_permission(user, self.model, action):
            return self.none()
        return self.in_scope_of(user)

    def in_scope_of(self, user: Any) -> ScopedQuerySet:
        """Rows in the companies (and warehouses) ``user`` may work in, whatever their roles.

        For checking a reference a user gives (a partner's company, a location's
        warehouse): roles decide what one may do to a model, scope decides which
        rows one may point at. Reads and writes use :meth:`restrict`.
        """
        model = self.model
        access = access_of(user)
        scoped = self
        company_path = getattr(model, "company_path", None)
        if company_path is not None and access.company_ids is not None:
            condition = Q(**{f"{company_path}__in": access.company_ids})
            if getattr(model, "company_optional", False):
                condition |= Q(**{f"{company_path}__isnull": True})
            scoped = scoped.filter(condition)
        warehouse_path = getattr(model, "warehouse_path", None)
        if warehouse_path is not None and access.warehouse_ids is not None:
            scoped = scoped.filter(
                Q(**{f"{warehouse_path}__in": access.warehouse_ids})
                | Q(**{f"{warehouse_path}__isnull": True})
            )
        return scoped


class ScopedModel(models.Model):
    """Base for business rows: scope declarations, version for optimistic locking."""

    company_path: ClassVar[str | None] = "company"
    company_optional: ClassVar[bool] = False
    warehouse_path: ClassVar[str | None] = None

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def company_id_value(self) -> int | None:
        path = self.company_path
        if path is None:
            return None
        if path == "pk":
            return self.pk
        value: Any = self
        for part in path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value.pk if isinstance(value, models.Model) else value

    def warehouse_id_value(self) -> int | None:
        path = self.warehouse_path
        if path is None:
            return None
        if path == "pk":
            return self.pk
        value: Any = self
        for part in path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value.pk if isinstance(value, models.Model) else value


def can_act_on(user: Any, instance: ScopedModel, action: str) -> bool:
    """Whether ``user`` may ``action`` this (possibly unsaved) row."""
    model = type(instance)
    if not has_model_permission(user, model, action):
        return False
    access = access_of(user)
    if instance.company_path == "pk" and instance.pk is None:
        return True  # a new legal entity: the role decides; its creator is given access
    company_id = instance.company_id_value()
    if access.company_ids is not None and instance.company_path is not None:
        if company_id is None:
            if not instance.company_optional:
                return False
        elif company_id not in access.company_ids:
            return False
    warehouse_id = instance.warehouse_id_value()
    return not (
        access.warehouse_ids is not None
        and warehouse_id is not None
        and warehouse_id not in access.warehouse_ids
    )


def require(actor: Actor, instance: ScopedModel, action: str) -> None:
    """Raise :class:`PermissionDeniedError` unless the actor may act on the row.

    System actors (imports run by an operator, tasks, the demo loader) act with
    the authority of whoever started them and are not checked here.
    """
    if actor.user is None:
        return
    if not can_act_on(actor.user, instance, action):
        label = instance._meta.verbose_name
        raise PermissionDeniedError(f"You may not {action} this {label}.")
