"""Who is acting and under which request id.

Services take the actor explicitly (an :class:`Actor`); the request id is the
only ambient value, set by the middleware or by a task/CLI wrapper, and only
used to tie audit entries of one request together.
"""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass
from typing import Any

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str | None = None) -> contextvars.Token[str]:
    return _request_id.set(value or uuid.uuid4().hex)


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


@dataclass(frozen=True)
class Actor:
    """The user (or system process) a service acts for."""

    user: Any | None
    label: str

    @classmethod
    def of(cls, user: Any) -> Actor:
        return cls(user=user, label=user.get_username())

    @classmethod
    def system(cls, label: str) -> Actor:
        """A background process (import, task, demo loader) acting without a user."""
        return cls(user=None, label=f"system:{label}")

    @property
    def user_id(self) -> int | None:
        return None if self.user is None else self.user.pk
