"""The approvals screens with Django's test client: inbox, decisions, policies, delegations."""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crossdock.approvals import services
from crossdock.approvals.documents import VENDOR_ONBOARDING
from crossdock.approvals.models import ApprovalPolicy, ApprovalRequest, Delegation
from crossdock.approvals.policies import LevelDraft
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.masterdata.models import Partner
from tests import factories
from tests.approvals.conftest import HIGH_RISK

RISKY = {"field": "supplier_risk_class", "op": "in", "value": ["medium", "high"]}
HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def web(people):
    """``web("head")`` → a test client signed in as one of the ``people``."""
    return lambda name: client_for(people[name])


@pytest.fixture
def head_policy(people, make_policy):
    return make_policy(RISKY, LevelDraft(name="Head", rule="user", user_id=people["head"].pk))


def submitted(new_supplier, people, code="S1", risk="high"):
    supplier = new_supplier(people["buyer"], code=code, risk=risk)
    return services.request_for(VENDOR_ONBOARDING, supplier.pk)


def approve_url(request):
    return reverse("approvals:request_approve", args=[request.pk])


def reject_url(request):
    return reverse("approvals:request_reject", args=[request.pk])


# -- inbox and decisions ---------------------------------------------------------------------


def test_inbox_shows_my_open_steps_oldest_first_with_the_facts(
    web, people, head_policy, new_supplier
):
    first = submitted(new_supplier, people, "OLD", "high")
    second = submitted(new_supplier, people, "NEW", "medium")
    response = web("head").get(reverse("approvals:inbox"))
    assert response.status_code == 200
    cards = [card["request"].pk for card in response.context["cards"]]
    assert cards == [first.pk, second.pk]
    page = response.content.decode()
    assert "OLD Supplier OLD" in page
    assert "Judged on: Currency <strong>EUR</strong>" in page
    assert "High-risk supplier" in page  # the reason it cannot go in bulk
    assert "Inbox (2)" in page  # the sidebar badge
    assert page.count('name="ids"') == 1  # only the medium-risk one may go in bulk
    assert response.context["bulk_count"] == 1
    # Someone with nothing to decide sees an empty inbox.
    empty = web("second").get(reverse("approvals:inbox"))
    assert empty.context["cards"] == []
    assert "All caught up." in empty.content.decode()


