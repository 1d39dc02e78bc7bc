"""A warehouse operator receives goods by scanning GS1 labels on a phone, in real Chromium."""

from __future__ import annotations

import datetime
import re

import pytest

from crossdock.core.roles import Role
from crossdock.inventory.gs1 import GS
from crossdock.inventory.models import Lot, Quant, Transfer, TransferKind
from crossdock.masterdata.models import ProductBarcode
from tests import factories
from tests.browser import PHONE, expect
from tests.inventory.conftest import SYSTEM, Site

pytestmark = [
    pytest.mark.browser,
    # The live server reads committed data; tests/conftest.py reloads the reference data.
    pytest.mark.django_db(transaction=True),
]
GTIN = "09501101530003"


def test_operator_opens_a_receipt_scans_a_gs1_label_with_a_lot_and_validates(
    browser, warehouse_a, company_a
):
    site = Site(warehouse_a)
    cheese = factories.product("CHEESE-1", name="Gouda 1 kg", tracking="lot", shelf_life_days=90)
    ProductBarcode.objects.create(product=cheese, gtin=GTIN, unit=cheese.base_unit)
    receipt = site.transfer(
        TransferKind.RECEIPT, site.supplier, site.stock, [(cheese, "5", "4.00")]
    )
    move_id = receipt.moves.get().pk
    operator = factories.user(
        Role.WAREHOUSE_OPERATOR, companies=[company_a], warehouses=[warehouse_a]
    )
    expiry = datetime.date.today() + datetime.timedelta(days=60)

    page = browser.page(operator, viewport=PHONE)
    page.goto("/inventory/transfers/")
    page.get_by_role("link", name=receipt.reference).click()
    expect(page.get_by_role("heading", name=receipt.reference)).to_be_visible()
    page.get_by_role("link", name="Process by scanning").click()
    expect(page).to_have_url(re.compile(rf"/inventory/transfers/{receipt.pk}/process/$"))
    # htmx binds its handlers once the page has loaded; acting earlier submits the form
    page.wait_for_load_state("load")
    page.evaluate("window.notReloaded = true")

    scan = page.get_by_label("Scan")
    expect(scan).to_be_focused()
    # A GS1-128 label as the scanner sends it: symbology identifier, GS after the lot, count 2.
    scan.fill(f"]C101{GTIN}17{expiry:%y%m%d}10LOT-B7{GS}302")
    scan.press("Enter")
    expect(page.locator("[data-feedback]")).to_have_text(f"+2 CHEESE-1, LOT-B7, expires {expiry}")
    row = page.locator(f'tr[data-move="{move_id}"]')
    expect(row.locator("[data-done]")).to_have_text("2")
    # The label's printed text, typed: one more.
    scan = page.get_by_label("Scan")
    expect(scan).to_be_focused()
    scan.fill(f"(01){GTIN}(17){expiry:%y%m%d}(10)LOT-B7")
    scan.press("Enter")
    expect(row.locator("[data-done]")).to_have_text("3")
    expect(row).to_contain_text("LOT-B7")
    # A label with a wrong check digit is refused and counts nothing.
    page.get_by_label("Scan").fill(f"]C101{GTIN[:-1]}4")
    page.get_by_label("Scan").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("check digit")
    expect(row.locator("[data-done]")).to_have_text("3")
    expect(page.get_by_label("Scan")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True  # HTMX updated the page in place

    page.get_by_role("button", name="Validate").click()
    expect(page).to_have_url(re.compile(rf"/inventory/transfers/{receipt.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text(f"{receipt.reference} validated")
    expect(page.locator(".badge").first).to_have_text("Done")

    assert browser.js_errors == []

    lot = Lot.objects.get(product=cheese, name="LOT-B7")
    assert lot.expires_on == expiry
    assert Quant.objects.get(product=cheese, lot=lot, location=site.stock).quantity == 3
    backorder = Transfer.objects.get(backorder_of=receipt)
    assert backorder.moves.get().quantity == 2


def test_counter_counts_a_blind_sheet_on_a_phone_and_sees_the_difference_after_submit(
    browser, warehouse_a, company_a
):
    from crossdock.inventory.models import CountSheet
    from crossdock.inventory.services import counts

    site = Site(warehouse_a)
    bin_1 = site.bin("B1")
    bolts = factories.product("BOLT-9", name="Bolt M9")
    ProductBarcode.objects.create(product=bolts, gtin=GTIN, unit=bolts.base_unit)
    site.receive(bolts, "41", cost="2", into=bin_1)
    sheet = counts.create_count(
        SYSTEM,
        counts.CountDraft(warehouse_a.pk, "locations", [bin_1.pk], blind=True),
    )
    operator = factories.user(
        Role.WAREHOUSE_OPERATOR, companies=[company_a], warehouses=[warehouse_a]
    )

    page = browser.page(operator, viewport=PHONE)
    page.goto("/inventory/counts/")
    page.get_by_role("link", name=sheet.reference).click()
    page.get_by_role("button", name="Start counting").click()
    expect(page.locator("[data-blind]")).to_be_visible()
    page.get_by_role("link", name="Count", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/inventory/counts/{sheet.pk}/count/$"))
    expect(page.locator("#count-lines")).not_to_contain_text("41")

    scan = page.get_by_label("Scan")
    expect(scan).to_be_focused()
    scan.fill(bin_1.path)
    scan.press("Enter")
    expect(page.locator("[data-feedback]")).to_have_text(
        f"Location {bin_1.path}: scan the products."
    )
    page.get_by_label("Scan").fill(f"]C101{GTIN}")
    page.get_by_label("Scan").press("Enter")
    expect(page.locator("[data-feedback]")).to_contain_text("+1 BOLT-9")
    page.locator("details summary").click()
    page.get_by_label("Counted quantity").fill("39")
    page.get_by_label("Scan").fill(f"(01){GTIN}")
    page.get_by_label("Scan").press("Enter")
    expect(page.locator("[data-feedback]")).to_have_text(f"=39 BOLT-9 @ {bin_1.path}: 39 counted")
    expect(page.locator("#count-lines [data-counted]")).to_have_text("39")

    page.get_by_role("button", name="Submit count").click()
    expect(page).to_have_url(re.compile(rf"/inventory/counts/{sheet.pk}/$"))
    expect(page.get_by_role("heading", name="Differences")).to_be_visible()
    expect(page.locator("[data-difference]")).to_have_text("-2")
    expect(page.locator(".badge").first).to_have_text("Done")
    assert browser.js_errors == []

    sheet = CountSheet.objects.get(pk=sheet.pk)
    assert sheet.state == "done"
    assert Quant.objects.get(product=bolts, location=bin_1).quantity == 39
