"""The default approval policies sales creates when a company has none (credit release,
price exceptions, returns): saved and activated through the approvals policy service, so
they are checked and audited like any other policy."""

from __future__ import annotations

from decimal import Decimal

from crossdock.approvals.models import ApprovalPolicy
from crossdock.approvals.policies import set_policy_status
from crossdock.core.context import Actor
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.inventory.models import Transfer
from crossdock.sales.models import SalesOrderState
from crossdock.sales.services.credit import CREDIT_RELEASE
from tests import factories
from tests.sales.conftest import Selling

D = Decimal
POLICY_TYPE = "approvals.approvalpolicy"
NAME = "Credit release by a credit controller"


def _held(selling):
    product = factories.product()
    selling.price(product, "100.00")
    return selling.confirmed((product, "1", None))


def test_a_credit_hold_creates_the_default_policy_through_the_policy_service(warehouse_a):
    selling = Selling(warehouse_a, credit_limit="10")
    factories.user(Role.CREDIT_CONTROLLER, companies=[selling.company])
    order = _held(selling)
    assert order.state == SalesOrderState.CREDIT_HOLD
    policy = ApprovalPolicy.objects.get(company=selling.company, document_type=CREDIT_RELEASE)
    assert (policy.name, policy.status, policy.condition) == (NAME, "active", {"all": []})
    level = policy.levels.get()
    assert (level.rule, level.role, level.sequence) == ("role", "credit-controller", 1)
    entries = AuditEntry.objects.filter(object_type=POLICY_TYPE, object_id=str(policy.pk))
    assert list(entries.order_by("sequence").values_list("action", "actor_label")) == [
        ("create", f"system:default {CREDIT_RELEASE} policy"),
        ("approvals.policy.active", f"system:default {CREDIT_RELEASE} policy"),
    ]
    _held(selling)  # a second hold uses the active policy
    assert ApprovalPolicy.objects.filter(document_type=CREDIT_RELEASE).count() == 1


def test_without_a_credit_controller_no_policy_is_written_and_the_order_says_why(warehouse_a):
    selling = Selling(warehouse_a, credit_limit="10")
    order = _held(selling)
    assert order.state == SalesOrderState.CREDIT_HOLD
    assert f"No one can approve “{NAME}”" in order.hold_reason
    assert "No user could ever approve this level" in order.hold_reason
    assert not ApprovalPolicy.objects.filter(document_type=CREDIT_RELEASE).exists()
    assert not AuditEntry.objects.filter(object_type=POLICY_TYPE).exists()
    assert not Transfer.objects.filter(origin=order.reference).exists()


def test_a_retired_default_policy_is_brought_back_not_duplicated(warehouse_a):
    selling = Selling(warehouse_a, credit_limit="10")
    factories.user(Role.CREDIT_CONTROLLER, companies=[selling.company])
    _held(selling)
    policy = ApprovalPolicy.objects.get(document_type=CREDIT_RELEASE)
    set_policy_status(Actor.system("test"), policy.pk, ApprovalPolicy.Status.RETIRED)
    _held(selling)
    policy.refresh_from_db()
    assert ApprovalPolicy.objects.filter(document_type=CREDIT_RELEASE).count() == 1
    assert policy.status == ApprovalPolicy.Status.ACTIVE
    actions = AuditEntry.objects.filter(object_type=POLICY_TYPE).order_by("sequence")
    assert list(actions.values_list("action", flat=True)) == [
        "create",
        "approvals.policy.active",
        "approvals.policy.retired",
        "approvals.policy.save",
        "approvals.policy.active",
    ]
