"""The permission matrix of the purchasing API: every endpoint of the "Purchasing" tag × every
role, against what the role table grants (and nothing else).

Each call that changes something gets a fresh document in the state the action needs
(built as the system), so an allowed role's call succeeds and a refused one is a 403
before anything is looked at. The rows shared by all cases are built once for the module
inside a transaction rolled back at its end; each test's own writes are rolled back after it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from crossdock.core.roles import Role
from crossdock.masterdata.models import Partner
from crossdock.purchasing.models import ExceptionKind, PurchaseException
from crossdock.purchasing.services import matching, orders, receiving
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM
from tests.permission_matrix import (
    allows_all,
    assert_answer,
    module_matrix,
    role_endpoint_cases,
    tagged_operations,
)
from tests.purchasing.conftest import Buying

D = Decimal
ROLES = list(Role)
OFFER = "purchasing.supplierproduct"
ORDER = "purchasing.purchaseorder"
MATCH = "purchasing.billmatch"
TRANSFER = "inventory.transfer"
INVOICE = "accounting.invoice"
EXCEPTION = "purchasing.purchaseexception"
PARTNER = "masterdata.partner"
SETTINGS = "purchasing.purchasingsettings"


class Matrix:
    def __init__(self) -> None:
        company = factories.company("PUX", name="Purchasing matrix")
        self.buying = Buying(factories.warehouse(company))
        self.buying.supplier.email = "orders@matrix.example"
        self.buying.supplier.save()
        self.product = factories.product()
        self.offer = self.buying.offer(self.product, ("0", "5.00"), supplier_sku="MX-SKU")
        self.supplier_vat = "BE0999000111"
        Partner.objects.filter(pk=self.buying.supplier.pk).update(tax_id=self.supplier_vat)
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            users = {role: factories.user(role, companies=[company]) for role in ROLES}
        self.clients = {role: ApiClient(user) for role, user in users.items()}
        self.bills = 0

    # documents in the state each action needs, fresh per call
    def draft(self) -> int:
        return self.buying.order((self.product, "10", None), actor=SYSTEM).pk

    def approved(self) -> int:
        return orders.submit_purchase_order(SYSTEM, self.draft()).pk

    def confirmed(self) -> int:
        return orders.confirm_purchase_order(SYSTEM, self.approved()).pk

    def line(self, order_id: int) -> int:
        return orders.lock_order(order_id).lines.get().pk

    def received(self) -> int:
        order_id = self.approved()
        receiving.receive_purchase_order(
            SYSTEM, order_id, [receiving.ReceiptLine(self.line(order_id), D(10))]
        )
        return order_id

    def held_bill(self) -> int:
        """A draft vendor bill with a price variance, waiting in the AP queue."""
        order_id = self.received()
        self.bills += 1
        bill = matching.bill_purchase_order(
            SYSTEM, order_id, f"MX-{self.bills}", prices={self.line(order_id): D("9.00")}
        )
        return bill.pk

    def unconfirmed(self) -> int:
        """An open exception on an order sent a week ago and not confirmed."""
        order_id = orders.send_purchase_order(SYSTEM, self.approved()).pk
        item = PurchaseException.objects.create(
            company=self.buying.company,
            kind=ExceptionKind.UNCONFIRMED,
            order_id=order_id,
            owner=self.buying.buyer,
            severity=3,
            days=7,
            message="Not confirmed 7 days after it was sent.",
            suggested_action="Remind the supplier.",
            opened_at=timezone.now(),
        )
        return item.pk

    def offer_body(self, product: Any = None) -> dict[str, Any]:
        return {
            "company": self.buying.company.pk,
            "supplier": self.buying.supplier.pk,
            "product": (product or self.product).pk,
            "breaks": [{"min_quantity": "0", "unit_price": "5.00"}],
        }

    def order_body(self) -> dict[str, Any]:
        return {
            "supplier": self.buying.supplier.pk,
            "warehouse": self.buying.warehouse.pk,
            "lines": [{"product_id": self.product.pk, "quantity": "10"}],
        }


def _receive(c: ApiClient, m: Matrix) -> Any:
    order_id = m.approved()
    body = {"lines": [{"line_id": m.line(order_id), "quantity": "4", "lot_name": ""}]}
    return c.post(f"purchase-orders/{order_id}/receive", body)


def _bill(c: ApiClient, m: Matrix) -> Any:
    m.bills += 1
    return c.post(f"purchase-orders/{m.received()}/bill", {"partner_reference": f"B-{m.bills}"})


def _import(c: ApiClient, m: Matrix) -> Any:
    upload = SimpleUploadedFile(
        "catalogue.csv",
        f"supplier,product,unit_price\n{m.buying.supplier.code},{m.product.sku},5.10\n".encode(),
    )
    url = c.url(f"supplier-products/import?company={m.buying.company.pk}&dry_run=true")
    return c.client.post(url, {"file": upload})


def _import_bill(c: ApiClient, m: Matrix) -> Any:
    """A dry run of a minimal UBL invoice of the matrix supplier (dry: nothing is written)."""
    ubl = "urn:oasis:names:specification:ubl:schema:xsd:"
    invoice = f"""<Invoice xmlns="{ubl}Invoice-2"
        xmlns:cac="{ubl}CommonAggregateComponents-2" xmlns:cbc="{ubl}CommonBasicComponents-2">
      <cbc:ID>MX-UBL</cbc:ID><cbc:IssueDate>2026-01-05</cbc:IssueDate>
      <cbc:DocumentCurrencyCode>{m.buying.company.base_currency.code}</cbc:DocumentCurrencyCode>
      <cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme>
        <cbc:CompanyID>{m.supplier_vat}</cbc:CompanyID></cac:PartyTaxScheme></cac:Party>
      </cac:AccountingSupplierParty>
      <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity>2</cbc:InvoicedQuantity>
        <cac:Item><cbc:Name>x</cbc:Name><cac:SellersItemIdentification>
          <cbc:ID>MX-SKU</cbc:ID></cac:SellersItemIdentification></cac:Item>
        <cac:Price><cbc:PriceAmount>5.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
    </Invoice>"""
    upload = SimpleUploadedFile("bill.xml", invoice.encode())
    url = c.url(f"vendor-bills/import?company={m.buying.company.pk}&dry_run=true")
    return c.client.post(url, {"file": upload})


# name: (method, OpenAPI path, permissions needed, status when allowed, call)
ENDPOINTS: dict[str, tuple[str, str, list[tuple[str, str]], int, Any]] = {
    "list-offers": (
        "get", "/api/v1/supplier-products", [(OFFER, "view")], 200,
        lambda c, m: c.get("supplier-products"),
    ),
    "create-offer": (
        "post", "/api/v1/supplier-products", [(OFFER, "add")], 201,
        lambda c, m: c.post("supplier-products", m.offer_body(factories.product())),
    ),
    "get-offer": (
        "get", "/api/v1/supplier-products/{id}", [(OFFER, "view")], 200,
        lambda c, m: c.get(f"supplier-products/{m.offer.pk}"),
    ),
    "replace-offer": (
        "put", "/api/v1/supplier-products/{id}", [(OFFER, "change")], 200,
        lambda c, m: c.put(f"supplier-products/{m.offer.pk}", m.offer_body()),
    ),
    "update-offer": (
        "patch", "/api/v1/supplier-products/{id}", [(OFFER, "change")], 200,
        lambda c, m: c.patch(f"supplier-products/{m.offer.pk}", {"lead_time_days": 9}),
    ),
    "import-offers": (
        "post", "/api/v1/supplier-products/import", [(OFFER, "add"), (OFFER, "change")], 200,
        lambda c, m: _import(c, m),
    ),
    "list-orders": (
        "get", "/api/v1/purchase-orders", [(ORDER, "view")], 200,
        lambda c, m: c.get("purchase-orders"),
    ),
    "create-order": (
        "post", "/api/v1/purchase-orders", [(ORDER, "add")], 201,
        lambda c, m: c.post("purchase-orders", m.order_body()),
    ),
    "get-order": (
        "get", "/api/v1/purchase-orders/{id}", [(ORDER, "view")], 200,
        lambda c, m: c.get(f"purchase-orders/{m.draft()}"),
    ),
    "revise-order": (
        "put", "/api/v1/purchase-orders/{id}/lines", [(ORDER, "change")], 200,
        lambda c, m: c.put(f"purchase-orders/{m.draft()}/lines",
                           {"lines": [{"product_id": m.product.pk, "quantity": "20"}]}),
    ),
    "submit-order": (
        "post", "/api/v1/purchase-orders/{id}/submit", [(ORDER, "change")], 200,
        lambda c, m: c.post(f"purchase-orders/{m.draft()}/submit"),
    ),
    "send-order": (
        "post", "/api/v1/purchase-orders/{id}/send", [(ORDER, "change")], 200,
        lambda c, m: c.post(f"purchase-orders/{m.approved()}/send"),
    ),
    "confirm-order": (
        "post", "/api/v1/purchase-orders/{id}/confirm", [(ORDER, "change")], 200,
        lambda c, m: c.post(f"purchase-orders/{m.approved()}/confirm", {}),
    ),
    "cancel-order": (
        "post", "/api/v1/purchase-orders/{id}/cancel", [(ORDER, "change")], 200,
        lambda c, m: c.post(f"purchase-orders/{m.confirmed()}/cancel", {"reason": "x"}),
    ),
    "close-order": (
        "post", "/api/v1/purchase-orders/{id}/close", [(ORDER, "change")], 200,
        lambda c, m: c.post(f"purchase-orders/{m.received()}/close", {}),
    ),
    "receive-order": (
        "post", "/api/v1/purchase-orders/{id}/receive", [(ORDER, "view"), (TRANSFER, "add")],
        201, _receive,
    ),
    "bill-order": (
        "post", "/api/v1/purchase-orders/{id}/bill", [(ORDER, "view"), (INVOICE, "add")],
        201, _bill,
    ),
    "order-pdf": (
        "get", "/api/v1/purchase-orders/{id}/pdf", [(ORDER, "view")], 200,
        lambda c, m: c.get(f"purchase-orders/{m.draft()}/pdf"),
    ),
    "expected-receipts": (
        "get", "/api/v1/expected-receipts", [(ORDER, "view")], 200,
        lambda c, m: c.get("expected-receipts"),
    ),
    "list-matches": (
        "get", "/api/v1/bill-matches", [(MATCH, "view")], 200,
        lambda c, m: c.get("bill-matches"),
    ),
    "get-match": (
        "get", "/api/v1/bill-matches/{invoice_id}", [(MATCH, "view")], 200,
        lambda c, m: c.get(f"bill-matches/{m.held_bill()}"),
    ),
    "rematch": (
        "post", "/api/v1/bill-matches/{invoice_id}/match", [(MATCH, "change"), (INVOICE, "change")],
        200, lambda c, m: c.post(f"bill-matches/{m.held_bill()}/match"),
    ),
    "accept-variance": (
        "post", "/api/v1/bill-matches/{invoice_id}/accept", [(MATCH, "change")], 200,
        lambda c, m: c.post(f"bill-matches/{m.held_bill()}/accept", {"note": "agreed"}),
    ),
    "request-credit": (
        "post", "/api/v1/bill-matches/{invoice_id}/request-credit", [(MATCH, "change")], 200,
        lambda c, m: c.post(f"bill-matches/{m.held_bill()}/request-credit", {"note": "too much"}),
    ),
    "list-scorecards": (
        "get", "/api/v1/supplier-scorecards", [(ORDER, "view")], 200,
        lambda c, m: c.get(f"supplier-scorecards?company={m.buying.company.pk}"),
    ),
    "scorecard-trend": (
        "get", "/api/v1/supplier-scorecards/{supplier_id}/trend", [(ORDER, "view")], 200,
        lambda c, m: c.get(f"supplier-scorecards/{m.buying.supplier.pk}/trend?months=2"),
    ),
    "apply-risk-classes": (
        "post", "/api/v1/supplier-scorecards/apply-risk-classes",
        [(ORDER, "view"), (PARTNER, "change")], 200,
        lambda c, m: c.post("supplier-scorecards/apply-risk-classes",
                            {"company": m.buying.company.pk}),
    ),
    "list-exceptions": (
        "get", "/api/v1/purchase-exceptions", [(EXCEPTION, "view")], 200,
        lambda c, m: c.get("purchase-exceptions"),
    ),
    "refresh-exceptions": (
        "post", "/api/v1/purchase-exceptions/refresh", [(ORDER, "change")], 200,
        lambda c, m: c.post("purchase-exceptions/refresh"),
    ),
    "resend-order": (
        "post", "/api/v1/purchase-exceptions/{id}/resend-order",
        [(EXCEPTION, "view"), (ORDER, "change")], 200,
        lambda c, m: c.post(f"purchase-exceptions/{m.unconfirmed()}/resend-order"),
    ),
    "import-bill": (
        "post", "/api/v1/vendor-bills/import", [(INVOICE, "add"), (MATCH, "change")], 200,
        _import_bill,
    ),
    "get-settings": (
        "get", "/api/v1/purchasing-settings/{company_id}", [(SETTINGS, "view")], 200,
        lambda c, m: c.get(f"purchasing-settings/{m.buying.company.pk}"),
    ),
    "update-settings": (
        "patch", "/api/v1/purchasing-settings/{company_id}", [(SETTINGS, "change")], 200,
        lambda c, m: c.patch(
            f"purchasing-settings/{m.buying.company.pk}", {"over_receipt_percent": "5"}
        ),
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


def test_the_matrix_covers_every_purchasing_endpoint(db):
    ours = tagged_operations("Purchasing")
    from tests.purchasing.test_sourcing_api import ENDPOINTS as SOURCING

    # tests/purchasing/test_sourcing_api.py has the sourcing endpoints' own matrix.
    covered = [*ENDPOINTS.values(), *SOURCING.values()]
    assert ours == {(method, path) for method, path, *_ in covered}


def test_the_matrix_is_not_all_or_nothing():
    """The roles that may act differ per action: the matrix checks a real split."""
    for endpoint in ENDPOINTS:
        allowed = {role for role in ROLES if permitted(role, endpoint)}
        assert allowed, endpoint
        assert allowed != set(ROLES), endpoint
    assert permitted(Role.WAREHOUSE_OPERATOR, "receive-order")
    assert not permitted(Role.BUYER, "receive-order")
    assert permitted(Role.AP_CLERK, "bill-order")
    assert not permitted(Role.AR_CLERK, "bill-order")
    assert not permitted(Role.BUYER, "accept-variance")
    assert not permitted(Role.AUDITOR, "create-order")
    assert permitted(Role.WAREHOUSE_OPERATOR, "list-scorecards")
    assert not permitted(Role.SALES_REP, "apply-risk-classes")  # changes partners, sees no orders
    assert permitted(Role.BUYER, "resend-order")
    assert not permitted(Role.WAREHOUSE_OPERATOR, "list-exceptions")
    assert permitted(Role.AP_CLERK, "import-bill")
    assert not permitted(Role.BUYER, "import-bill")
    assert permitted(Role.BUYER, "get-settings")
    assert not permitted(Role.BUYER, "update-settings")
    assert permitted(Role.CONTROLLER, "update-settings")