def test_approve_with_one_post_and_back_to_the_inbox(web, people, head_policy, new_supplier):
    request = submitted(new_supplier, people)
    response = web("head").post(
        approve_url(request), {"next": reverse("approvals:inbox"), "comment": "ok"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:inbox")
    request.refresh_from_db()
    assert request.status == "approved"
    assert Partner.objects.get(code="S1").approval_status == "approved"


def test_htmx_approve_swaps_the_card_for_the_outcome(web, people, head_policy, new_supplier):
    request = submitted(new_supplier, people)
    prefix = f"r{request.pk}"
    response = web("head").post(
        approve_url(request), {"prefix": prefix, f"{prefix}-comment": ""}, **HTMX
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert f'id="request-{request.pk}"' in fragment
    assert "Approved" in fragment
    assert "Fully approved" in fragment
    assert "<html" not in fragment


def test_reject_requires_a_comment(web, people, head_policy, new_supplier):
    request = submitted(new_supplier, people)
    prefix = f"r{request.pk}"
    head = web("head")
    refused = head.post(reject_url(request), {"prefix": prefix, f"{prefix}-comment": " "}, **HTMX)
    assert refused.status_code == 200  # HTMX swaps 2xx only: the card comes back with the reason
    assert "say why you reject" in refused.content.decode()
    assert 'hx-post="' in refused.content.decode()  # still a card to act on
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"

    without_htmx = head.post(reject_url(request), {"comment": ""})
    assert without_htmx.status_code == 302
    follow = head.get(without_htmx["Location"])
    assert "say why you reject" in follow.content.decode()
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"

    rejected = head.post(reject_url(request), {"comment": "No tax id on file."})
    assert rejected.status_code == 302
    assert ApprovalRequest.objects.get(pk=request.pk).status == "rejected"
    assert Partner.objects.get(code="S1").approval_status == "rejected"


def test_someone_without_a_step_is_refused_and_nothing_changes(
    web, people, head_policy, new_supplier
):
    request = submitted(new_supplier, people)
    entries = AuditEntry.objects.count()
    response = web("second").post(approve_url(request), {"comment": "sneaky"}, **HTMX)
    assert response.status_code == 200
    assert "no open approval step" in response.content.decode()
    response = web("second").post(approve_url(request), {})
    assert response.status_code == 302
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"
    assert AuditEntry.objects.count() == entries
    assert web("second").get(approve_url(request)).status_code == 405


def test_bulk_approve_takes_only_low_risk_items(web, people, head_policy, new_supplier):
    low_a = submitted(new_supplier, people, "LA", "medium")
    low_b = submitted(new_supplier, people, "LB", "medium")
    high = submitted(new_supplier, people, "HI", "high")
    head = web("head")
    refused = head.post(reverse("approvals:bulk_approve"), {"ids": [low_a.pk, high.pk]})
    assert refused.status_code == 302
    assert not ApprovalRequest.objects.filter(status="approved").exists()
    response = head.post(reverse("approvals:bulk_approve"), {"ids": [low_a.pk, low_b.pk]})
    assert response.status_code == 302
    statuses = dict(ApprovalRequest.objects.values_list("pk", "status"))
    assert statuses == {low_a.pk: "approved", low_b.pk: "approved", high.pk: "pending"}
    inbox = head.get(reverse("approvals:inbox"))
    assert "Approved 2 requests." in inbox.content.decode()


def test_notifications_are_listed_and_marked_read(web, people, head_policy, new_supplier):
    request = submitted(new_supplier, people)
    services.decide(services.Actor.of(people["head"]), request.pk, approve=True)
    buyer = web("buyer")
    page = buyer.get(reverse("approvals:inbox")).content.decode()
    assert "Approved: S1 Supplier S1" in page
    buyer.post(reverse("approvals:mark_read"))
    assert "Approved: S1 Supplier S1" not in buyer.get(reverse("approvals:inbox")).content.decode()


# -- requests --------------------------------------------------------------------------------


def test_request_detail_shows_context_steps_and_history(
    web, people, head_policy, new_supplier, company_a
):
    request = submitted(new_supplier, people)
    response = web("head").get(reverse("approvals:request_detail", args=[request.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your decision" in page
    assert "S1 Supplier S1" in page
    assert "Supplier risk class" in page
    assert "head-of-purchasing" in page  # the steps timeline
    assert response.context["document_url"].endswith(f"/partners/{request.document_id}/")
    # The controller reads the audit history too; the deputy may not decide.
    controller = web("controller").get(reverse("approvals:request_detail", args=[request.pk]))
    assert "approvals.submit" in controller.content.decode()
    assert "object_type=approvals.approvalrequest" in controller.content.decode()
    deputy = web("second").get(reverse("approvals:request_detail", args=[request.pk]))
    assert "Your decision" not in deputy.content.decode()
    listing = web("second").get(reverse("approvals:request_list"))
    assert [r["request"].pk for r in listing.context["rows"]] == [request.pk]


def test_other_companies_requests_are_404(people, head_policy, new_supplier, company_b):
    request = submitted(new_supplier, people)
    outsider = client_for(factories.user(Role.PURCHASING_MANAGER, companies=[company_b]))
    assert outsider.get(reverse("approvals:request_detail", args=[request.pk])).status_code == 404
    assert outsider.post(approve_url(request), {}).status_code == 404
    assert outsider.get(reverse("approvals:request_list")).context["rows"] == []
    assert outsider.get(reverse("approvals:policy_detail", args=[head_policy.pk])).status_code == (
        404
    )
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"


# -- policies --------------------------------------------------------------------------------


def editor_data(company, condition, levels, **extra):
    data = {
        "company": company.pk,
        "document_type": VENDOR_ONBOARDING,
        "name": "High-risk suppliers",
        "condition": condition if isinstance(condition, str) else json.dumps(condition),
        "levels-TOTAL_FORMS": len(levels),
        "levels-INITIAL_FORMS": 0,
        "levels-MIN_NUM_FORMS": 0,
        "levels-MAX_NUM_FORMS": 20,
    }
    for index, level in enumerate(levels):
        row = {"mode": "parallel", "min_approvals": 1, "manager_depth": 1, **level}
        data.update({f"levels-{index}-{name}": value for name, value in row.items()})
    return data | extra


PURCHASING_LEVEL = {"name": "Purchasing", "rule": "role", "role": "purchasing-manager"}


def test_policy_editor_shows_errors_per_path_and_level(web, people, company_a):
    controller = web("controller")
    url = reverse("approvals:policy_create")
    assert controller.get(url).status_code == 200

    not_json = controller.post(url, editor_data(company_a, "{oops", [PURCHASING_LEVEL]))
    assert not_json.status_code == 422
    assert "Not valid JSON" in not_json.content.decode()

    unknown = {"all": [HIGH_RISK, {"field": "amount", "op": ">", "value": "1"}]}
    response = controller.post(url, editor_data(company_a, unknown, [PURCHASING_LEVEL]))
    assert response.status_code == 422
    errors = response.context["form"].errors["condition"]
    assert any(e.startswith("condition.all[1].field: unknown field 'amount'") for e in errors)

    second_level = {"name": "Nobody", "rule": "role", "role": "sales-rep"}
    response = controller.post(
        url, editor_data(company_a, HIGH_RISK, [PURCHASING_LEVEL, second_level])
    )
    assert response.status_code == 422
    formset = response.context["formset"]
    assert formset.forms[0].non_field_errors() == []
    assert "No user could ever approve" in formset.forms[1].non_field_errors()[0]

    no_rule = controller.post(url, editor_data(company_a, HIGH_RISK, [{"name": "x", "rule": ""}]))
    assert no_rule.status_code == 422
    assert not ApprovalPolicy.objects.exists()


def test_policy_editor_saves_edits_and_adds_levels(web, people, company_a):
    controller = web("controller")
    created = controller.post(
        reverse("approvals:policy_create"),
        editor_data(
            company_a,
            HIGH_RISK,
            [
                PURCHASING_LEVEL,
                {
                    "name": "Controller",
                    "rule": "user",
                    "user": people["controller"].pk,
                    "sla_hours": 24,
                    "escalate_to": people["director"].pk,
                },
                {"name": "", "rule": ""},  # the blank extra row is left out
            ],
        ),
    )
    assert created.status_code == 302, created.context and created.context["form"].errors
    policy = ApprovalPolicy.objects.get()
    assert [(lv.name, lv.sla_hours) for lv in policy.levels.all()] == [
        ("Purchasing", None),
        ("Controller", 24),
    ]
    edit_url = reverse("approvals:policy_edit", args=[policy.pk])
    form = controller.get(edit_url)
    assert form.context["formset"].initial[1]["escalate_to"] == people["director"].pk

    more = editor_data(company_a, HIGH_RISK, [PURCHASING_LEVEL], add_level="1")
    grown = controller.post(edit_url, more)
    assert grown.status_code == 200
    assert len(grown.context["formset"].forms) == 2
    assert ApprovalPolicy.objects.get().version == 1  # adding a row saves nothing

    saved = controller.post(edit_url, editor_data(company_a, HIGH_RISK, [PURCHASING_LEVEL]))
    assert saved.status_code == 302
    assert ApprovalPolicy.objects.get().levels.count() == 1
    stale = controller.post(
        edit_url, editor_data(company_a, HIGH_RISK, [PURCHASING_LEVEL], version="1")
    )
    assert stale.status_code == 412
    assert "changed by someone else" in stale.content.decode()

    controller.post(reverse("approvals:policy_activate", args=[policy.pk]))
    assert ApprovalPolicy.objects.get().status == "active"
    detail = controller.get(reverse("approvals:policy_detail", args=[policy.pk]))
    assert "Retire" in detail.content.decode()
    controller.post(reverse("approvals:policy_retire", args=[policy.pk]))
    assert ApprovalPolicy.objects.get().status == "retired"


def test_activation_refusal_is_shown(web, people, make_policy, company_a):
    make_policy(HIGH_RISK, LevelDraft(name="Head", rule="user", user_id=people["head"].pk))
    controller = web("controller")
    controller.post(
        reverse("approvals:policy_create"),
        editor_data(company_a, RISKY, [PURCHASING_LEVEL], name="Wider"),
    )
    draft = ApprovalPolicy.objects.get(name="Wider")
    response = controller.post(reverse("approvals:policy_activate", args=[draft.pk]))
    follow = controller.get(response["Location"])
    assert "overlaps the active policy" in follow.content.decode()
    assert ApprovalPolicy.objects.get(pk=draft.pk).status == "draft"


def test_policy_pages_follow_the_roles(web, people, head_policy):
    buyer = web("buyer")
    assert buyer.get(reverse("approvals:policy_list")).status_code == 403
    assert buyer.get(reverse("approvals:metrics")).status_code == 403
    head = web("head")  # purchasing managers may look, not change
    assert head.get(reverse("approvals:policy_list")).status_code == 200
    assert head.get(reverse("approvals:policy_create")).status_code == 403
    assert head.get(reverse("approvals:policy_edit", args=[head_policy.pk])).status_code == 403
    response = head.post(reverse("approvals:policy_retire", args=[head_policy.pk]))
    assert response.status_code == 403
    assert ApprovalPolicy.objects.get(pk=head_policy.pk).status == "active"


def test_simulation_page_runs_a_saved_policy_or_a_posted_draft(
    web, people, head_policy, new_supplier, company_a
):
    for code, risk in (("A", "high"), ("B", "low"), ("C", "medium")):
        new_supplier(people["buyer"], code=code, risk=risk)
    head = web("head")
    response = head.get(reverse("approvals:simulate"), {"policy": head_policy.pk, "days": 7})
    assert response.status_code == 200
    outcome = response.context["result"]["outcome"]
    assert (response.context["result"]["days"], outcome.documents, len(outcome.matched)) == (
        7,
        3,
        2,
    )
    assert outcome.requests_per_approver == {"head-of-purchasing": 2}
    assert "would have needed approval" in response.content.decode()

    posted = head.post(reverse("approvals:simulate"), editor_data(company_a, HIGH_RISK, []))
    assert posted.status_code == 422
    assert "A policy needs at least one level." in posted.content.decode()
    assert ApprovalRequest.objects.count() == 2  # the two real ones, nothing simulated


# -- delegations and metrics -----------------------------------------------------------------


def test_delegations(web, people):
    head = web("head")
    url = reverse("approvals:delegations")
    today = timezone.now().date()
    backwards = head.post(
        url,
        {
            "delegate": people["second"].pk,
            "starts_on": today.isoformat(),
            "ends_on": (today - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert backwards.status_code == 422
    assert backwards.context["form"].errors["ends_on"] == [
        "The delegation must end on or after its start."
    ]
    response = head.post(
        url,
        {
            "delegate": people["second"].pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=5)).isoformat(),
            "reason": "Trade fair",
        },
    )
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.delegator, delegation.delegate) == (people["head"], people["second"])
    assert "Trade fair" in web("second").get(url).content.decode()  # "you stand in for"


def test_metrics_page(web, people, head_policy, new_supplier):
    request = submitted(new_supplier, people)
    services.decide(services.Actor.of(people["head"]), request.pk, approve=False, comment="no")
    response = web("controller").get(reverse("approvals:metrics"))
    assert response.status_code == 200
    (item,) = response.context["policies"]
    row = item["metrics"]
    assert (item["company"], row.requests, row.rejected, row.rejection_rate) == ("ACME", 1, 1, 1.0)
    assert "100 %" in response.content.decode()


def test_anonymous_users_sign_in_first(client, db):
    response = client.get(reverse("approvals:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
