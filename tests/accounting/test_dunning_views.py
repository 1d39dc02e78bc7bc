"""The dunning screen: levels edited row by row (refusals keep what was typed), a run on a date,
the letters with PDF links, sending and cancelling, the navigation entry, and who sees what."""

from __future__ import annotations

import pytest
from django.test import Client

from crossdock.accounting.models import DunningLetter, DunningLetterState, DunningLevel
from crossdock.accounting.services.dunning import configure_dunning_levels, run_dunning
from crossdock.core.roles import Role
from tests import factories
from tests.accounting.test_dunning import LADDER, day, overdue
from tests.inventory.conftest import SYSTEM


def client_of(role: Role, company) -> Client:
    client = Client()
    client.force_login(factories.user(role, companies=[company]))
    return client


@pytest.fixture
def clerk(company_a):
    return client_of(Role.AR_CLERK, company_a)


def test_edit_levels_run_and_send_from_the_screen(clerk, books, mailoutbox):
    customer = factories.partner(books.company, name="Corner Shop", email="ap@corner.example")
    invoice = overdue(books, customer, "42.00")
    page = clerk.get("/accounting/dunning/")
    assert page.status_code == 200
    assert "No dunning levels yet." in page.content.decode()
    assert "/accounting/dunning/" in page.content.decode()  # the Finance navigation entry
    form = clerk.get("/accounting/dunning/levels/")
    assert form.status_code == 200
    response = clerk.post(
        "/accounting/dunning/levels/",
        {
            "rows": "4",
            "level_0": "1", "days_0": "7", "name_0": "Friendly reminder", "fee_0": "",
            "level_1": "2", "days_1": "21", "name_1": "Final notice", "fee_1": "10.00",
            "text_1": "Please pay now.",
            "level_2": "", "days_2": "", "name_2": "", "fee_2": "",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(DunningLevel.objects.values_list("level", "days_overdue", "name")) == [
        (1, 7, "Friendly reminder"), (2, 21, "Final notice")
    ]  # fmt: skip
    response = clerk.post("/accounting/dunning/run/", {"date": str(day(25))})
    assert response.status_code == 302
    letter = DunningLetter.objects.get()
    assert (letter.level, letter.total) == (2, 52)
    html = clerk.get("/accounting/dunning/").content.decode()
    assert letter.reference in html
    assert f"/accounting/dunning/letters/{letter.pk}/pdf/" in html
    detail = clerk.get(f"/accounting/dunning/letters/{letter.pk}/").content.decode()
    assert invoice.number in detail
    pdf = clerk.get(f"/accounting/dunning/letters/{letter.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    response = clerk.post(f"/accounting/dunning/letters/{letter.pk}/send/", {"next": "list"})
    assert response["Location"] == "/accounting/dunning/"
    letter.refresh_from_db()
    assert (letter.state, letter.email_to) == (DunningLetterState.SENT, "ap@corner.example")


def test_bad_levels_keep_what_was_typed_and_write_nothing(clerk, books):
    configure_dunning_levels(SYSTEM, books.company.pk, LADDER)
    before = list(DunningLevel.objects.values_list("pk", "days_overdue"))
    response = clerk.post(
        "/accounting/dunning/levels/",
        {
            "rows": "3",
            "level_0": "1", "days_0": "30", "name_0": "Reminder",
            "level_1": "2", "days_1": "14", "name_1": "Typed but wrong",
            "level_2": "3", "days_2": "soon", "name_2": "Final",
        },
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert "&#x27;soon&#x27; is not a whole number." in html
    assert "Typed but wrong" in html
    assert list(DunningLevel.objects.values_list("pk", "days_overdue")) == before
    response = clerk.post(
        "/accounting/dunning/levels/",
        {"rows": "2", "level_0": "1", "days_0": "30", "name_0": "Reminder",
         "level_1": "2", "days_1": "14", "name_1": "Typed but wrong"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Level 2 must start later than level 1 (30 days overdue)." in response.content.decode()
    assert list(DunningLevel.objects.values_list("pk", "days_overdue")) == before


def test_cancel_a_draft_from_its_page(clerk, books):
    configure_dunning_levels(SYSTEM, books.company.pk, LADDER)
    invoice = overdue(books, factories.partner(books.company, name="Corner Shop"), "5.00")
    letter = run_dunning(SYSTEM, books.company.pk, day(7)).letters.get()
    response = clerk.post(f"/accounting/dunning/letters/{letter.pk}/cancel/")
    assert response.status_code == 302
    letter.refresh_from_db()
    invoice.refresh_from_db()
    assert (letter.state, invoice.dunning_level) == (DunningLetterState.CANCELLED, 0)


@pytest.mark.parametrize(
    ("role", "read", "act"),
    [(Role.AR_CLERK, 200, 302), (Role.CONTROLLER, 200, 302), (Role.CREDIT_CONTROLLER, 200, 403),
     (Role.AUDITOR, 200, 403), (Role.EXECUTIVE, 200, 403), (Role.SALES_REP, 403, 403),
     (Role.WAREHOUSE_OPERATOR, 403, 403)],
)  # fmt: skip
def test_who_sees_and_works_the_screen(books, role, read, act):
    configure_dunning_levels(SYSTEM, books.company.pk, LADDER)
    overdue(books, factories.partner(books.company, name="Corner Shop"), "5.00")
    letter = run_dunning(SYSTEM, books.company.pk, day(7)).letters.get()
    client = client_of(role, books.company)
    assert client.get("/accounting/dunning/").status_code == read
    assert client.get(f"/accounting/dunning/letters/{letter.pk}/pdf/").status_code == read
    assert client.post("/accounting/dunning/run/", {"date": str(day(8))}).status_code == act
    assert client.get("/accounting/dunning/levels/").status_code == (200 if act == 302 else 403)
    assert client.post(f"/accounting/dunning/letters/{letter.pk}/send/").status_code == act
    letter.refresh_from_db()
    sent = DunningLetterState.SENT if act == 302 else DunningLetterState.DRAFT
    assert letter.state == sent


def test_letters_of_another_company_are_not_found(books, company_b):
    configure_dunning_levels(SYSTEM, books.company.pk, LADDER)
    overdue(books, factories.partner(books.company, name="Corner Shop"), "5.00")
    letter = run_dunning(SYSTEM, books.company.pk, day(7)).letters.get()
    outsider = client_of(Role.CONTROLLER, company_b)
    assert outsider.get(f"/accounting/dunning/letters/{letter.pk}/").status_code == 404
    assert outsider.post(f"/accounting/dunning/letters/{letter.pk}/send/").status_code == 404
