"""Document types wired into the approvals engine by this app.

Vendor onboarding: a new supplier waits in ``pending`` until its company's
policy approves it. Vendor bank-detail change: a new bank account stays
``pending`` and only becomes the account payments use once approved. Both
start from the master-data ``RecordChanged`` event, so every entry point (web,
API, import) is covered. Price-list changes are registered in
:mod:`crossdock.approvals.price_changes`; stock adjustments, purchase orders and
the rest register as their domains arrive.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from crossdock.approvals import registry
from crossdock.approvals.registry import DocumentType, FieldKind, FieldSpec
from crossdock.core import audit, events, sod
from crossdock.core.context import Actor
from crossdock.core.events import RecordChanged
from crossdock.core.models import User
from crossdock.masterdata.models import ApprovalStatus, Partner, PartnerBankAccount

VENDOR_ONBOARDING = "vendor-onboarding"
BANK_DETAIL_CHANGE = "vendor-bank-change"

_SUPPLIER_FIELDS = {
    "supplier_risk_class": registry.SUPPLIER_RISK,
    "currency": FieldSpec(FieldKind.TEXT, "Currency"),
    "country": FieldSpec(FieldKind.TEXT, "Country of the default address"),
}


def _supplier_facts(partner: Partner) -> dict[str, Any]:
    address = partner.addresses.order_by("-is_default", "id").first()
    return {
        "supplier_risk_class": partner.supplier_risk_class or None,
        "currency": partner.currency.code,
        "country": address.country if address else None,
    }


def _set_partner_status(actor: Actor, partner: Partner, status: str) -> None:
    before = {"approval_status": partner.approval_status}
    Partner.objects.filter(pk=partner.pk).update(approval_status=status)
    audit.record(
        actor,
        audit.Change("approvals.partner-status", partner, before, {"approval_status": status}),
    )


registry.register(
    DocumentType(
        code=VENDOR_ONBOARDING,
        label="Vendor onboarding",
        model=Partner,
        fields=_SUPPLIER_FIELDS,
        facts=_supplier_facts,
        company_id=lambda partner: partner.company_id,
        summary=lambda p: {
            "Supplier": f"{p.code} {p.name}",
            "Risk class": p.get_supplier_risk_class_display() or "not set",
            "Currency": p.currency.code,
            "Tax id": p.tax_id or "—",
        },
        on_approved=lambda actor, p: _set_partner_status(actor, p, ApprovalStatus.APPROVED),
        on_rejected=lambda actor, p, comment: _set_partner_status(
            actor, p, ApprovalStatus.REJECTED
        ),
    )
)


def _bank_facts(account: PartnerBankAccount) -> dict[str, Any]:
    facts = _supplier_facts(account.partner)
    facts["iban_country"] = account.iban[:2]
    facts["first_account"] = not account.partner.bank_accounts.filter(status="active").exists()
    return facts


def _activate_account(actor: Actor, account: PartnerBankAccount) -> None:
    PartnerBankAccount.objects.filter(partner=account.partner, status="active").update(
        status=PartnerBankAccount.Status.RETIRED
    )
    PartnerBankAccount.objects.filter(pk=account.pk).update(status=PartnerBankAccount.Status.ACTIVE)
    audit.record(actor, audit.Change("approvals.bank-account-active", account, None, None))


def _reject_account(actor: Actor, account: PartnerBankAccount, comment: str) -> None:
    PartnerBankAccount.objects.filter(pk=account.pk).update(
        status=PartnerBankAccount.Status.REJECTED
    )
    audit.record(
        actor, audit.Change("approvals.bank-account-rejected", account, None, {"comment": comment})
    )


registry.register(
    DocumentType(
        code=BANK_DETAIL_CHANGE,
        label="Vendor bank-detail change",
        model=PartnerBankAccount,
        fields={
            **_SUPPLIER_FIELDS,
            "iban_country": FieldSpec(FieldKind.TEXT, "Country of the IBAN"),
            "first_account": FieldSpec(FieldKind.BOOLEAN, "First bank account of the supplier"),
        },
        facts=_bank_facts,
        company_id=lambda account: account.partner.company_id,
        summary=lambda a: {
            "Supplier": f"{a.partner.code} {a.partner.name}",
            "New IBAN": a.iban,
            "BIC": a.bic or "—",
            "Holder": a.holder,
            "Current IBAN": next(
                iter(
                    a.partner.bank_accounts.filter(status="active").values_list("iban", flat=True)
                ),
                "none",
            ),
        },
        on_approved=_activate_account,
        on_rejected=_reject_account,
    )
)

sod.register_rule(
    sod.SodRule(
        code="VENDOR-EDIT-PAY",
        description="Whoever creates or edits a vendor must not approve payments to it.",
        first_action="update",
        second_action="accounting.payment.approve",
        first_permission="masterdata.change_partner",
        second_permission="accounting.approve_payment",
    )
)
sod.register_rule(
    sod.SodRule(
        code="BANK-REQUEST-APPROVE",
        description="Whoever requests a bank-detail change must not approve it.",
        first_action="create",
        second_action="approvals.approve",
        first_permission="masterdata.add_partnerbankaccount",
        second_permission="approvals.view_approvalrequest",
    )
)


def _actor_of(event: RecordChanged) -> Actor:
    user = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    return Actor.of(user) if user else Actor.system("approvals")


@events.subscribe(RecordChanged)
def route_new_suppliers_and_bank_accounts(event: events.DomainEvent) -> None:
    """Submit new suppliers and new bank accounts for approval, in the creating transaction."""
    from crossdock.approvals.services import submit

    if not isinstance(event, RecordChanged) or event.action != "created":
        return
    if event.object_type == "masterdata.partner":
        partner = Partner.objects.get(pk=event.object_id)
        if partner.is_supplier:
            _set_partner_status(_actor_of(event), partner, ApprovalStatus.PENDING)
            partner.refresh_from_db()
            submit(_actor_of(event), partner)
    elif event.object_type == "masterdata.partnerbankaccount":
        account = PartnerBankAccount.objects.select_related("partner").get(pk=event.object_id)
        assert transaction.get_connection().in_atomic_block
        submit(_actor_of(event), account)
