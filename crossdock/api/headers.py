"""The request headers API endpoints declare, so the OpenAPI document describes them.

``Idempotency-Key`` is honoured by :func:`crossdock.api.idempotency.idempotent` and
``If-Match`` by :func:`crossdock.api.http.expected_version`; declaring them here keeps
one wording for every endpoint. Use them as
``idempotency_key: IdempotencyKeyHeader = None`` and ``if_match: IfMatchHeader = None``.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Header

IDEMPOTENCY_DOC = "Any unique string; a retry with the same key replays the first answer."
IF_MATCH_DOC = 'The ETag of the version you edited (e.g. "3"); 412 if the record changed since.'

IdempotencyKeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", description=IDEMPOTENCY_DOC)
]
IfMatchHeader = Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DOC)]
