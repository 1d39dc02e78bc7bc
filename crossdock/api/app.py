"""The ``/api/v1/`` NinjaAPI instance: authentication, error handling and routers.

See DESIGN.md, "API conventions". Every master-data record type of
:data:`~crossdock.masterdata.registry.RECORD_TYPES` is mounted at
``/api/v1/<slug>`` by the generic :mod:`crossdock.api.crud` builder; the
routers in :mod:`crossdock.api.routers` add the rest.
"""

from __future__ import annotations

from ninja import NinjaAPI

from crossdock.accounting.api import router as accounting_router
from crossdock.accounting.api_dunning import router as dunning_router
from crossdock.accounting.api_invoices import router as invoices_router
from crossdock.accounting.api_landed import router as landed_costs_router
from crossdock.accounting.api_payments import router as payments_router
from crossdock.accounting.api_statements import router as statements_router
from crossdock.api import errors
from crossdock.api.auth import session_auth, token_auth
from crossdock.api.crud import build_router
from crossdock.api.routers import audit, children, me
from crossdock.approvals.api import router as approvals_router
from crossdock.insight.api import router as kpis_router
from crossdock.insight.api_queues import router as exception_queues_router
from crossdock.insight.api_thresholds import router as queue_thresholds_router
from crossdock.inventory import api as inventory_api
from crossdock.masterdata.api_prices import router as price_lists_router
from crossdock.masterdata.registry import RECORD_TYPES
from crossdock.planning.api import router as replenishment_router
from crossdock.planning.api_setup import router as planning_setup_router
from crossdock.purchasing.api import router as purchasing_router
from crossdock.purchasing.api_settings import router as purchasing_settings_router
from crossdock.purchasing.api_sourcing import router as sourcing_router
from crossdock.quality.api import router as quality_router
from crossdock.sales.api import router as sales_router
from crossdock.sales.api_returns import router as sales_returns_router
from crossdock.sales.api_settings import router as sales_settings_router
from crossdock.service.api import router as service_cases_router
from crossdock.service.api_policies import router as sla_policies_router

DESCRIPTION = """\
The Crossdock REST API.

* **Authentication**: `Authorization: Bearer <token>` (an API token acts as its
  user, with that user's roles and companies), or the web session (CSRF token
  required on unsafe methods).
* **Errors** are RFC 9457 `application/problem+json` documents with a stable
  `code` and field-level `errors` (`{"credit_limit": ["..."]}`).
* **Foreign keys** are sent and returned under the field's own name as the
  related record's id (`"company": 3`, filter `?company=3`).
* **Money, quantities and rates** are decimal strings (`"12.50"`); JSON floats
  are refused because they are not exact.
* **Lists** are cursor-paginated: `{"items": [...], "next_cursor": "..."}`;
  pass `?cursor=` to continue. Filter by field (`?active=true`), search with
  `?q=`, sort with `?ordering=name` or `-name`.
* **Concurrency**: responses carry `ETag: "<version>"`; send it back as
  `If-Match` (or a `version` field) on PATCH/DELETE; a stale one is a 412.
* **Retries**: send `Idempotency-Key` on POST; a retry with the same key and
  body replays the first answer (`Idempotent-Replayed: true`).
"""

api = NinjaAPI(
    title="Crossdock API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[token_auth, session_auth],
)
errors.install(api)

api.add_router("", me.router)
api.add_router("", audit.router)
api.add_router("", children.router)
api.add_router("", inventory_api.router)
api.add_router("", approvals_router)
api.add_router("", accounting_router)
api.add_router("", payments_router)
api.add_router("/accounting", statements_router)
api.add_router("", landed_costs_router)
api.add_router("", invoices_router)
api.add_router("", dunning_router)
api.add_router("", price_lists_router)
api.add_router("", purchasing_router)
api.add_router("", sourcing_router)
api.add_router("", purchasing_settings_router)
api.add_router("", quality_router)
api.add_router("", sales_router)
api.add_router("", planning_setup_router)
api.add_router("", sales_returns_router)
api.add_router("", sales_settings_router)
api.add_router("", service_cases_router)
api.add_router("", sla_policies_router)
api.add_router("", kpis_router)
api.add_router("", exception_queues_router)
api.add_router("", queue_thresholds_router)
api.add_router("", replenishment_router)
for record_type in RECORD_TYPES:
    api.add_router(f"/{record_type.slug}", build_router(record_type))
