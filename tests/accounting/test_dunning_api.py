"""The dunning API: levels, runs, letters (filters, cursor pages, send, cancel, PDF), refusals as
problem documents that write nothing, Idempotency-Key replays, and who may do what."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from crossdock.accounting.models import DunningLetter, DunningLevel, DunningRun
from crossdock.accounting.services.dunning import configure_dunning_levels, run_dunning
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role, role_allows
from tests import factories
from tests.accounting.test_dunning import LADDER, day, overdue
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM

LEVELS = [
    {"level": 1, "days_overdue": 7, "name": "Friendly reminder"},
    {"level": 2, "days_overdue": 21, "name": "Second reminder", "fee": "5.00"},
    {"level": 3, "days_overdue": 45, "name": "Final notice", "fee": "15.00", "text": "Pay now."},
]


@pytest.fixture
def api(admin_user):
    return ApiClient(admin_user)


def test_configure_levels_then_run_and_work_the_letters(api, books, mailoutbox):
    customer = factories.partner(books.company, name="Corner Shop", email="ap@corner.example")
    invoice = overdue(books, customer, "200.00")
    response = api.post("dunning-levels", {"company": books.company.pk, "levels": LEVELS})
    assert response.status_code == 200, response.content
    assert [(x["level"], x["days_overdue"], x["fee"]) for x in response.json()["items"]] == [
        (1, 7, "0.0000"), (2, 21, "5.0000"), (3, 45, "15.0000")
    ]  # fmt: skip
    listed = api.get("dunning-levels", {"company": books.company.pk}).json()["items"]
    assert [x["name"] for x in listed] == ["Friendly reminder", "Second reminder", "Final notice"]

    response = api.post("dunning-runs", {"company": books.company.pk, "date": str(day(21))})
    assert response.status_code == 201, response.content
    ran = response.json()
    assert ran["letter_count"] == 1
    (letter,) = ran["letters"]
    assert (letter["level"], letter["state"], letter["total"]) == (2, "draft", "205.0000")
    assert letter["lines"] == [
        {
            "invoice": invoice.pk, "invoice_number": invoice.number, "level": 2,
            "due_date": "2026-03-10", "days_overdue": 21, "currency": "EUR",
            "open_amount": "200.0000", "open_company": "200.0000",
        }
    ]  # fmt: skip
    assert api.get("dunning-runs").json()["items"][0]["id"] == ran["id"]

    detail = api.get(f"dunning-letters/{letter['id']}")
    assert detail.status_code == 200
    assert detail["ETag"]
    pdf = api.get(f"dunning-letters/{letter['id']}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    sent = api.post(f"dunning-letters/{letter['id']}/send", {}, HTTP_IDEMPOTENCY_KEY="send-1")
    assert sent.status_code == 200, sent.content
    assert (sent.json()["state"], sent.json()["email_to"]) == ("sent", "ap@corner.example")
    replay = api.post(f"dunning-letters/{letter['id']}/send", {}, HTTP_IDEMPOTENCY_KEY="send-1")
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    again = api.post(f"dunning-letters/{letter['id']}/send", {})
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert api.post(f"dunning-letters/{letter['id']}/cancel", {}).status_code == 409


def test_filters_and_cursor_pages(api, books):
    configure_dunning_levels(SYSTEM, books.company.pk, LADDER)
    for index in range(5):
        overdue(books, factories.partner(books.company, name=f"Shop {index}"), "10.00")
    run_dunning(SYSTEM, books.company.pk, day(7))
    first = api.get("dunning-letters", {"company": books.company.pk, "limit": 2}).json()
    assert len(first["items"]) == 2
    seen = [x["id"] for x in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get("dunning-letters", {"company": books.company.pk, "limit": 2,
                                           "cursor": cursor}).json()  # fmt: skip
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
    assert seen == sorted(DunningLetter.objects.values_list("pk", flat=True), reverse=True)
    assert api.get("dunning-letters", {"state": "sent"}).json()["items"] == []
    assert len(api.get("dunning-letters", {"level": 1, "ordering": "date"}).json()["items"]) == 5
    bad = api.get("dunning-letters", {"colour": "red"})
    assert bad.status_code == 422
    assert "colour" in bad.json()["errors"]


def test_bad_levels_are_a_problem_naming_the_field_and_nothing_is_written(api, books):
    configure_dunning_levels(SYSTEM, books.company.pk, LADDER)
    before = list(DunningLevel.objects.values_list("pk", "days_overdue"))
    audited = AuditEntry.objects.count()
    levels = [{**LEVELS[0]}, {**LEVELS[1], "days_overdue": 5}, {**LEVELS[2], "fee": "-1"}]
    response = api.post("dunning-levels", {"company": books.company.pk, "levels": levels})
    assert response.status_code == 422
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert problem["errors"]["levels.1.days_overdue"] == [
        "Level 2 must start later than level 1 (7 days overdue)."
    ]
    assert problem["errors"]["levels.2.fee"] == ["A fee cannot be negative."]
    assert list(DunningLevel.objects.values_list("pk", "days_overdue")) == before
    assert AuditEntry.objects.count() == audited


def test_a_run_without_levels_or_out_of_scope_is_refused(api, books, company_b):
    response = api.post("dunning-runs", {"company": books.company.pk, "date": "2026-04-01"})
    assert response.status_code == 422
    assert "company" in response.json()["errors"]
    assert DunningRun.objects.count() == 0
    outsider = factories.company("OUT")
    response = api.post("dunning-runs", {"company": outsider.pk, "date": "2026-04-01"})
    assert response.status_code == 404
    assert api.get("dunning-letters/999999").status_code == 404


def test_the_matrix_covers_every_dunning_endpoint(db):
    document = Client().get("/api/v1/openapi.json").json()
    ours = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "Dunning" in operation.get("tags", [])
    }
    assert ours == {
        ("get", "/api/v1/dunning-levels"), ("post", "/api/v1/dunning-levels"),
        ("get", "/api/v1/dunning-runs"), ("post", "/api/v1/dunning-runs"),
        ("get", "/api/v1/dunning-letters"), ("get", "/api/v1/dunning-letters/{id}"),
        ("get", "/api/v1/dunning-letters/{id}/pdf"),
        ("post", "/api/v1/dunning-letters/{id}/{action}"),
    }  # fmt: skip


ROLES = [Role.AR_CLERK, Role.CONTROLLER, Role.CREDIT_CONTROLLER, Role.AUDITOR, Role.SALES_REP]


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_run_and_send(books, role):
    configure_dunning_levels(SYSTEM, books.company.pk, LADDER)
    customer = factories.partner(books.company, name="Corner Shop")
    overdue(books, customer, "12.00")
    letter = run_dunning(SYSTEM, books.company.pk, day(7)).letters.get()
    client = ApiClient(factories.user(role, companies=[books.company]))
    label = "accounting.dunningletter"
    expect_read = 200 if role_allows(role, label, "view") else 403
    assert client.get("dunning-letters").status_code == expect_read
    assert client.get(f"dunning-letters/{letter.pk}/pdf").status_code == expect_read
    assert client.get("dunning-levels").status_code == expect_read
    may_run = role_allows(role, "accounting.dunningrun", "add")
    ran = client.post("dunning-runs", {"company": books.company.pk, "date": str(day(8))})
    assert ran.status_code == (201 if may_run else 403)
    sent = client.post(f"dunning-letters/{letter.pk}/send", {})
    assert sent.status_code == (200 if role_allows(role, label, "change") else 403)
    if sent.status_code == 403:
        assert sent.json()["code"] == "forbidden"
    assert may_run == (role in (Role.AR_CLERK, Role.CONTROLLER))
    configure = client.post("dunning-levels", {"company": books.company.pk, "levels": LEVELS})
    assert configure.status_code == (200 if may_run else 403)


def test_an_idempotent_run_is_not_run_twice(api, books):
    configure_dunning_levels(SYSTEM, books.company.pk, LADDER)
    overdue(books, factories.partner(books.company, name="Corner Shop"), "12.00")
    body = {"company": books.company.pk, "date": str(day(30))}
    first = api.post("dunning-runs", body, HTTP_IDEMPOTENCY_KEY="run-30")
    second = api.post("dunning-runs", body, HTTP_IDEMPOTENCY_KEY="run-30")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert DunningRun.objects.count() == 1
    assert datetime.date.fromisoformat(first.json()["run_date"]) == day(30)
