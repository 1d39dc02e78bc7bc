"""The sourcing API: its permission matrix (every endpoint × every role) and the flows
(requisition → order, RFQ → quotes → comparison → award), bad input and company isolation."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from crossdock.core.roles import Role
from crossdock.masterdata.models import Currency, ExchangeRate
from crossdock.purchasing.models import PurchaseOrder, PurchaseRequisition, SupplierQuote
from crossdock.purchasing.services import sourcing
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM
from tests.permission_matrix import allows_all, assert_answer, module_matrix, role_endpoint_cases
from tests.purchasing.conftest import Buying

D = Decimal
ROLES = list(Role)
REQUISITION = "purchasing.purchaserequisition"
RFQ = "purchasing.requestforquotation"
ORDER = "purchasing.purchaseorder"


def _later(days: int = 10) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


class Matrix:
    def __init__(self) -> None:
        company = factories.company("SRX", name="Sourcing matrix")
        self.buying = Buying(factories.warehouse(company))
        self.product = factories.product()
        self.buying.offer(self.product, ("0", "5.00"))
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}

    def requisition_body(self) -> dict[str, Any]:
        return {
            "warehouse": self.buying.warehouse.pk,
            "needed_by": _later(),
            "lines": [{"product": self.product.pk, "quantity": "10"}],
        }

    def draft(self) -> int:
        draft = sourcing.RequisitionDraft(
            warehouse_id=self.buying.warehouse.pk,
            needed_by=timezone.localdate() + datetime.timedelta(days=10),
            lines=[sourcing.RequisitionLineDraft(self.product.pk, D(10))],
        )
        return sourcing.create_requisition(SYSTEM, draft).pk

    def approved(self) -> int:
        return sourcing.submit_requisition(SYSTEM, self.draft()).pk

    def rfq_body(self) -> dict[str, Any]:
        return {
            "warehouse": self.buying.warehouse.pk,
            "suppliers": [self.buying.supplier.pk],
            "lines": [{"product": self.product.pk, "quantity": "10"}],
        }

    def draft_rfq(self) -> int:
        return sourcing.requisition_to_rfq(SYSTEM, self.approved(), [self.buying.supplier.pk]).pk

    def sent_rfq(self) -> int:
        return sourcing.send_rfq(SYSTEM, self.draft_rfq()).pk

    def quote_body(self, rfq_id: int) -> dict[str, Any]:
        line = sourcing.RfqLine.objects.get(rfq_id=rfq_id)
        return {
            "quotes": [
                {
                    "line": line.pk,
                    "supplier": self.buying.supplier.pk,
                    "unit_price": "4.80",
                    "lead_time_days": 5,
                }
            ]
        }

    def quoted_rfq(self) -> int:
        rfq_id = self.sent_rfq()
        line = sourcing.RfqLine.objects.get(rfq_id=rfq_id)
        sourcing.record_quotes(
            SYSTEM, rfq_id, [sourcing.QuoteDraft(line.pk, self.buying.supplier.pk, D("4.80"), 5)]
        )
        return rfq_id


def _quotes(c: ApiClient, m: Matrix) -> Any:
    rfq_id = m.sent_rfq()
    return c.post(f"rfqs/{rfq_id}/quotes", m.quote_body(rfq_id))


def _import_quotes(c: ApiClient, m: Matrix) -> Any:
    """A dry run of a one-row quote file (dry: nothing is written)."""
    rfq_id = m.sent_rfq()
    content = f"supplier,product,unit_price,lead_time_days\n{m.buying.supplier.code},"
    content += f"{m.product.sku},4.80,5\n"
    url = c.url(f"rfqs/{rfq_id}/quotes/import?dry_run=true")
    return c.client.post(url, {"file": SimpleUploadedFile("quotes.csv", content.encode())})


# name: (method, OpenAPI path, permissions needed, status when allowed, call)
ENDPOINTS: dict[str, tuple[str, str, list[tuple[str, str]], int, Any]] = {
    "list-requisitions": (
        "get", "/api/v1/purchase-requisitions", [(REQUISITION, "view")], 200,
        lambda c, m: c.get("purchase-requisitions"),
    ),
    "create-requisition": (
        "post", "/api/v1/purchase-requisitions", [(REQUISITION, "add")], 201,
        lambda c, m: c.post("purchase-requisitions", m.requisition_body()),
    ),
    "get-requisition": (
        "get", "/api/v1/purchase-requisitions/{id}", [(REQUISITION, "view")], 200,
        lambda c, m: c.get(f"purchase-requisitions/{m.draft()}"),
    ),
    "replace-requisition": (
        "put", "/api/v1/purchase-requisitions/{id}", [(REQUISITION, "change")], 200,
        lambda c, m: c.put(f"purchase-requisitions/{m.draft()}", m.requisition_body()),
    ),
    "submit-requisition": (
        "post", "/api/v1/purchase-requisitions/{id}/submit", [(REQUISITION, "change")], 200,
        lambda c, m: c.post(f"purchase-requisitions/{m.draft()}/submit"),
    ),
    "cancel-requisition": (
        "post", "/api/v1/purchase-requisitions/{id}/cancel", [(REQUISITION, "change")], 200,
        lambda c, m: c.post(f"purchase-requisitions/{m.draft()}/cancel", {"reason": "x"}),
    ),
    "convert-requisition": (
        "post", "/api/v1/purchase-requisitions/{id}/convert",
        [(REQUISITION, "change"), (ORDER, "add")], 201,
        lambda c, m: c.post(f"purchase-requisitions/{m.approved()}/convert"),
    ),
    "requisition-rfq": (
        "post", "/api/v1/purchase-requisitions/{id}/rfq",
        [(REQUISITION, "change"), (RFQ, "add")], 201,
        lambda c, m: c.post(f"purchase-requisitions/{m.approved()}/rfq",
                            {"suppliers": [m.buying.supplier.pk]}),
    ),
    "list-rfqs": (
        "get", "/api/v1/rfqs", [(RFQ, "view")], 200, lambda c, m: c.get("rfqs"),
    ),
    "create-rfq": (
        "post", "/api/v1/rfqs", [(RFQ, "add")], 201, lambda c, m: c.post("rfqs", m.rfq_body()),
    ),
    "get-rfq": (
        "get", "/api/v1/rfqs/{id}", [(RFQ, "view")], 200,
        lambda c, m: c.get(f"rfqs/{m.draft_rfq()}"),
    ),
    "send-rfq": (
        "post", "/api/v1/rfqs/{id}/send", [(RFQ, "change")], 200,
        lambda c, m: c.post(f"rfqs/{m.draft_rfq()}/send"),
    ),
    "cancel-rfq": (
        "post", "/api/v1/rfqs/{id}/cancel", [(RFQ, "change")], 200,
        lambda c, m: c.post(f"rfqs/{m.sent_rfq()}/cancel", {"reason": "x"}),
    ),
    "record-quotes": ("post", "/api/v1/rfqs/{id}/quotes", [(RFQ, "change")], 200, _quotes),
    "import-quotes": (
        "post", "/api/v1/rfqs/{id}/quotes/import", [(RFQ, "change")], 200, _import_quotes,
    ),
    "compare-quotes": (
        "get", "/api/v1/rfqs/{id}/comparison", [(RFQ, "view")], 200,
        lambda c, m: c.get(f"rfqs/{m.quoted_rfq()}/comparison"),
    ),
    "award-rfq": (
        "post", "/api/v1/rfqs/{id}/award", [(RFQ, "change"), (ORDER, "add")], 201,
        lambda c, m: c.post(f"rfqs/{m.quoted_rfq()}/award", {"supplier": m.buying.supplier.pk}),
    ),
}  # fmt: skip


matrix = module_matrix(Matrix)


def permitted(role: Role, endpoint: str) -> bool:
    return allows_all(role, ENDPOINTS[endpoint][2])


CASES = role_endpoint_cases(ENDPOINTS)


@pytest.mark.parametrize(("role", "endpoint"), CASES)
def test_permission_matrix(matrix, db, role, endpoint):
    _method, _path, _needs, allowed, call = ENDPOINTS[endpoint]
    response = call(matrix.clients[role], matrix)
    assert_answer(
        response, allowed=allowed, permitted=permitted(role, endpoint), case=(role, endpoint)
    )


def test_the_matrix_is_not_all_or_nothing():
    for endpoint in ENDPOINTS:
        allowed = {role for role in ROLES if permitted(role, endpoint)}
        assert allowed, endpoint
        assert allowed != set(ROLES), endpoint
    assert permitted(Role.WAREHOUSE_MANAGER, "create-requisition")
    assert permitted(Role.SALES_MANAGER, "submit-requisition")
    assert not permitted(Role.WAREHOUSE_MANAGER, "convert-requisition")
    assert not permitted(Role.WAREHOUSE_MANAGER, "list-rfqs")
    assert permitted(Role.AUDITOR, "compare-quotes")
    assert not permitted(Role.AUDITOR, "award-rfq")
    assert not permitted(Role.AUDITOR, "import-quotes")


# -- flows -------------------------------------------------------------------------------------


@pytest.fixture
def api(buying):
    return ApiClient(buying.buyer)


def test_a_requisition_is_requested_submitted_and_converted_over_the_api(buying, api):
    product = factories.product()
    buying.offer(product, ("0", "2.50"))
    body = {
        "warehouse": buying.warehouse.pk,
        "needed_by": _later(),
        "lines": [
            {"product": product.pk, "quantity": "4"},
            {"product": product.pk, "quantity": "6"},
        ],
    }
    created = api.post("purchase-requisitions", body, HTTP_IDEMPOTENCY_KEY="req-1")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["state"] == "draft"
    assert D(data["estimated_amount"]) == D("25.00")
    submitted = api.post(f"purchase-requisitions/{data['id']}/submit")
    assert submitted.json()["state"] == "approved"
    converted = api.post(f"purchase-requisitions/{data['id']}/convert")
    assert converted.status_code == 201, converted.content
    [order] = converted.json()["orders"]
    assert D(order["amount"]) == D("25.00")
    po = PurchaseOrder.objects.get(pk=order["id"])
    assert [(x.quantity, x.unit_price) for x in po.lines.all()] == [(D(10), D("2.50"))]
    assert api.get(f"purchase-requisitions/{data['id']}").json()["state"] == "ordered"


def test_bad_requisition_input_is_a_422_naming_the_fields_and_writes_nothing(buying, api):
    body = {
        "warehouse": buying.warehouse.pk,
        "needed_by": "2000-01-01",
        "lines": [{"product": factories.product().pk, "quantity": "0"}],
    }
    response = api.post("purchase-requisitions", body)
    assert response.status_code in (400, 422), response.content
    fields = response.json()["errors"]
    assert {"needed_by", "lines[0].quantity"} <= set(fields)
    assert PurchaseRequisition.objects.count() == 0


def test_quotes_the_comparison_and_the_award_over_the_api(buying, api):
    usd = Currency.objects.get(code="USD")
    ExchangeRate.objects.filter(currency=usd).delete()
    ExchangeRate.objects.create(
        currency=usd, quote_currency=buying.company.base_currency,
        valid_from=timezone.localdate() - datetime.timedelta(days=2), rate=D("1.0850"),
    )  # fmt: skip
    overseas = factories.partner(buying.company, is_customer=False, is_supplier=True, currency=usd)
    product = factories.product()
    created = api.post(
        "rfqs",
        {
            "warehouse": buying.warehouse.pk,
            "suppliers": [buying.supplier.pk, overseas.pk],
            "lines": [{"product": product.pk, "quantity": "100"}],
        },
    )
    assert created.status_code == 201, created.content
    rfq = created.json()
    line = rfq["lines"][0]["id"]
    assert api.post(f"rfqs/{rfq['id']}/send").json()["state"] == "sent"
    bad = api.post(
        f"rfqs/{rfq['id']}/quotes",
        {
            "quotes": [
                {"line": line, "supplier": overseas.pk, "unit_price": "-2", "lead_time_days": 3}
            ]
        },
    )
    assert bad.status_code in (400, 422), bad.content
    assert SupplierQuote.objects.count() == 0
    quoted = api.post(
        f"rfqs/{rfq['id']}/quotes",
        {
            "quotes": [
                {"line": line, "supplier": overseas.pk, "unit_price": "2.00",
                 "lead_time_days": 30, "estimated_landed_cost_percent": "10"},
                {"line": line, "supplier": buying.supplier.pk, "unit_price": "2.40",
                 "lead_time_days": 4},
            ]
        },
    )  # fmt: skip
    assert quoted.status_code == 200, quoted.content
    comparison = api.get(f"rfqs/{rfq['id']}/comparison").json()
    assert comparison["currency"] == "EUR"
    figures = {q["supplier"]: q for q in comparison["lines"][0]["quotes"]}
    far = figures[overseas.pk]
    assert D(far["unit_price_company"]) == D("2.17")  # 2.00 × 1.085
    assert D(far["landed_unit_price_company"]) == D("2.387")  # × 1.10
    assert D(far["line_total_company"]) == D("238.70")
    assert (far["cheapest"], far["fastest"]) == (True, False)
    assert (figures[buying.supplier.pk]["cheapest"], figures[buying.supplier.pk]["fastest"]) == (
        False,
        True,
    )
    awarded = api.post(
        f"rfqs/{rfq['id']}/award", {"awards": [{"line": line, "quote": far["quote"]}]}
    )
    assert awarded.status_code == 201, awarded.content
    [order] = awarded.json()["orders"]
    assert (order["supplier"], order["currency"], D(order["amount"])) == (
        overseas.pk,
        "USD",
        D("200.00"),
    )
    assert api.get(f"rfqs/{rfq['id']}").json()["state"] == "closed"


def test_another_companys_requisitions_and_rfqs_are_404(buying, company_b):
    product = factories.product()
    draft = sourcing.RequisitionDraft(
        warehouse_id=buying.warehouse.pk,
        needed_by=timezone.localdate(),
        lines=[sourcing.RequisitionLineDraft(product.pk, D(1))],
    )
    requisition = sourcing.create_requisition(SYSTEM, draft)
    rfq = sourcing.requisition_to_rfq(
        SYSTEM, sourcing.submit_requisition(SYSTEM, requisition.pk).pk, [buying.supplier.pk]
    )
    stranger = ApiClient(factories.user(Role.BUYER, companies=[company_b]))
    assert stranger.get(f"purchase-requisitions/{requisition.pk}").status_code == 404
    assert stranger.post(f"purchase-requisitions/{requisition.pk}/cancel", {}).status_code == 404
    assert stranger.get(f"rfqs/{rfq.pk}").status_code == 404
    assert stranger.get(f"rfqs/{rfq.pk}/comparison").status_code == 404
    assert stranger.post(f"rfqs/{rfq.pk}/send").status_code == 404
    assert stranger.get("purchase-requisitions").json()["items"] == []
    assert stranger.get("rfqs").json()["items"] == []
