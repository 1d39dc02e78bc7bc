"""Approvals demo: active policies in both operating companies and a filled inbox.

Run after the master-data demo (:func:`crossdock.masterdata.demo.load_demo`),
whose users (``buyer``, ``purchasing-manager``, ``controller``, ``executive``…)
and companies (NSE, NSUK) it uses. Everything goes through the services, as
the people involved, so the audit trail tells the story:

* the controller writes and activates, per company, *High-risk vendor
  onboarding* (purchasing manager within 24 h, else it escalates to the
  executive; then the controller) and *Vendor bank-detail change* (any change:
  the controller);
* the buyer onboards suppliers (two high-risk ones wait for the purchasing
  manager, a low-risk one is approved at once) and changes the bank details of
  two existing suppliers (one to an account in the supplier's own country, one
  to an account abroad, which the inbox flags);
* the purchasing manager has already approved one more high-risk supplier,
  which now waits for the controller;
* the controller also activates *Price cuts above 10 %* (the sales manager
  decides), and the sales rep proposes new prices on NSE's standard price
  list — one of them 15 % lower — which now wait in the sales manager's inbox.

It refuses nothing on a fresh demo database and does nothing when its policies
already exist, so calling it twice is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from crossdock.approvals import policies, services
from crossdock.approvals.documents import BANK_DETAIL_CHANGE, VENDOR_ONBOARDING
from crossdock.approvals.models import ApprovalPolicy, ApprovalRequest
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.context import Actor
from crossdock.core.models import User
from crossdock.core.records import create_record
from crossdock.masterdata import pricing
from crossdock.masterdata.models import (
    Company,
    Currency,
    Partner,
    PartnerBankAccount,
    PriceListItem,
)

ONBOARDING_POLICY = "High-risk vendor onboarding"
BANK_POLICY = "Vendor bank-detail change"
PRICE_CUT_POLICY = "Price cuts above 10 %"
PRICE_CUT = {"field": "discount_pct", "op": ">", "value": "10"}
PRICE_LIST = "NSE-STD"
# new price as a share of the current one: a deep cut, a small cut, a rise
PRICE_MOVES = (Decimal("0.85"), Decimal("0.95"), Decimal("1.03"))
HIGH_RISK = {"field": "supplier_risk_class", "op": "==", "value": "high"}
ANY_CHANGE: dict[str, Any] = {"all": []}
COMPANIES = ("NSE", "NSUK")
USERNAMES = ("buyer", "purchasing-manager", "controller", "executive", "sales-rep")
SLA_HOURS = 24
# Valid IBANs (the published examples of each country's format).
IBANS = {
    "NL": "NL91ABNA0417164300",
    "DE": "DE89370400440532013000",
    "BE": "BE68539007547034",
    "FR": "FR1420041010050500013M02606",
    "GB": "GB29NWBK60161331926819",
}
ABROAD_IBAN = "CY17002001280000001200527600"
# company, code, name, currency, risk class
NEW_SUPPLIERS = (
    ("NSE", "S-ONB-1", "Shenzhen Brightway Electronics Co., Ltd.", "USD", "high"),
    ("NSE", "S-ONB-2", "Baltic Timber Trading UAB", "EUR", "high"),
    ("NSE", "S-ONB-3", "Rotterdam Packaging B.V.", "EUR", "low"),
    ("NSUK", "S-ONB-4", "Anatolia Steel Sanayi A.S.", "EUR", "high"),
)
APPROVED_BY_MANAGER = "S-ONB-4"


@dataclass
class ApprovalsDemoResult:
    policies: int = 0
    pending_requests: int = 0
    approved_at_once: int = 0


def load_approvals_demo() -> ApprovalsDemoResult:
    """Create the demo policies and requests (see the module docstring); all or nothing."""
    result = ApprovalsDemoResult()
    with transaction.atomic():
        if ApprovalPolicy.objects.filter(name=ONBOARDING_POLICY).exists():
            return result
        people = {u.username: u for u in User.objects.filter(username__in=USERNAMES)}
        companies = {c.code: c for c in Company.objects.filter(code__in=COMPANIES)}
        for company in companies.values():
            result.policies += _create_policies(people, company)
        buyer = Actor.of(people["buyer"])
        for company_code, code, name, currency, risk in NEW_SUPPLIERS:
            supplier = _onboard(buyer, companies[company_code], code, name, currency, risk)
            if risk != "high":
                result.approved_at_once += 1
            elif code == APPROVED_BY_MANAGER:
                request = services.request_for(VENDOR_ONBOARDING, supplier.pk)
                assert request is not None
                services.decide(
                    Actor.of(people["purchasing-manager"]),
                    request.pk,
                    approve=True,
                    comment="Visited their plant in March; quality certificates on file.",
                )
        _change_bank_details(buyer, companies["NSE"])
        _propose_price_cut(Actor.of(people["sales-rep"]), companies["NSE"])
        result.pending_requests = ApprovalRequest.objects.filter(status="pending").count()
    return result


def _create_policies(people: dict[str, User], company: Company) -> int:
    controller = Actor.of(people["controller"])
    drafts = (
        PolicyDraft(
            company_id=company.pk,
            document_type=VENDOR_ONBOARDING,
            name=ONBOARDING_POLICY,
            condition=HIGH_RISK,
            levels=[
                LevelDraft(
                    name="Purchasing manager",
                    rule="role",
                    role="purchasing-manager",
                    sla_hours=SLA_HOURS,
                    escalate_to_id=people["executive"].pk,
                ),
                LevelDraft(name="Controller", rule="role", role="controller"),
            ],
        ),
        PolicyDraft(
            company_id=company.pk,
            document_type=BANK_DETAIL_CHANGE,
            name=BANK_POLICY,
            condition=ANY_CHANGE,
            levels=[LevelDraft(name="Controller", rule="role", role="controller")],
        ),
        PolicyDraft(
            company_id=company.pk,
            document_type=pricing.PRICE_LIST_CHANGE,
            name=PRICE_CUT_POLICY,
            condition=PRICE_CUT,
            levels=[LevelDraft(name="Sales manager", rule="role", role="sales-manager")],
        ),
    )
    for draft in drafts:
        policy = policies.save_policy(controller, draft)
        policies.set_policy_status(controller, policy.pk, ApprovalPolicy.Status.ACTIVE)
    return len(drafts)


def _onboard(
    buyer: Actor, company: Company, code: str, name: str, currency: str, risk: str
) -> Partner:
    return create_record(
        buyer,
        Partner,
        {
            "company": company,
            "code": code,
            "name": name,
            "is_supplier": True,
            "supplier_risk_class": risk,
            "currency": Currency.objects.get(code=currency),
        },
    )


def _change_bank_details(buyer: Actor, company: Company) -> None:
    """New bank accounts for two established suppliers: one at home, one abroad."""
    suppliers = (
        Partner.objects.filter(company=company, is_supplier=True, approval_status="approved")
        .exclude(supplier_risk_class="high")
        .prefetch_related("addresses")
        .order_by("code")
    )
    established = [s for s in suppliers if not s.code.startswith("S-ONB")]
    at_home = next((s for s in established if _country(s) in IBANS), None)
    abroad = next((s for s in established if s != at_home), None)
    changes = []
    if at_home is not None:
        changes.append((at_home, IBANS[_country(at_home)]))
    if abroad is not None:
        changes.append((abroad, ABROAD_IBAN))
    for supplier, iban in changes:
        create_record(
            buyer,
            PartnerBankAccount,
            {"partner": supplier, "iban": iban, "holder": supplier.name[:200]},
        )


def _propose_price_cut(rep: Actor, company: Company) -> None:
    """New prices for three products of the company's standard list, one of them 15 % lower."""
    items = list(
        PriceListItem.objects.filter(
            price_list__company=company, price_list__code=PRICE_LIST, min_quantity=1
        )
        .exclude(unit_price=0)
        .order_by("product__sku")[: len(PRICE_MOVES)]
    )
    if len(items) < len(PRICE_MOVES):
        return
    lines = [
        pricing.PriceLine(item.product_id, (item.unit_price * move).quantize(Decimal("0.01")))
        for item, move in zip(items, PRICE_MOVES, strict=True)
    ]
    change = pricing.propose_price_changes(
        rep, items[0].price_list_id, lines, "Match the spring campaign of our main competitor."
    )
    pricing.submit_price_change(rep, change.pk)


def _country(supplier: Partner | None) -> str:
    if supplier is None:
        return ""
    addresses = sorted(supplier.addresses.all(), key=lambda a: (not a.is_default, a.pk))
    return addresses[0].country if addresses else ""
