"""Errors raised by services, shared by the API, the web UI and the tests.

Every service failure is a :class:`DomainError` with a stable :class:`ErrorCode`
and, where a field is at fault, a mapping of field name to messages. Entry
points turn it into a 4xx answer; nothing a user sends becomes a 500.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import ValidationError


class ErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not-found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    STALE_VERSION = "stale-version"
    IDEMPOTENCY_MISMATCH = "idempotency-key-reused"
    SEGREGATION_OF_DUTIES = "segregation-of-duties"
    PROTECTED = "protected"


class DomainError(Exception):
    """A business rule refused the request; nothing was written."""

    code: ErrorCode = ErrorCode.INVALID
    status = 422

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        code: ErrorCode | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code is not None:
            self.code = code

    @classmethod
    def of_fields(cls, problems: dict[str, list[str]]) -> DomainError:
        """The error for field problems, its message naming the first field and reason."""
        name, messages = next(iter(problems.items()))
        return cls(f"{name}: {messages[0]}", fields=problems)

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> DomainError:
        if hasattr(error, "error_dict"):
            fields = {
                name: [str(m) for e in errors for m in e.messages]
                for name, errors in error.error_dict.items()
            }
            first = next(iter(fields.items()))
            label = "" if first[0] == "__all__" else f"{first[0]}: "
            return cls(f"{label}{first[1][0]}", fields=fields)
        return cls("; ".join(error.messages), fields={"__all__": list(error.messages)})


class PermissionDeniedError(DomainError):
    code = ErrorCode.FORBIDDEN
    status = 403


class NotFoundError(DomainError):
    code = ErrorCode.NOT_FOUND
    status = 404


class StaleVersionError(DomainError):
    code = ErrorCode.STALE_VERSION
    status = 412


class ConflictError(DomainError):
    code = ErrorCode.CONFLICT
    status = 409


class SegregationOfDutiesError(PermissionDeniedError):
    code = ErrorCode.SEGREGATION_OF_DUTIES


def refuse_if(problems: dict[str, list[str]]) -> None:
    """Raise a :class:`DomainError` naming the first field at fault, if there is one."""
    if problems:
        raise DomainError.of_fields(problems)
