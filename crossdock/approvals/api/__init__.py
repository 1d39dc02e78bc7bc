"""The approvals REST API: policies, requests and decisions, delegations, budget owners, metrics.

Mounted under ``/api/v1/`` by :mod:`crossdock.api.app`, following its
conventions: problem+json errors (every check of
:func:`~crossdock.approvals.policies.check_draft` comes back as a 422 whose
``errors`` name the field, e.g. ``condition`` or ``levels[1]``), cursor
pagination, ETags with ``If-Match`` on updates and ``Idempotency-Key`` on
every POST that creates or acts.

Who may do what: policies and budget owners follow the role table
(``approvals.*_approvalpolicy`` / ``*_budgetowner``); requests are visible to
every role in its companies, and to whoever is asked to decide one. Deciding
is governed by the engine alone: only a user holding an open step (or standing
in for its approver) may approve or reject; anyone else gets a 403 and nothing
changes. A request outside the caller's companies is a 404.
"""

from crossdock.approvals.api import approvers, decisions, policies  # noqa: F401 - registers routes
from crossdock.approvals.api.common import router

__all__ = ["router"]
