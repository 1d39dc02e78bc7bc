"""Consistency checks run by ``crossdock audit``.

Each domain registers a check that recomputes its caches from the documents
(quants from moves, balances from journal lines) and returns every difference.
The audit trail's hash chain is the first check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crossdock.core.audit import verify_chain


@dataclass(frozen=True)
class Finding:
    check: str
    problem: str


Check = Callable[[], list[str]]
_checks: dict[str, Check] = {}


def register_check(name: str, check: Check) -> None:
    _checks[name] = check


def run_checks() -> tuple[list[str], list[Finding]]:
    """Run every registered check; return the names run and everything found."""
    findings: list[Finding] = []
    for name, check in _checks.items():
        findings.extend(Finding(name, problem) for problem in check())
    return list(_checks), findings


def _audit_chain() -> list[str]:
    return [f"audit entry #{p.sequence}: {p.problem}" for p in verify_chain()]


register_check("audit-trail hash chain", _audit_chain)
