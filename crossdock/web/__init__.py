"""The web shell: server-rendered pages with HTMX, configured from the record-type registry.

Design overview
---------------
A handful of generic views (list, detail, create, edit, delete, export,
import) serve every master-data record type described in
:mod:`crossdock.masterdata.registry`, NetBox-style. Every query starts from
``Model.objects.restrict(user, action)``; the company switcher only narrows
lists further. State changes go through the record type's service functions
with ``Actor.of(request.user)``; a :class:`~crossdock.core.errors.DomainError`
comes back onto the form and nothing is written.
"""
