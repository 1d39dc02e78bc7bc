"""The approver's flow in a real headless Chromium: sign in on a phone, open the inbox, decide."""

import re

import pytest

from crossdock.approvals import services
from crossdock.approvals.documents import VENDOR_ONBOARDING
from crossdock.approvals.models import ApprovalRequest
from crossdock.approvals.policies import LevelDraft
from crossdock.masterdata.models import Partner
from tests.browser import PHONE, expect

pytestmark = [
    pytest.mark.browser,
    # The live server reads committed data; tests/conftest.py reloads the reference data.
    pytest.mark.django_db(transaction=True),
]
PASSWORD = "correct-horse-battery-staple"
RISKY = {"field": "supplier_risk_class", "op": "in", "value": ["medium", "high"]}


def test_purchasing_manager_signs_in_and_decides_from_the_inbox(
    browser,
    people,
    make_policy,
    new_supplier,
):
    make_policy(RISKY, LevelDraft(name="Purchasing", rule="user", user_id=people["head"].pk))
    risky = new_supplier(people["buyer"], code="RISKY", risk="high")
    usual = new_supplier(people["buyer"], code="USUAL", risk="medium")
    risky_request = services.request_for(VENDOR_ONBOARDING, risky.pk)
    usual_request = services.request_for(VENDOR_ONBOARDING, usual.pk)

    page = browser.page(viewport=PHONE)
    page.goto("/approvals/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/approvals/"))
    page.get_by_label("Username").fill("head-of-purchasing")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/approvals/$"))
    expect(page.get_by_role("heading", name="Approvals inbox")).to_be_visible()
    expect(page.get_by_text("2 requests waiting for your decision")).to_be_visible()
    # htmx binds its handlers once the page has loaded; acting earlier submits the form
    page.wait_for_load_state("load")
    page.evaluate("window.notReloaded = true")

    first = page.locator(f"#request-{risky_request.pk}")
    expect(first).to_contain_text("RISKY Supplier RISKY")
    expect(first).to_contain_text("High-risk supplier")
    first.get_by_role("button", name="Approve").click()
    expect(first).to_contain_text("Approved")
    expect(first).to_contain_text("Fully approved")

    second = page.locator(f"#request-{usual_request.pk}")
    second.get_by_role("button", name="Reject").click()
    expect(second.get_by_role("alert")).to_contain_text("say why you reject")
    second.get_by_label("Comment").fill("We already buy this from two suppliers.")
    second.get_by_role("button", name="Reject").click()
    expect(second).to_contain_text("Rejected")
    expect(second).to_contain_text("Returned to the requester")

    # HTMX swapped the cards in place; the page itself never reloaded.
    assert page.evaluate("window.notReloaded") is True
    assert dict(ApprovalRequest.objects.values_list("pk", "status")) == {
        risky_request.pk: "approved",
        usual_request.pk: "rejected",
    }
    suppliers = Partner.objects.filter(is_supplier=True)
    assert dict(suppliers.values_list("code", "approval_status")) == {
        "RISKY": "approved",
        "USUAL": "rejected",
    }
    page.reload()
    expect(page.get_by_text("Nothing waits for your decision.")).to_be_visible()
    assert browser.js_errors == []
