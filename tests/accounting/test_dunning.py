"""Dunning: the ladder, runs on dates around each level's start, escalation, no invoice dunned
twice at one level, paid invoices dropped, sending through the worker, cancelling, and refusals
that write nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crossdock.accounting import checks
from crossdock.accounting.models import (
    DunningLetter,
    DunningLetterState,
    DunningLevel,
    DunningRun,
    Invoice,
)
from crossdock.accounting.pdf import dunning_letter_pdf
from crossdock.accounting.services.dunning import (
    LevelInput,
    cancel_dunning_letter,
    configure_dunning_levels,
    run_dunning,
    send_dunning_letter,
)
from crossdock.accounting.tasks import email_dunning_letter
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, PermissionDeniedError
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role
from tests import factories
from tests.accounting.test_payments import document, pay
from tests.inventory.conftest import SYSTEM

D = Decimal
DUE = datetime.date(2026, 3, 10)
LADDER = [
    LevelInput(1, 7, "Friendly reminder", text="Perhaps this has slipped your attention."),
    LevelInput(2, 21, "Second reminder", D("5.00"), "Please pay within 7 days."),
    LevelInput(3, 45, "Final notice", D("15.00"), "Pay now or we stop deliveries."),
]


def day(offset: int) -> datetime.date:
    return DUE + datetime.timedelta(days=offset)


def overdue(books, partner, amount, due=DUE):
    return document(books, partner, amount, date=due - datetime.timedelta(days=30), due_date=due)


@pytest.fixture
def ladder(books):
    return configure_dunning_levels(SYSTEM, books.company.pk, LADDER)


@pytest.fixture
def customer(books):
    return factories.partner(books.company, name="Corner Shop", email="accounts@corner.example")


def letters_of(run: DunningRun) -> list[DunningLetter]:
    return list(run.letters.order_by("partner__name", "pk"))


def test_six_days_overdue_is_not_dunned_seven_is(books, ladder, customer):
    invoice = overdue(books, customer, "120.00")
    assert letters_of(run_dunning(SYSTEM, books.company.pk, day(6))) == []
    run = run_dunning(SYSTEM, books.company.pk, day(7))
    (letter,) = letters_of(run)
    assert (letter.level, letter.level_name, letter.state) == (1, "Friendly reminder", "draft")
    assert letter.reference == f"DUN/2026/{letter.pk:05d}"
    assert (letter.fee, letter.total) == (D("0.00"), D("120.00"))
    (line,) = letter.lines.all()
    assert (line.invoice_id, line.level, line.days_overdue, line.due_date) == (
        invoice.pk, 1, 7, DUE
    )  # fmt: skip
    assert (line.open_amount, line.open_company) == (D("120.00"), D("120.00"))
    invoice.refresh_from_db()
    assert invoice.dunning_level == 1
    assert run.letter_count == 1
    assert checks.dunning_levels_match_letters() == []


def test_a_later_run_escalates_and_the_same_level_is_never_dunned_twice(books, ladder, customer):
    invoice = overdue(books, customer, "80.00")
    run_dunning(SYSTEM, books.company.pk, day(7))
    assert letters_of(run_dunning(SYSTEM, books.company.pk, day(7))) == []
    assert letters_of(run_dunning(SYSTEM, books.company.pk, day(20))) == []
    (second,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(21)))
    assert (second.level, second.fee, second.total) == (2, D("5.0000"), D("85.0000"))
    (final,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(60)))
    assert (final.level, final.level_name, final.total) == (3, "Final notice", D("95.0000"))
    assert letters_of(run_dunning(SYSTEM, books.company.pk, day(90))) == []
    invoice.refresh_from_db()
    assert invoice.dunning_level == 3
    assert DunningLetter.objects.count() == 3
    assert checks.dunning_levels_match_letters() == []


def test_an_invoice_first_dunned_late_goes_straight_to_the_level_it_reached(
    books, ladder, customer
):
    overdue(books, customer, "10.00")
    (letter,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(50)))
    assert (letter.level, letter.lines.get().days_overdue) == (3, 50)


def test_one_letter_per_customer_at_its_highest_level_for_new_levels_only(books, ladder, customer):
    old = overdue(books, customer, "100.00", due=day(-30))
    run_dunning(SYSTEM, books.company.pk, day(-30 + 7))  # the old invoice is at level 1
    newer = overdue(books, customer, "40.00", due=day(0))
    other = factories.partner(books.company, name="Depot Two")
    theirs = overdue(books, other, "25.00", due=day(-1))
    run = run_dunning(SYSTEM, books.company.pk, day(21))  # old: 51 days, newer: 21, theirs: 22
    mine, their_letter = letters_of(run)
    assert mine.partner_id == customer.pk
    assert mine.level == 3
    assert sorted((x.invoice_id, x.level, x.days_overdue) for x in mine.lines.all()) == sorted(
        [(old.pk, 3, 51), (newer.pk, 2, 21)]
    )
    assert mine.total == D("155.00")  # 100 + 40 + the final notice's 15
    assert their_letter.partner_id == other.pk
    assert [(x.invoice_id, x.level) for x in their_letter.lines.all()] == [(theirs.pk, 2)]
    # Later: the old invoice is at level 3 already; the newer one reaches it now.
    later = run_dunning(SYSTEM, books.company.pk, day(45)).letters.get(partner=customer)
    assert [(x.invoice_id, x.level) for x in later.lines.all()] == [(newer.pk, 3)]


def test_paid_invoices_are_dropped_and_part_payments_dun_only_the_rest(books, ladder, customer):
    paid = overdue(books, customer, "30.00")
    part = overdue(books, customer, "50.00")
    pay(books, customer, "30.00", date=day(1), allocations=None)  # the oldest item first
    pay(books, customer, "20.00", date=day(2))
    paid.refresh_from_db()
    assert paid.open_amount == 0
    (letter,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(7)))
    (line,) = letter.lines.all()
    assert (line.invoice_id, line.open_amount) == (part.pk, D("30.00"))
    assert letter.total == D("30.00")


def test_draft_and_credit_documents_and_other_companies_are_not_dunned(
    books, ladder, customer, company_b
):
    from crossdock.accounting.models import InvoiceKind

    overdue(books, customer, "10.00").pk  # noqa: B018
    document(books, customer, "4.00", kind=InvoiceKind.CUSTOMER_CREDIT, date=day(-30))
    run = run_dunning(SYSTEM, books.company.pk, day(10))
    (letter,) = letters_of(run)
    assert letter.lines.count() == 1
    with pytest.raises(DomainError) as refused:
        run_dunning(SYSTEM, company_b.pk, day(10))
    assert "no dunning levels" in refused.value.fields["company"][0]


def test_the_run_is_set_based(books, ladder):
    def queries_for(customers: int) -> int:
        for index in range(customers):
            partner = factories.partner(books.company, name=f"Customer {index}")
            overdue(books, partner, "10.00")
            overdue(books, partner, "12.00", due=day(-20))
        with CaptureQueriesContext(connection) as captured:
            run_dunning(SYSTEM, books.company.pk, day(30))
        return len(captured.captured_queries)

    few = queries_for(2)
    many = queries_for(12)
    assert many == few
    assert DunningLetter.objects.filter(run__run_date=day(30)).count() == 14


def test_send_e_mails_the_pdf_through_the_worker(
    books, ladder, customer, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = overdue(books, customer, "64.00")
    (letter,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(7)))
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_dunning_letter(SYSTEM, letter.pk)
    assert (sent.state, sent.email_to) == (DunningLetterState.SENT, "accounts@corner.example")
    assert sent.sent_at is not None
    assert mailoutbox == []  # the worker sends it
    assert email_dunning_letter.call(letter.pk) is True
    (mail,) = mailoutbox
    assert mail.to == ["accounts@corner.example"]
    assert letter.reference in mail.subject
    name, content, mimetype = mail.attachments[0]
    assert (name, mimetype) == (f"{letter.reference.replace('/', '-')}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    event = OutboxEvent.objects.get(name="accounting.dunning-letter.sent")
    assert event.payload["letter_id"] == letter.pk
    assert event.payload["level"] == 1
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"accounting.dunningrun.run", "accounting.dunningletter.send"} <= actions
    with pytest.raises(ConflictError):
        send_dunning_letter(SYSTEM, letter.pk)
    with pytest.raises(ConflictError):
        cancel_dunning_letter(SYSTEM, letter.pk)
    invoice.refresh_from_db()
    assert invoice.dunning_level == 1


def test_a_customer_without_an_address_gets_a_printed_letter(books, ladder, mailoutbox):
    customer = factories.partner(books.company, name="No Mail Ltd")
    overdue(books, customer, "9.00")
    (letter,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(8)))
    sent = send_dunning_letter(SYSTEM, letter.pk)
    assert (sent.state, sent.email_to) == (DunningLetterState.SENT, "")
    assert email_dunning_letter.call(letter.pk) is False
    assert mailoutbox == []


def test_a_letter_whose_invoices_were_paid_is_not_sent(books, ladder, customer):
    overdue(books, customer, "15.00")
    (letter,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(7)))
    pay(books, customer, "15.00", date=day(8))
    with pytest.raises(ConflictError, match="paid since it was drafted"):
        send_dunning_letter(SYSTEM, letter.pk)
    letter.refresh_from_db()
    assert letter.state == DunningLetterState.DRAFT


def test_cancelling_a_draft_gives_the_invoices_their_previous_level(books, ladder, customer):
    invoice = overdue(books, customer, "70.00")
    run_dunning(SYSTEM, books.company.pk, day(7))
    (second,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(21)))
    cancelled = cancel_dunning_letter(SYSTEM, second.pk)
    assert cancelled.state == DunningLetterState.CANCELLED
    invoice.refresh_from_db()
    assert invoice.dunning_level == 1
    assert checks.dunning_levels_match_letters() == []
    (again,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(22)))
    assert again.level == 2
    with pytest.raises(ConflictError):
        cancel_dunning_letter(SYSTEM, cancelled.pk)


def test_the_pdf_is_a_real_pdf_naming_the_invoices(books, ladder, customer):
    first = overdue(books, customer, "120.00", due=day(-30))
    second = overdue(books, customer, "33.50")
    (letter,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(21)))
    data = dunning_letter_pdf(letter, compress=False)
    assert data.startswith(b"%PDF")
    assert data.rstrip().endswith(b"%%EOF")
    assert b"DejaVu" in data  # Unicode font embedded (Debian's fonts-dejavu-core)
    # Without DejaVu the core font writes latin-1 text, readable in the uncompressed stream.
    plain = dunning_letter_pdf(letter, compress=False, fonts=Path("/nonexistent"))
    for expected in (letter.reference, first.number, second.number, "Final notice",
                     "Pay now or we stop deliveries.", "120.00", "33.50", "15.00", "168.50",
                     "2026-03-10", "Corner Shop"):  # fmt: skip
        assert expected.encode("latin-1") in plain, expected


# -- the ladder ---------------------------------------------------------------------------------


def test_configure_replaces_the_ladder_and_is_audited(books, ladder):
    assert [(x.level, x.days_overdue, x.fee) for x in ladder] == [
        (1, 7, D(0)), (2, 21, D(5)), (3, 45, D(15))
    ]  # fmt: skip
    configure_dunning_levels(
        SYSTEM,
        books.company.pk,
        [LevelInput(2, 30, "Last call", D("2.50")), LevelInput(1, 10, "Hi")],
    )
    rows = DunningLevel.objects.filter(company=books.company).order_by("level")
    assert [(x.level, x.days_overdue, x.name, x.fee) for x in rows] == [
        (1, 10, "Hi", D(0)), (2, 30, "Last call", D("2.50"))
    ]  # fmt: skip
    entry = (
        AuditEntry.objects.filter(action="accounting.dunninglevels.configure")
        .order_by("sequence")
        .last()
    )
    assert entry is not None
    assert len(entry.before["levels"]) == 3
    assert len(entry.after["levels"]) == 2


@pytest.mark.parametrize(
    ("levels", "field", "message"),
    [
        ([LevelInput(1, 7, "A"), LevelInput(2, 7, "B")], "levels.1.days_overdue",
         "Level 2 must start later than level 1 (7 days overdue)."),
        ([LevelInput(1, 21, "A"), LevelInput(2, 7, "B")], "levels.1.days_overdue",
         "Level 2 must start later than level 1 (21 days overdue)."),
        ([LevelInput(2, 21, "B"), LevelInput(1, 30, "A")], "levels.0.days_overdue",
         "Level 2 must start later than level 1 (30 days overdue)."),
        ([LevelInput(1, -1, "A")], "levels.0.days_overdue", "Days overdue cannot be negative."),
        ([LevelInput(1, 7, "A", D("-1"))], "levels.0.fee", "A fee cannot be negative."),
        ([LevelInput(1, 7, "A", D("0.001"))], "levels.0.fee",
         "A fee in EUR has at most 2 decimals."),
        ([LevelInput(0, 7, "A")], "levels.0.level", "Levels are numbered from 1."),
        ([LevelInput(1, 7, "A"), LevelInput(1, 9, "B")], "levels.1.level",
         "Level 1 is given twice."),
        ([LevelInput(1, 7, "A"), LevelInput(3, 9, "B")], "levels",
         "Levels are numbered 1, 2, 3… without gaps."),
        ([LevelInput(1, 7, " ")], "levels.0.name", "Give the level a name."),
        ([], "levels", "Give at least one dunning level."),
    ],
)  # fmt: skip
def test_a_bad_ladder_is_refused_field_by_field_and_nothing_changes(
    books, ladder, levels, field, message
):
    before = list(DunningLevel.objects.order_by("pk").values_list("pk", "level", "days_overdue"))
    audited = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        configure_dunning_levels(SYSTEM, books.company.pk, levels)
    assert message in refused.value.fields[field], refused.value.fields
    assert (
        list(DunningLevel.objects.order_by("pk").values_list("pk", "level", "days_overdue"))
        == before
    )
    assert AuditEntry.objects.count() == audited


# -- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.AR_CLERK, True), (Role.CONTROLLER, True), (Role.CREDIT_CONTROLLER, False),
     (Role.AUDITOR, False), (Role.SALES_REP, False), (Role.AP_CLERK, False)],
)  # fmt: skip
def test_who_may_run_send_and_configure(books, ladder, customer, role, allowed):
    overdue(books, customer, "11.00")
    actor = Actor.of(factories.user(role, companies=[books.company]))
    if not allowed:
        with pytest.raises(PermissionDeniedError):
            run_dunning(actor, books.company.pk, day(7))
        with pytest.raises(PermissionDeniedError):
            configure_dunning_levels(actor, books.company.pk, LADDER[:1])
        assert DunningRun.objects.count() == 0
        (letter,) = letters_of(run_dunning(SYSTEM, books.company.pk, day(7)))
        with pytest.raises(PermissionDeniedError):
            send_dunning_letter(actor, letter.pk)
        assert Invoice.objects.get(partner=customer).dunning_level == 1
        return
    (letter,) = letters_of(run_dunning(actor, books.company.pk, day(7)))
    assert send_dunning_letter(actor, letter.pk).state == DunningLetterState.SENT
    configure_dunning_levels(actor, books.company.pk, LADDER[:2])


def test_a_user_of_another_company_may_not_run_it(books, ladder, company_b):
    actor = Actor.of(factories.user(Role.AR_CLERK, companies=[company_b]))
    with pytest.raises(PermissionDeniedError):
        run_dunning(actor, books.company.pk, day(7))
