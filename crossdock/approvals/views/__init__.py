"""The approvals screens: the approver inbox, requests, policies, simulation, delegations, metrics.

Every change goes through the engine's services with ``Actor.of(request.user)``;
a :class:`~crossdock.core.errors.DomainError` comes back onto the form (or the
inbox card) and nothing is written. Requests outside the user's companies are
404s (unless the user is asked to decide them); policy pages follow the role
table (``approvals.*_approvalpolicy``).

The inbox is built for a phone: one card per open step, oldest first, with the
document's key figures and the facts the policy judged; approve or reject
(with a comment) posts through HTMX and swaps the card for the outcome, and
low-risk items can be approved together.
"""
