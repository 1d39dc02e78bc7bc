"""Audited create / update / delete of business records.

Design overview
---------------
Master data changes all follow one path, whatever the entry point (web form,
API, import, demo loader): open a transaction, check the actor's permission on
the row (before and after the change, so a row cannot be moved into a company
the actor cannot see), lock the row and compare its ``version`` (optimistic
concurrency), validate with ``full_clean`` (model invariants and unique
constraints), save, append the audit entry with before/after snapshots and
publish :class:`~crossdock.core.events.RecordChanged`. Any failure raises a
:class:`~crossdock.core.errors.DomainError` and leaves nothing written.

Domain services add their own steps (a new warehouse gets its locations) by
calling these functions inside their own transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, ProtectedError, RestrictedError

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import (
    ConflictError,
    DomainError,
    ErrorCode,
    NotFoundError,
    StaleVersionError,
)
from crossdock.core.permissions import ScopedModel, require

M = TypeVar("M", bound=ScopedModel)


@contextmanager
def integrity_as_domain_errors() -> Iterator[None]:
    """Turn database refusals that slipped past validation into clear 4xx errors."""
    try:
        yield
    except ValidationError as exc:
        raise DomainError.from_validation_error(exc) from exc
    except (ProtectedError, RestrictedError) as exc:
        blocking = {str(obj._meta.verbose_name_plural) for obj in list(exc.args[1])[:20]}
        raise DomainError(
            "It is still used by " + ", ".join(sorted(blocking)) + "; deactivate it instead.",
            code=ErrorCode.PROTECTED,
        ) from exc
    except IntegrityError as exc:
        raise ConflictError(
            "The change conflicts with existing data (a duplicate or a broken reference)."
        ) from exc


def _split(
    model: type[models.Model], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    m2m_names = {f.name for f in model._meta.many_to_many}
    plain = {k: v for k, v in data.items() if k not in m2m_names}
    m2m = {k: v for k, v in data.items() if k in m2m_names}
    unknown = [k for k in plain if not _is_field(model, k)]
    if unknown:
        raise DomainError(
            f"{unknown[0]}: unknown field.", fields={name: ["Unknown field."] for name in unknown}
        )
    return plain, m2m


def _is_field(model: type[models.Model], name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except Exception:
        return False
    return bool(field.concrete and getattr(field, "editable", True))


def _validate(instance: models.Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise DomainError.from_validation_error(exc) from exc


def create_record[M: ScopedModel](actor: Actor, model: type[M], data: Mapping[str, Any]) -> M:
    """Create and audit one row of ``model`` from field values."""
    plain, m2m = _split(model, data)
    with integrity_as_domain_errors(), transaction.atomic():
        instance = model(**plain)
        require(actor, instance, "add")
        _validate(instance)
        instance.save(force_insert=True)
        for name, values in m2m.items():
            getattr(instance, name).set(values)
        after = audit.snapshot(instance)
        audit.record(actor, audit.Change("create", instance, None, after))
        events.publish(
            events.RecordChanged(
                audit.object_type_of(instance),
                str(instance.pk),
                "created",
                company_id=audit.company_of(instance),
                actor_id=actor.user_id,
            )
        )
        return instance


def lock[M: ScopedModel](model: type[M], pk: Any) -> M:
    try:
        return cast(M, model.objects.select_for_update().get(pk=pk))
    except (model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFoundError(f"No {model._meta.verbose_name} with id {pk}.") from exc


def _check_version(instance: ScopedModel, expected_version: int | None) -> None:
    if expected_version is not None and instance.version != expected_version:
        raise StaleVersionError(
            f"This {instance._meta.verbose_name} was changed by someone else "
            f"(version {instance.version}, you edited version {expected_version}); "
            "reload and apply your change again.",
            fields={"version": ["Stale version."]},
        )


def update_record[M: ScopedModel](
    actor: Actor,
    model: type[M],
    pk: Any,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> M:
    """Change fields of one row under a row lock; refuse a stale ``expected_version``."""
    plain, m2m = _split(model, data)
    with integrity_as_domain_errors(), transaction.atomic():
        instance = lock(model, pk)
        require(actor, instance, "change")
        _check_version(instance, expected_version)
        before = audit.snapshot(instance)
        for name, value in plain.items():
            setattr(instance, name, value)
        require(actor, instance, "change")
        _validate(instance)
        instance.version = F("version") + 1
        instance.save()
        instance.refresh_from_db()
        for name, values in m2m.items():
            getattr(instance, name).set(values)
        after = audit.snapshot(instance)
        audit.record(actor, audit.Change("update", instance, before, after))
        events.publish(
            events.RecordChanged(
                audit.object_type_of(instance),
                str(instance.pk),
                "updated",
                company_id=audit.company_of(instance),
                actor_id=actor.user_id,
            )
        )
        return instance


def delete_record[M: ScopedModel](
    actor: Actor, model: type[M], pk: Any, *, expected_version: int | None = None
) -> None:
    """Delete one row (refused while other records still reference it)."""
    with integrity_as_domain_errors(), transaction.atomic():
        instance = lock(model, pk)
        require(actor, instance, "delete")
        _check_version(instance, expected_version)
        before = audit.snapshot(instance)
        object_id = str(instance.pk)
        company_id = audit.company_of(instance)
        with transaction.atomic():
            instance.delete()
        instance.pk = object_id  # keep the id for the audit entry
        audit.record(actor, audit.Change("delete", instance, before, None))
        events.publish(
            events.RecordChanged(
                audit.object_type_of(instance),
                object_id,
                "deleted",
                company_id=company_id,
                actor_id=actor.user_id,
            )
        )
