"""Importing suppliers' quotes for an RFQ from CSV and XLSX: all rows or none, a dry run,
every bad row named with its row and column; the API and the screen on the RFQ page."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.purchasing.models import RfqLine, SupplierQuote
from crossdock.purchasing.services import sourcing
from crossdock.purchasing.services.quote_import import import_quotes
from tests import factories
from tests.api.conftest import ApiClient
from tests.browser import client_for
from tests.inventory.conftest import SYSTEM

D = Decimal


def _later(days: int = 14) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


class Quoting:
    """A sent RFQ to two suppliers for two products (the second on two lines)."""

    def __init__(self, buying, send: bool = True) -> None:
        self.buying = buying
        self.first = buying.supplier
        self.second = factories.partner(buying.company, is_customer=False, is_supplier=True)
        self.bolt = factories.product(sku="Q-BOLT")
        self.nut = factories.product(sku="Q-NUT")
        draft = sourcing.RfqDraft(
            warehouse_id=buying.warehouse.pk,
            supplier_ids=[self.first.pk, self.second.pk],
            needed_by=_later(),
            lines=[
                sourcing.RfqLineDraft(self.bolt.pk, D(100)),
                sourcing.RfqLineDraft(self.nut.pk, D(50)),
                sourcing.RfqLineDraft(self.nut.pk, D(500)),
            ],
        )
        rfq = sourcing.create_rfq(buying.actor, draft)
        self.rfq = sourcing.send_rfq(buying.actor, rfq.pk) if send else rfq
        self.lines = list(RfqLine.objects.filter(rfq=self.rfq).order_by("sequence", "pk"))

    def run(self, content: bytes, *, dry_run: bool = False, actor=None, name="q.csv"):
        return import_quotes(
            actor or self.buying.actor, self.rfq.pk, name, content, dry_run=dry_run
        )


@pytest.fixture
def quoting(buying):
    return Quoting(buying)


def _good(q: Quoting) -> bytes:
    a, b = q.first.code, q.second.code
    valid = _later(30).isoformat()
    return _csv(
        "Supplier,SKU,Quantity,Unit price,Currency,Lead time days,MOQ,Valid until,"
        "Landed cost percent,Note",
        f"{a},Q-BOLT,100,1.25,,10,50,{valid},4.5,frame deal",
        f"{a},Q-NUT,50,0.40,,7,,,,",
        f"{a},Q-NUT,500,0.35,,7,,,,",
        f"{b},Q-BOLT,,1.19,{q.buying.company.base_currency.code},21,100,,,",
    )


def test_a_dry_run_checks_every_row_and_writes_nothing(quoting):
    audit_before = AuditEntry.objects.count()
    result = quoting.run(_good(quoting), dry_run=True)
    assert (result.ok, result.dry_run, result.rows) == (True, True, 4)
    assert (result.created, result.replaced, result.errors) == (4, 0, [])
    assert not SupplierQuote.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_the_import_records_every_quote_with_its_fields(quoting):
    result = quoting.run(_good(quoting))
    assert (result.ok, result.created, result.replaced) == (True, 4, 0)
    bolt, nut_50, nut_500 = quoting.lines
    first = SupplierQuote.objects.get(line=bolt, supplier=quoting.first)
    assert (first.unit_price, first.lead_time_days, first.minimum_quantity) == (
        D("1.25"),
        10,
        D(50),
    )
    assert first.valid_until == _later(30)
    assert first.estimated_landed_cost_percent == D("4.5")
    assert first.note == "frame deal"
    assert first.currency == quoting.first.currency
    assert first.entered_by == quoting.buying.buyer
    assert SupplierQuote.objects.get(line=nut_50).unit_price == D("0.40")
    assert SupplierQuote.objects.get(line=nut_500).unit_price == D("0.35")
    assert SupplierQuote.objects.get(line=bolt, supplier=quoting.second).lead_time_days == 21
    assert AuditEntry.objects.filter(action="purchasing.rfq.quote").count() == 1


def test_importing_again_replaces_a_suppliers_quotes(quoting):
    code = quoting.first.code
    quoting.run(_csv("supplier,product,unit_price,lead_time_days", f"{code},Q-BOLT,2.00,5"))
    again = quoting.run(_csv("supplier,product,unit_price,lead_time_days", f"{code},Q-BOLT,1.80,4"))
    assert (again.ok, again.created, again.replaced) == (True, 0, 1)
    assert SupplierQuote.objects.get().unit_price == D("1.80")


def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_written(quoting):
    a = quoting.first.code
    outsider = factories.partner(quoting.buying.company, is_customer=False, is_supplier=True)
    content = _csv(
        "supplier,product,quantity,unit_price,lead_time_days,currency,valid_until,moq",
        f"{a},Q-BOLT,100,1.00,5,,,",  # fine
        f"{outsider.code},Q-BOLT,,1.00,5,,,",
        f"{a},NO-SUCH,,1.00,5,,,",
        f"{a},Q-NUT,,1.00,5,,,",  # on two lines: which one?
        f"{a},Q-NUT,75,1.00,5,,,",  # not a quantity the RFQ asks for
        f"{a},Q-BOLT,,abc,5,,,",
        f"{a},Q-BOLT,,1.00,two,,,",
        f"{a},Q-BOLT,,1.00,5,XXX,,",
        f"{a},Q-BOLT,,1.00,5,,31/12/2030,",
        f"{a},Q-BOLT,,1.00,5,,,lots",
    )
    result = quoting.run(content)
    assert result.ok is False
    found = {(e.row, e.field): e.message for e in result.errors}
    assert found == {
        (3, "supplier"): f"{outsider.code} was not asked on {quoting.rfq.reference}.",
        (4, "product"): "NO-SUCH is not asked for on this RFQ.",
        (5, "quantity"): "Q-NUT is on several lines; give the quantity to pick one.",
        (6, "quantity"): "The RFQ asks for 50 or 500 of Q-NUT; quote that quantity.",
        (7, "unit_price"): "'abc' is not a number.",
        (8, "lead_time_days"): "'two' is not a whole number of days.",
        (9, "currency"): "Unknown currency 'XXX'.",
        (10, "valid_until"): "'31/12/2030' is not a date (YYYY-MM-DD).",
        (11, "moq"): "'lots' is not a number.",
    }
    assert [e.row for e in result.errors] == sorted(e.row for e in result.errors)
    assert not SupplierQuote.objects.exists()


def test_the_quote_checks_of_the_rfq_are_reported_on_their_rows(quoting):
    a, b = quoting.first.code, quoting.second.code
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    content = _csv(
        "supplier,product,quantity,unit_price,lead_time_days,valid_until,landed_cost_percent",
        f"{a},Q-BOLT,,-1,5,,",
        f"{b},Q-BOLT,,1.00,5,{past},",
        f"{a},Q-NUT,50,1.00,5,,",
        f"{a},Q-NUT,50,1.10,5,,",
        f"{b},Q-NUT,500,1.00000001,5,,",
        f"{b},Q-NUT,50,1,4000,,0.123456",
    )
    result = quoting.run(content)
    assert result.ok is False
    found = {(e.row, e.field): e.message for e in result.errors}
    assert found[(2, "unit_price")] == "Cannot be negative."
    assert found[(3, "valid_until")] == "This quote has already expired."
    assert found[(5, "supplier")] == "Two quotes of this supplier for a line."
    assert found[(6, "unit_price")].startswith("At most")
    assert found[(7, "lead_time_days")] == "A whole number of days from 0 to 3650."
    assert found[(7, "landed_cost_percent")].startswith("At most")
    assert not SupplierQuote.objects.exists()


def test_a_currency_without_a_rate_today_is_refused_on_its_row(quoting):
    content = _csv(
        "supplier,product,unit_price,lead_time_days,currency",
        f"{quoting.first.code},Q-BOLT,1.00,5,JPY",
    )
    result = quoting.run(content)
    assert [(e.row, e.field) for e in result.errors] == [(2, "currency")]
    assert not SupplierQuote.objects.exists()


def test_missing_and_unknown_columns_are_refused(quoting):
    result = quoting.run(_csv("supplier,product,price,colour", "S,P,1,red"))
    assert {(e.row, e.field) for e in result.errors} == {(1, "colour"), (1, "lead_time_days")}
    empty = quoting.run(_csv("supplier,product,unit_price,lead_time_days"))
    assert [(e.row, e.message) for e in empty.errors] == [(0, "The file has no quotes.")]


def test_xlsx_files_are_read_too(quoting):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["supplier", "product", "unit_price", "lead_time_days", "moq"])
    sheet.append([quoting.first.code, "Q-BOLT", 2.35, 12, 25])
    data = io.BytesIO()
    book.save(data)
    result = quoting.run(data.getvalue(), name="q.xlsx")
    assert (result.ok, result.created) == (True, 1)
    quote = SupplierQuote.objects.get()
    assert (quote.unit_price, quote.lead_time_days, quote.minimum_quantity) == (
        D("2.35"),
        12,
        D(25),
    )


def test_quotes_are_only_imported_on_a_sent_rfq(buying):
    draft = Quoting(buying, send=False)
    content = _csv("supplier,product,unit_price,lead_time_days", f"{draft.first.code},Q-BOLT,1,5")
    with pytest.raises(ConflictError):
        draft.run(content)
    assert not SupplierQuote.objects.exists()


def test_permission_and_scope_are_checked(quoting, company_b):
    content = _csv("supplier,product,unit_price,lead_time_days", f"{quoting.first.code},Q-BOLT,1,5")
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[quoting.buying.company])
    with pytest.raises(PermissionDeniedError):
        quoting.run(content, actor=Actor.of(operator))
    auditor = factories.user(Role.AUDITOR, companies=[quoting.buying.company])
    with pytest.raises(PermissionDeniedError):
        quoting.run(content, actor=Actor.of(auditor))
    stranger = factories.user(Role.BUYER, companies=[company_b])
    with pytest.raises(NotFoundError):
        quoting.run(content, actor=Actor.of(stranger))
    assert not SupplierQuote.objects.exists()
    assert quoting.run(content, actor=SYSTEM).ok


# -- the API ----------------------------------------------------------------------------------


def _upload(client: ApiClient, rfq_id: int, content: bytes, *, dry_run: bool, name="q.csv"):
    url = client.url(f"rfqs/{rfq_id}/quotes/import" + ("?dry_run=true" if dry_run else ""))
    return client.client.post(url, {"file": SimpleUploadedFile(name, content)})


def test_the_api_checks_then_imports_quotes(quoting):
    api = ApiClient(quoting.buying.buyer)
    dry = _upload(api, quoting.rfq.pk, _good(quoting), dry_run=True)
    assert dry.status_code == 200, dry.content
    assert dry.json() == {
        "ok": True, "dry_run": True, "rows": 4, "created": 4, "replaced": 0, "errors": [],
    }  # fmt: skip
    assert not SupplierQuote.objects.exists()
    done = _upload(api, quoting.rfq.pk, _good(quoting), dry_run=False)
    assert done.status_code == 200, done.content
    assert done.json()["created"] == 4
    assert SupplierQuote.objects.count() == 4
    detail = api.get(f"rfqs/{quoting.rfq.pk}").json()
    assert sum(len(line["quotes"]) for line in detail["lines"]) == 4


def test_the_api_answers_row_errors_as_a_problem_and_writes_nothing(quoting):
    api = ApiClient(quoting.buying.buyer)
    bad = _csv(
        "supplier,product,unit_price,lead_time_days",
        f"{quoting.first.code},Q-BOLT,-2,5",
        f"{quoting.first.code},NOPE,1,5",
    )
    response = _upload(api, quoting.rfq.pk, bad, dry_run=False)
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"] == {
        "rows[2].unit_price": ["Cannot be negative."],
        "rows[3].product": ["NOPE is not asked for on this RFQ."],
    }
    wrong_type = _upload(api, quoting.rfq.pk, b"hello", dry_run=True, name="q.txt")
    assert wrong_type.status_code == 422
    assert list(wrong_type.json()["errors"]) == ["file"]
    assert not SupplierQuote.objects.exists()


def test_the_api_refuses_other_roles_companies_and_states(quoting, buying, company_b):
    content = _good(quoting)
    auditor = ApiClient(factories.user(Role.AUDITOR, companies=[buying.company]))
    refused = _upload(auditor, quoting.rfq.pk, content, dry_run=True)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    stranger = ApiClient(factories.user(Role.BUYER, companies=[company_b]))
    assert _upload(stranger, quoting.rfq.pk, content, dry_run=True).status_code == 404
    sourcing.cancel_rfq(SYSTEM, quoting.rfq.pk)
    cancelled = _upload(ApiClient(buying.buyer), quoting.rfq.pk, content, dry_run=True)
    assert cancelled.status_code == 409
    assert not SupplierQuote.objects.exists()


# -- the screen -------------------------------------------------------------------------------


def test_the_rfq_page_links_the_import_and_the_quote_sheet(quoting):
    client = client_for(quoting.buying.buyer)
    page = client.get(reverse("purchasing:rfq_detail", args=[quoting.rfq.pk])).content.decode()
    assert reverse("purchasing:rfq_quote_import", args=[quoting.rfq.pk]) in page
    sheet = client.get(reverse("purchasing:rfq_quote_template", args=[quoting.rfq.pk]))
    assert sheet.status_code == 200
    rows = list(csv.reader(io.StringIO(sheet.content.decode())))
    assert rows[0][:4] == ["supplier", "product", "quantity", "unit_price"]
    assert len(rows) == 1 + 2 * 3  # two suppliers × three lines
    assert [quoting.first.code, "Q-NUT", "500"] in [r[:3] for r in rows]
    filled = [[*r[:3], "1.10", r[4], "9", *r[6:]] for r in rows[1:]]
    text = io.StringIO()
    csv.writer(text).writerows([rows[0], *filled])
    result = quoting.run(text.getvalue().encode())
    assert (result.ok, result.created) == (True, 6)  # the sheet imports back as it is


def test_the_import_screen_checks_then_imports(quoting):
    client = client_for(quoting.buying.buyer)
    url = reverse("purchasing:rfq_quote_import", args=[quoting.rfq.pk])
    assert client.get(url).status_code == 200
    checked = client.post(
        url, {"file": SimpleUploadedFile("q.csv", _good(quoting)), "dry_run": "on"}
    )
    assert checked.status_code == 200
    assert "importing it would record 4 new" in checked.content.decode()
    assert not SupplierQuote.objects.exists()
    done = client.post(url, {"file": SimpleUploadedFile("q.csv", _good(quoting))})
    assert done.status_code == 302
    assert done["Location"] == reverse("purchasing:rfq_detail", args=[quoting.rfq.pk])
    assert SupplierQuote.objects.count() == 4


def test_the_import_screen_lists_every_bad_row(quoting):
    client = client_for(quoting.buying.buyer)
    bad = _csv(
        "supplier,product,unit_price,lead_time_days",
        f"{quoting.first.code},Q-BOLT,x,5",
        "NOBODY,Q-BOLT,1,5",
    )
    page = client.post(
        reverse("purchasing:rfq_quote_import", args=[quoting.rfq.pk]),
        {"file": SimpleUploadedFile("q.csv", bad)},
    )
    assert page.status_code == 422
    text = page.content.decode()
    assert "Nothing was imported: 2 problems" in text
    assert "<td>2</td><td>unit_price</td><td>&#x27;x&#x27; is not a number.</td>" in text
    assert f"NOBODY was not asked on {quoting.rfq.reference}." in text
    assert not SupplierQuote.objects.exists()


def test_the_import_screen_is_refused_without_the_right_to_change_rfqs(quoting, company_b):
    url = reverse("purchasing:rfq_quote_import", args=[quoting.rfq.pk])
    auditor = factories.user(Role.AUDITOR, companies=[quoting.buying.company])
    assert client_for(auditor).get(url).status_code == 403
    stranger = factories.user(Role.BUYER, companies=[company_b])
    assert client_for(stranger).get(url).status_code == 404
