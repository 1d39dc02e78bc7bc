"""What every area's API permission-matrix test shares.

Each area's test module lists its endpoints with the permissions they need and a call
that exercises them, builds a ``Matrix`` (rows shared by all cases plus one API client
per role) and checks every role × endpoint against the role table. The shared parts
live here: the module-scoped fixture that builds the matrix inside a transaction rolled
back at the end of the module, the answer a role must get, and the operations of an
OpenAPI tag (so each module can prove it covers every endpoint of its tag).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from crossdock.core.roles import Role, role_allows

Need = tuple[str, str]


def module_matrix(build: Callable[[], Any]) -> Any:
    """A module-scoped ``matrix`` fixture: ``build()`` after the reference data, all of it
    rolled back when the module's tests are done."""

    @pytest.fixture(scope="module")
    def matrix(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                from crossdock.masterdata.reference import ensure_reference_data

                ensure_reference_data()
                yield build()
            finally:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)

    return matrix


def allows_all(role: Role, needs: Iterable[Need]) -> bool:
    """Whether the role table grants ``role`` every (model label, action) in ``needs``."""
    return all(role_allows(role, label, action) for label, action in needs)


def role_endpoint_cases(endpoints: Iterable[str]) -> list[Any]:
    """One test case per role × endpoint, named ``role-endpoint``."""
    names = list(endpoints)
    return [pytest.param(role, name, id=f"{role}-{name}") for role in Role for name in names]


def assert_answer(response: Any, *, allowed: int, permitted: bool, case: Any) -> None:
    """A permitted call gets ``allowed``; any other is a 403 problem with code ``forbidden``."""
    expected = allowed if permitted else 403
    assert response.status_code == expected, (case, response.content[:500])
    if expected == 403:
        assert response.json()["code"] == "forbidden", case


def tagged_operations(*tags: str) -> set[tuple[str, str]]:
    """The (method, path) pairs the OpenAPI document lists under any of ``tags``."""
    document = Client().get("/api/v1/openapi.json").json()
    return {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if set(tags) & set(operation.get("tags", []))
    }
