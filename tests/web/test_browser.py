"""The flows people use, in a real headless Chromium against the live server."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from crossdock.core.models import AuditEntry
from crossdock.masterdata.models import Partner, UserAccess
from tests import factories
from tests.browser import PHONE

pytestmark = [
    pytest.mark.browser,
    # The live server reads committed data; tests/conftest.py reloads the reference data.
    pytest.mark.django_db(transaction=True),
]
PASSWORD = "correct-horse-battery-staple"


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_sign_in_with_a_wrong_then_the_right_password(browser, admin_user):
    page = browser.page()
    page.goto("/partners/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/partners/"))
    page.get_by_label("Username").fill("admin-test")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Please enter a correct username and password"
    )

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/partners/$"))
    expect(page.get_by_role("heading", name="Partners")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    assert browser.js_errors == []


def test_searching_products_refreshes_the_table_in_place(browser, admin_user):
    factories.product("BOLT-10", name="Hex bolt M10")
    factories.product("BOLT-12", name="Hex bolt M12")
    factories.product("RICE-5", name="Basmati rice")
    page = browser.page(admin_user)
    page.goto("/products/")
    table = page.locator("#record-table")
    expect(table).to_contain_text("RICE-5")
    page.evaluate("window.notReloaded = true")

    page.get_by_role("searchbox", name="Search").fill("bolt m12")
    expect(table).not_to_contain_text("RICE-5")
    expect(table).to_contain_text("BOLT-12")
    expect(table).not_to_contain_text("BOLT-10")
    expect(table.locator(".count")).to_contain_text("1–1 of 1")
    expect(page).to_have_url(re.compile(r"/products/\?q=bolt\+m12$"))
    # HTMX swapped the table; the page itself was not reloaded.
    assert page.evaluate("window.notReloaded") is True

    page.get_by_role("searchbox", name="Search").fill("")
    expect(table).to_contain_text("RICE-5")
    page.get_by_role("link", name="Name").click()
    expect(table.locator("tbody tr").first).to_contain_text("RICE-5")
    page.get_by_role("link", name="Name").click()
    expect(table.locator("tbody tr").first).to_contain_text("BOLT-12")
    assert browser.js_errors == []


def test_create_partner_with_an_error_then_fix_and_edit(browser, admin_user, company_a):
    page = browser.page(admin_user)
    page.goto("/partners/")
    page.get_by_role("link", name="New partner").click()
    page.get_by_label("Code").fill("WEB-1")
    page.get_by_label("Name", exact=True).fill("Web Customer")
    page.get_by_label("Is customer").check()
    expect(page.get_by_label("Currency")).to_have_value(str(company_a.base_currency_id))
    page.get_by_label("Credit limit").fill("-250")
    page.get_by_role("button", name="Save").click()

    field = page.locator('[data-field="credit_limit"]')
    expect(field.locator(".field-error")).to_have_text("Cannot be negative.")
    expect(page.get_by_label("Credit limit")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved.")
    assert not Partner.objects.filter(code="WEB-1").exists()

    page.get_by_label("Credit limit").fill("250.75")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="WEB-1 Web Customer")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("created")
    partner = Partner.objects.get(code="WEB-1")
    assert partner.credit_limit == Decimal("250.75")

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Web Customer Renamed")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="WEB-1 Web Customer Renamed")).to_be_visible()
    # The change is in the record's history, field by field.
    expect(page.locator("#history")).to_contain_text("Web Customer Renamed")
    partner.refresh_from_db()
    assert partner.version == 2
    assert AuditEntry.objects.filter(object_id=str(partner.pk), action="update").count() == 1
    assert browser.js_errors == []


def test_the_company_switcher_changes_the_lists(browser, admin_user, company_a, company_b):
    factories.partner(company_a, code="A-ONLY", name="Acme's customer")
    factories.partner(company_b, code="B-ONLY", name="Beta's customer")
    page = browser.page(admin_user)
    page.goto("/partners/")
    table = page.locator("#record-table")
    expect(table).to_contain_text("A-ONLY")
    expect(table).not_to_contain_text("B-ONLY")

    page.get_by_label("Current company").select_option(label="Beta Wholesale")
    expect(page.get_by_role("status")).to_contain_text("Now working in Beta Wholesale")
    expect(table).to_contain_text("B-ONLY")
    expect(table).not_to_contain_text("A-ONLY")
    assert UserAccess.objects.get(user=admin_user).current_company == company_b

    page.locator("#filter-company").select_option(label="All my companies")
    expect(table).to_contain_text("A-ONLY")
    expect(table).to_contain_text("B-ONLY")
    assert browser.js_errors == []


def test_on_a_phone_the_sidebar_is_a_menu_and_tables_scroll(browser, admin_user, company_a):
    for number in range(3):
        factories.partner(company_a, name=f"A partner with a rather long name {number}")
    page = browser.page(admin_user, viewport=PHONE)
    page.goto("/partners/")
    sidebar = page.locator("#sidebar")
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(sidebar).to_be_hidden()

    toggle.click()
    expect(sidebar).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    header = page.locator(".topbar").bounding_box()
    assert sidebar.bounding_box()["y"] >= header["y"] + header["height"] - 1, "menu under the bar"
    expect(sidebar.get_by_role("link", name="Products")).to_be_visible()
    sidebar.get_by_role("link", name="Products").click()
    expect(page).to_have_url(re.compile(r"/products/$"))
    expect(page.locator("#sidebar")).to_be_hidden()

    page.goto("/partners/")
    wrap = page.locator(".table-wrap")
    widths = wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] > widths[1], "the partner table should scroll sideways on a phone"
    # The page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert browser.js_errors == []
