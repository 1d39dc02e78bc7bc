"""The purchasing screens with Django's test client: who may open each page, forms that
refuse bad input on the field at fault and write nothing, the order actions, receiving
with a lot, billing into the match queue, and bounded queries on the list pages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.accounting.models import Invoice
from crossdock.core.context import Actor
from crossdock.core.roles import Role
from crossdock.inventory.models import Lot, Transfer
from crossdock.purchasing.models import (
    BillMatch,
    OrderState,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplierProduct,
)
from crossdock.purchasing.services import orders
from tests import factories
from tests.browser import client_for

D = Decimal


@pytest.fixture
def people(buying, company_b, warehouse_b):
    company = buying.company
    return {
        "buyer": buying.buyer,
        "operator": factories.user(
            Role.WAREHOUSE_OPERATOR, companies=[company], warehouses=[buying.warehouse]
        ),
        "clerk": factories.user(Role.AP_CLERK, companies=[company]),
        "rep": factories.user(Role.SALES_REP, companies=[company]),
        "outsider": factories.user(Role.BUYER, companies=[company_b]),
    }


@pytest.fixture
def stocked(buying):
    """A product on contract at 5.00 (10.00 below 100) and a lot-tracked one at 2.00."""
    bolts = factories.product("BOLT-M8", name="Bolts M8")
    cheese = factories.product("CHEESE-1", name="Gouda 1 kg", tracking="lot", shelf_life_days=90)
    buying.offer(bolts, ("0", "10.00"), ("100", "5.00"), moq="10", multiple="10")
    buying.offer(cheese, ("0", "2.00"))
    return {"bolts": bolts, "cheese": cheese}


def approved_order(buying, stocked, bolts="100", cheese="5"):
    order = buying.order((stocked["bolts"], bolts, None), (stocked["cheese"], cheese, None))
    return orders.submit_purchase_order(buying.actor, order.pk)


def order_form(buying, *lines, **header):
    data = {
        "supplier": str(buying.supplier.pk),
        "warehouse": str(buying.warehouse.pk),
        "expected_date": (datetime.date.today() + datetime.timedelta(days=5)).isoformat(),
        "note": "",
        "lines-TOTAL_FORMS": str(max(len(lines), 3)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        **header,
    }
    for index, (sku, quantity, price) in enumerate(lines):
        data |= {
            f"lines-{index}-sku": sku,
            f"lines-{index}-quantity": quantity,
            f"lines-{index}-unit_price": price,
        }
    return data


def management(prefix, total):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(total),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "2000",
    }


# -- who may open what --------------------------------------------------------------------------


def test_each_page_renders_for_an_allowed_role(buying, stocked, people):
    order = approved_order(buying, stocked)
    offer = SupplierProduct.objects.get(product=stocked["bolts"])
    buyer = client_for(people["buyer"])
    for url in (
        reverse("purchasing:order_list"),
        reverse("purchasing:order_create"),
        reverse("purchasing:order_detail", args=[order.pk]),
        reverse("purchasing:order_edit", args=[order.pk]),
        reverse("purchasing:order_confirm", args=[order.pk]),
        reverse("purchasing:receipts"),
        reverse("purchasing:catalogue"),
        reverse("purchasing:offer_create"),
        reverse("purchasing:offer_edit", args=[offer.pk]),
        reverse("purchasing:match_queue"),
    ):
        response = buyer.get(url)
        assert response.status_code == 200, url
    page = buyer.get(reverse("purchasing:order_list")).content.decode()
    assert 'href="/purchasing/"' in page  # the sidebar's Purchasing group
    assert order.reference in page
    operator = client_for(people["operator"])
    assert operator.get(reverse("purchasing:order_receive", args=[order.pk])).status_code == 200
    assert operator.get(reverse("purchasing:receipts")).status_code == 200
    clerk = client_for(people["clerk"])
    assert clerk.get(reverse("purchasing:order_bill", args=[order.pk])).status_code == 200
    assert clerk.get(reverse("purchasing:match_queue")).status_code == 200
    pdf = buyer.get(reverse("purchasing:order_pdf", args=[order.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    csv = buyer.get(reverse("purchasing:order_list") + "?format=csv").content.decode()
    assert csv.splitlines()[0].startswith("reference,supplier,warehouse,state")
    assert order.reference in csv


def test_a_role_without_purchasing_gets_403_and_no_sidebar_group(buying, stocked, people):
    order = approved_order(buying, stocked)
    rep = client_for(people["rep"])
    for url in (
        reverse("purchasing:order_list"),
        reverse("purchasing:order_create"),
        reverse("purchasing:order_detail", args=[order.pk]),
        reverse("purchasing:receipts"),
        reverse("purchasing:catalogue"),
        reverse("purchasing:match_queue"),
    ):
        assert rep.get(url).status_code == 403, url
    assert "Purchase orders" not in rep.get(reverse("web:home")).content.decode()
    operator = client_for(people["operator"])
    assert operator.get(reverse("purchasing:order_create")).status_code == 403
    assert operator.get(reverse("purchasing:order_edit", args=[order.pk])).status_code == 403
    assert operator.get(reverse("purchasing:match_queue")).status_code == 403
    assert (
        operator.post(reverse("purchasing:order_action", args=[order.pk, "cancel"])).status_code
        == 403
    )
    buyer = client_for(people["buyer"])
    assert buyer.get(reverse("purchasing:order_receive", args=[order.pk])).status_code == 403
    assert buyer.get(reverse("purchasing:order_bill", args=[order.pk])).status_code == 403


def test_an_order_of_another_company_is_not_found(buying, stocked, people):
    order = approved_order(buying, stocked)
    offer = SupplierProduct.objects.get(product=stocked["bolts"])
    outsider = client_for(people["outsider"])
    for url in (
        reverse("purchasing:order_detail", args=[order.pk]),
        reverse("purchasing:order_edit", args=[order.pk]),
        reverse("purchasing:order_pdf", args=[order.pk]),
        reverse("purchasing:order_confirm", args=[order.pk]),
        reverse("purchasing:offer_edit", args=[offer.pk]),
    ):
        assert outsider.get(url).status_code == 404, url
    assert (
        outsider.post(reverse("purchasing:order_action", args=[order.pk, "cancel"])).status_code
        == 404
    )
    listing = outsider.get(reverse("purchasing:order_list")).content.decode()
    assert order.reference not in listing
    order.refresh_from_db()
    assert order.state == OrderState.APPROVED


# -- the order form -----------------------------------------------------------------------------


def test_a_new_order_takes_the_catalogue_price_and_submits_without_a_policy(
    buying, stocked, people
):
    buyer = client_for(people["buyer"])
    response = buyer.post(
        reverse("purchasing:order_create"),
        order_form(buying, ("BOLT-M8", "120", ""), ("CHEESE-1", "4", "2.50")),
    )
    order = PurchaseOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("purchasing:order_detail", args=[order.pk])
    bolts, cheese = order.lines.order_by("sequence")
    assert bolts.unit_price == D("5.00")
    assert (cheese.unit_price, cheese.off_contract) == (D("2.50"), True)
    detail = buyer.get(response["Location"]).content.decode()
    assert "off contract" in detail
    assert 'type="submit">Submit</button>' in detail
    submitted = buyer.post(
        reverse("purchasing:order_action", args=[order.pk, "submit"]), follow=True
    ).content.decode()
    assert "No approval needed" in submitted
    order.refresh_from_db()
    assert order.state == OrderState.APPROVED


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        (("BOLT-M8", "15", ""), "lines-0-quantity", "order 10 or 20"),
        (("NO-SUCH", "5", "1"), "lines-0-sku", "No product with SKU NO-SUCH"),
        (("BOLT-M8", "abc", ""), "lines-0-quantity", "Enter a number"),
        (("BOLT-M8", "20", "-1"), "lines-0-unit_price", "negative"),
    ],
)
def test_a_bad_line_shows_the_error_on_its_field_and_writes_nothing(
    buying, stocked, people, line, field, message
):
    buyer = client_for(people["buyer"])
    response = buyer.post(reverse("purchasing:order_create"), order_form(buying, line))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-field="{field}"' in page
    assert message in page
    assert PurchaseOrder.objects.count() == 0
    assert PurchaseOrderLine.objects.count() == 0


def test_an_unknown_supplier_is_a_field_error(buying, stocked, people, company_b):
    foreign = factories.partner(company_b, is_supplier=True)
    buyer = client_for(people["buyer"])
    response = buyer.post(
        reverse("purchasing:order_create"),
        order_form(buying, ("BOLT-M8", "20", ""), supplier=str(foreign.pk)),
    )
    assert response.status_code == 200
    assert 'data-field="supplier"' in response.content.decode()
    assert PurchaseOrder.objects.count() == 0


def test_editing_a_draft_saves_its_lines_and_a_stale_version_is_refused(buying, stocked, people):
    order = buying.order((stocked["bolts"], "20", None))
    buyer = client_for(people["buyer"])
    url = reverse("purchasing:order_edit", args=[order.pk])
    data = order_form(buying, ("BOLT-M8", "30", ""), version=str(order.version), reason="")
    assert buyer.post(url, data).status_code == 302
    order.refresh_from_db()
    assert order.lines.get().quantity == D(30)
    stale = buyer.post(url, {**data, "lines-0-quantity": "40"})
    assert stale.status_code == 200
    assert "changed by someone else" in stale.content.decode()
    assert order.lines.get().quantity == D(30)


def test_editing_an_approved_order_makes_a_revision_shown_on_the_detail(buying, stocked, people):
    order = approved_order(buying, stocked)
    buyer = client_for(people["buyer"])
    data = order_form(
        buying, ("BOLT-M8", "200", ""), ("CHEESE-1", "5", ""),
        version=str(order.version), reason="More bolts",
    )  # fmt: skip
    response = buyer.post(reverse("purchasing:order_edit", args=[order.pk]), data)
    assert response.status_code == 302
    detail = buyer.get(response["Location"]).content.decode()
    assert "More bolts" in detail
    assert "BOLT-M8: quantity" in detail
    order.refresh_from_db()
    assert (order.revision, order.state) == (1, OrderState.APPROVED)


# -- confirming, receiving, billing -------------------------------------------------------------


def test_confirm_records_the_supplier_dates_and_a_bad_date_is_refused(buying, stocked, people):
    order = approved_order(buying, stocked)
    first, second = order.lines.order_by("sequence")
    buyer = client_for(people["buyer"])
    url = reverse("purchasing:order_confirm", args=[order.pk])
    later = order.order_date + datetime.timedelta(days=12)
    data = {
        **management("lines", 2),
        "lines-0-line": first.pk, "lines-0-quantity": "100", "lines-0-date": later.isoformat(),
        "lines-1-line": second.pk, "lines-1-quantity": "4", "lines-1-date": "1999-01-01",
    }  # fmt: skip
    refused = buyer.post(url, data)
    assert refused.status_code == 200
    assert 'data-field="lines-1-date"' in refused.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.APPROVED
    data["lines-1-date"] = later.isoformat()
    assert buyer.post(url, data).status_code == 302
    second.refresh_from_db()
    assert (second.confirmed_quantity, second.confirmed_date) == (D(4), later)


def receive_data(order, *rows):
    lines = list(order.lines.order_by("sequence", "pk"))
    data = management("lines", len(lines))
    for index, line in enumerate(lines):
        quantity, lot, expiry = rows[index] if index < len(rows) else ("", "", "")
        data |= {
            f"lines-{index}-line": line.pk, f"lines-{index}-quantity": quantity,
            f"lines-{index}-lot": lot, f"lines-{index}-expires_on": expiry,
        }  # fmt: skip
    return data


def test_receiving_more_than_ordered_or_without_a_lot_is_refused_on_the_field(
    buying, stocked, people
):
    order = approved_order(buying, stocked)
    operator = client_for(people["operator"])
    url = reverse("purchasing:order_receive", args=[order.pk])
    over = operator.post(url, receive_data(order, ("150", "", ""), ("", "", "")))
    assert over.status_code == 200
    assert 'data-field="lines-0-quantity"' in over.content.decode()
    assert "more than the 100 ordered allows" in over.content.decode()
    no_lot = operator.post(url, receive_data(order, ("", "", ""), ("5", "", "")))
    assert no_lot.status_code == 200
    assert 'data-field="lines-1-lot"' in no_lot.content.decode()
    assert Transfer.objects.filter(origin=order.reference).count() == 0
    assert not PurchaseOrderLine.objects.filter(order=order, received_quantity__gt=0).exists()


def test_receive_with_a_lot_then_bill_at_the_order_price_posts(buying, stocked, people):
    order = approved_order(buying, stocked)
    expiry = datetime.date.today() + datetime.timedelta(days=60)
    operator = client_for(people["operator"])
    response = operator.post(
        reverse("purchasing:order_receive", args=[order.pk]),
        receive_data(order, ("100", "", ""), ("5", "LOT-7", expiry.isoformat())),
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.RECEIVED
    assert Lot.objects.get(product=stocked["cheese"], name="LOT-7").expires_on == expiry
    clerk = client_for(people["clerk"])
    url = reverse("purchasing:order_bill", args=[order.pk])
    lines = list(order.lines.order_by("sequence", "pk"))
    data = {
        "partner_reference": "", "date": datetime.date.today().isoformat(),
        **management("lines", 2), "lines-0-line": lines[0].pk, "lines-1-line": lines[1].pk,
    }  # fmt: skip
    missing = clerk.post(url, data)
    assert missing.status_code == 200
    assert 'data-field="partner_reference"' in missing.content.decode()
    assert Invoice.objects.count() == 0
    posted = clerk.post(url, {**data, "partner_reference": "SUP-001"}, follow=True)
    assert "is posted" in posted.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.BILLED
    assert BillMatch.objects.get().status == "matched"


def test_a_bill_above_the_order_price_waits_in_the_queue_and_credit_can_be_requested(
    buying, stocked, people
):
    order = approved_order(buying, stocked, cheese="5")
    expiry = datetime.date.today() + datetime.timedelta(days=60)
    client_for(people["operator"]).post(
        reverse("purchasing:order_receive", args=[order.pk]),
        receive_data(order, ("100", "", ""), ("5", "LOT-8", expiry.isoformat())),
    )
    lines = list(order.lines.order_by("sequence", "pk"))
    clerk = client_for(people["clerk"])
    data = {
        "partner_reference": "SUP-002", "date": datetime.date.today().isoformat(),
        **management("lines", 2), "lines-0-line": lines[0].pk, "lines-0-unit_price": "6.00",
        "lines-1-line": lines[1].pk,
    }  # fmt: skip
    held = clerk.post(reverse("purchasing:order_bill", args=[order.pk]), data, follow=True)
    assert "held in the AP match queue" in held.content.decode()
    match = BillMatch.objects.get()
    assert match.status == "price_variance"
    queue = clerk.get(reverse("purchasing:match_queue")).content.decode()
    assert f'data-match="{match.invoice_id}"' in queue
    assert "Price variance" in queue
    assert "price above the order price" in queue
    assert "6.000000" in queue
    assert "5.000000" in queue
    url = reverse("purchasing:match_action", args=[match.invoice_id, "credit"])
    empty = clerk.post(url, {"note": ""}, follow=True)
    assert "a note is required" in empty.content.decode()
    match.refresh_from_db()
    assert match.status == "price_variance"
    clerk.post(url, {"note": "Contract price is 5.00"})
    match.refresh_from_db()
    assert (match.status, match.resolution_note) == ("credit_requested", "Contract price is 5.00")
    rematched = clerk.post(
        reverse("purchasing:match_action", args=[match.invoice_id, "rematch"]), follow=True
    )
    assert "Matched again: price variance" in rematched.content.decode()
    outsider = client_for(people["outsider"])
    assert outsider.post(url, {"note": "x"}).status_code == 403  # a buyer only views matches


def test_cancel_and_close_follow_the_state(buying, stocked, people):
    order = approved_order(buying, stocked)
    buyer = client_for(people["buyer"])
    buyer.post(reverse("purchasing:order_action", args=[order.pk, "close"]))
    order.refresh_from_db()
    assert order.state == OrderState.APPROVED  # nothing received: it cannot be closed
    buyer.post(reverse("purchasing:order_action", args=[order.pk, "cancel"]), {"reason": "Dup"})
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert (
        buyer.post(reverse("purchasing:order_action", args=[order.pk, "nope"])).status_code == 404
    )


# -- the catalogue ------------------------------------------------------------------------------


def offer_form(buying, sku, *breaks, **extra):
    data = {
        "supplier": str(buying.supplier.pk), "sku": sku, "supplier_sku": "S-1",
        "minimum_quantity": "0", "order_multiple": "1", "lead_time_days": "5",
        "contract_reference": "", "preference": "1",
        "breaks-TOTAL_FORMS": "3", "breaks-INITIAL_FORMS": "0",
        "breaks-MIN_NUM_FORMS": "0", "breaks-MAX_NUM_FORMS": "50", **extra,
    }  # fmt: skip
    for index, (low, price) in enumerate(breaks):
        data |= {f"breaks-{index}-min_quantity": low, f"breaks-{index}-unit_price": price}
    return data


def test_a_catalogue_entry_is_added_with_breaks_and_a_bad_break_is_refused(buying, people):
    factories.product("NUT-M8", name="Nuts M8")
    buyer = client_for(people["buyer"])
    url = reverse("purchasing:offer_create")
    bad = buyer.post(url, offer_form(buying, "NUT-M8", ("0", "1.00"), ("0", "0.90")))
    assert bad.status_code == 200
    assert 'data-field="breaks-1-min_quantity"' in bad.content.decode()
    assert SupplierProduct.objects.count() == 0
    zero_pack = buyer.post(url, offer_form(buying, "NUT-M8", ("0", "1.00"), order_multiple="0"))
    assert 'data-field="order_multiple"' in zero_pack.content.decode()
    assert SupplierProduct.objects.count() == 0
    saved = buyer.post(url, offer_form(buying, "NUT-M8", ("0", "1.00"), ("100", "0.90")))
    assert saved.status_code == 302
    offer = SupplierProduct.objects.get()
    assert [b.unit_price for b in offer.breaks.order_by("min_quantity")] == [D("1"), D("0.9")]
    edit = reverse("purchasing:offer_edit", args=[offer.pk])
    changed = buyer.post(
        edit, offer_form(buying, "NUT-M8", ("0", "0.95"), version=str(offer.version))
    )
    assert changed.status_code == 302
    assert offer.breaks.get().unit_price == D("0.95")
    listing = buyer.get(reverse("purchasing:catalogue") + "?product=NUT").content.decode()
    assert "NUT-M8" in listing
    assert "0.95" in listing


# -- bounded queries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["purchasing:order_list", "purchasing:receipts", "purchasing:catalogue"]
)
def test_list_pages_make_a_bounded_number_of_queries(
    buying, stocked, people, name, django_assert_max_num_queries
):
    for _ in range(8):
        approved_order(buying, stocked)
    buyer = client_for(people["buyer"])
    buyer.get(reverse(name))  # warm the session and the permission caches
    with django_assert_max_num_queries(20):
        assert buyer.get(reverse(name)).status_code == 200


def test_match_queue_makes_a_bounded_number_of_queries(
    buying, stocked, people, django_assert_max_num_queries
):
    from crossdock.purchasing.services import matching, receiving

    for number in range(4):
        order = approved_order(buying, stocked, cheese="1")
        bolts = order.lines.get(product=stocked["bolts"])
        receiving.receive_purchase_order(
            Actor.of(people["operator"]), order.pk, [receiving.ReceiptLine(bolts.pk, D(100))]
        )
        clerk_actor = Actor.of(people["clerk"])
        matching.bill_purchase_order(
            clerk_actor,
            order.pk,
            f"SUP-{number}",
            prices={bolts.pk: D(9 + number)},  # totals differ: no duplicates
        )
    assert BillMatch.objects.filter(status="price_variance").count() == 4
    clerk = client_for(people["clerk"])
    clerk.get(reverse("purchasing:match_queue"))
    with django_assert_max_num_queries(20):
        page = clerk.get(reverse("purchasing:match_queue")).content.decode()
    assert page.count("data-status>Price variance") == 4
