"""Journal entries: posting, refusals, reversal, and the database's own double-entry guard."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from crossdock.accounting import services
from crossdock.accounting.checks import posted_entries_balanced, trial_balance_zero
from crossdock.accounting.models import EntryState, JournalEntry, JournalLine
from crossdock.accounting.selectors import trial_balance
from crossdock.accounting.services import EntryDraft, LineDraft
from crossdock.core.errors import ConflictError, DomainError
from crossdock.core.models import AuditEntry
from crossdock.masterdata.models import Currency
from tests.inventory.conftest import SYSTEM

D = Decimal


def test_a_balanced_entry_posts_with_a_number_and_an_audit_entry(books):
    entry_id = books.post(("6100", "1200.50", "0"), ("1000", "0", "1200.50"))
    entry = JournalEntry.objects.get(pk=entry_id)
    assert entry.state == EntryState.POSTED
    assert entry.number == "MISC/2026/0000001"
    assert [(line.debit, line.credit) for line in entry.lines.order_by("pk")] == [
        (D("1200.5000"), D(0)),
        (D(0), D("1200.5000")),
    ]
    assert AuditEntry.objects.filter(action="accounting.post", object_id=str(entry_id)).exists()
    rows = {r.account.code: r.balance for r in trial_balance(books.company.pk)}
    assert rows == {"6100": D("1200.5"), "1000": D("-1200.5")}


def test_an_unbalanced_entry_is_refused_with_the_difference_and_nothing_is_written(books):
    with pytest.raises(services.UnbalancedEntryError) as caught:
        books.post(("6100", "100", "0"), ("1000", "0", "99.99"))
    assert "debits 100 ≠ credits 99.99" in caught.value.message
    assert caught.value.fields["lines"]
    assert JournalEntry.objects.count() == 0
    assert JournalLine.objects.count() == 0


@pytest.mark.parametrize(
    ("lines", "field", "message"),
    [
        ([("6100", "100", "0")], "lines", "at least two lines"),
        ([("6100", "-5", "0"), ("1000", "0", "-5")], "lines.0", "cannot be negative"),
        ([("6100", "5", "5"), ("1000", "0", "0")], "lines.0", "either a debit or a credit"),
        ([("6100", "0.00001", "0"), ("1000", "0", "0.00001")], "lines.0", "decimal places"),
    ],
)
def test_bad_lines_are_refused_per_field(books, lines, field, message):
    with pytest.raises(DomainError) as caught:
        books.post(*lines)
    assert any(message in m for m in caught.value.fields[field]), caught.value.fields
    assert JournalEntry.objects.count() == 0


def test_an_account_of_another_company_is_refused(books, company_b):
    other = services.accounts_by_role(company_b.pk)["bank"]
    draft = books.draft(("6100", "10", "0"), ("1000", "0", "10"))
    draft = EntryDraft(
        company_id=draft.company_id,
        journal_id=draft.journal_id,
        date=draft.date,
        lines=[draft.lines[0], LineDraft(other.pk, credit=D(10))],
    )
    with pytest.raises(DomainError, match="No such account in this company"):
        services.post_entries(SYSTEM, [draft])


def test_foreign_amounts_must_balance_per_currency(books):
    usd = Currency.objects.get(code="USD")
    draft = books.draft(("6100", "90", "0"), ("2000", "0", "90"))
    lines = [
        LineDraft(draft.lines[0].account_id, debit=D(90), currency_id=usd.pk,
                  amount_currency=D(100)),
        LineDraft(draft.lines[1].account_id, credit=D(90), currency_id=usd.pk,
                  amount_currency=D(-99)),
    ]  # fmt: skip
    unbalanced = EntryDraft(books.company.pk, books.general.pk, draft.date, lines)
    with pytest.raises(DomainError, match="do not balance"):
        services.post_entries(SYSTEM, [unbalanced])
    fixed = [lines[0], LineDraft(lines[1].account_id, credit=D(90), currency_id=usd.pk,
                                 amount_currency=D(-100))]  # fmt: skip
    (entry_id,) = services.post_entries(
        SYSTEM, [EntryDraft(books.company.pk, books.general.pk, draft.date, fixed)]
    )
    assert sorted(
        JournalLine.objects.filter(entry_id=entry_id).values_list("amount_currency", flat=True)
    ) == [D(-100), D(100)]


def test_a_posted_entry_cannot_be_edited_or_deleted_through_the_services(books):
    entry_id = books.post(("6100", "10", "0"), ("1000", "0", "10"))
    with pytest.raises(ConflictError, match="post a reversal"):
        services.save_draft(SYSTEM, books.draft(("6100", "20", "0"), ("1000", "0", "20")), entry_id)
    with pytest.raises(ConflictError, match="post a reversal"):
        services.delete_draft(SYSTEM, entry_id)
    assert JournalLine.objects.filter(entry_id=entry_id, debit=D(10)).exists()


def test_reversal_mirrors_the_entry_once(books):
    entry_id = books.post(("6100", "75.25", "0"), ("1000", "0", "75.25"))
    reversal = services.reverse_entry(SYSTEM, entry_id, datetime.date(2026, 4, 1))
    assert reversal.reversal_of_id == entry_id
    assert reversal.date == datetime.date(2026, 4, 1)
    assert reversal.memo == "Reversal of MISC/2026/0000001"
    assert {r.account.code: r.balance for r in trial_balance(books.company.pk)} == {
        "6100": 0, "1000": 0,
    }  # fmt: skip
    as_of_march = {
        r.account.code: r.balance
        for r in trial_balance(books.company.pk, datetime.date(2026, 3, 31))
    }
    assert as_of_march == {"6100": D("75.25"), "1000": D("-75.25")}
    with pytest.raises(ConflictError, match="already been reversed"):
        services.reverse_entry(SYSTEM, entry_id)


def test_drafts_do_not_count_until_posted(books):
    draft = books.draft(("6100", "10", "0"), ("1000", "0", "9"))
    entry = services.save_draft(SYSTEM, draft)
    assert entry.state == EntryState.DRAFT
    assert trial_balance(books.company.pk) == []
    with pytest.raises(services.UnbalancedEntryError):
        services.post_draft(SYSTEM, entry.pk)
    services.save_draft(SYSTEM, books.draft(("6100", "10", "0"), ("1000", "0", "10")), entry.pk)
    posted = services.post_draft(SYSTEM, entry.pk)
    assert posted.state == EntryState.POSTED
    assert posted.number == "MISC/2026/0000001"
    assert len(trial_balance(books.company.pk)) == 2
    assert posted_entries_balanced() == []
    assert trial_balance_zero() == []


# -- the database refuses what the service would refuse ---------------------------------------

LINE_SQL = (
    "INSERT INTO accounting_journalline (entry_id, company_id, date, account_id, label, debit, "
    "credit) VALUES (%s, %s, %s, %s, '', %s, %s)"
)


def _raw_draft(books, debit, credit):
    entry = services.save_draft(SYSTEM, books.draft(("6100", "1", "0"), ("1000", "0", "1")))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounting_journalline WHERE entry_id = %s", [entry.pk])
        for code, d, c in (("6100", debit, 0), ("1000", 0, credit)):
            cursor.execute(
                LINE_SQL,
                [entry.pk, books.company.pk, "2026-03-15", books.account(code).pk, d, c],
            )
    return entry


def _run_as_at_commit(statements):
    """Run raw SQL in a savepoint and force deferred constraints (PostgreSQL's commit)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _commit_fails(statements):
    with pytest.raises((IntegrityError, DatabaseError)):
        _run_as_at_commit(statements)


def test_database_refuses_posting_an_unbalanced_entry_by_raw_sql(books):
    entry = _raw_draft(books, 1000000, 999999)  # 100.0000 against 99.9999, scaled
    _commit_fails(
        [
            (
                "UPDATE accounting_journalentry SET state = 'posted', number = 'X/1' WHERE id = %s",
                [entry.pk],
            )
        ]
    )
    assert JournalEntry.objects.get(pk=entry.pk).state == EntryState.DRAFT


def test_database_refuses_inserting_an_unbalanced_posted_entry_by_raw_sql(books):
    journal = books.general.pk
    company = books.company.pk
    bank = books.account("1000").pk
    _commit_fails(
        [
            (
                "INSERT INTO accounting_journalentry (version, created_at, updated_at, company_id,"
                " journal_id, number, date, state, memo, source_type, source_id) VALUES "
                "(1, '2026-03-15', '2026-03-15', %s, %s, 'RAW/1', '2026-03-15', 'posted', '', '',"
                " '')",
                [company, journal],
            ),
            (
                LINE_SQL.replace(
                    "%s, %s, %s, %s, '', %s, %s",
                    "(SELECT id FROM "
                    "accounting_journalentry WHERE number = 'RAW/1'), %s, %s, %s, '', %s, %s",
                ),
                [company, "2026-03-15", bank, 50000, 0],
            ),
        ]
    )
    assert not JournalEntry.objects.filter(number="RAW/1").exists()


def test_database_refuses_changing_a_posted_entry_or_its_lines(books):
    entry_id = books.post(("6100", "10", "0"), ("1000", "0", "10"))
    line = JournalLine.objects.filter(entry_id=entry_id).first()
    assert line is not None
    _commit_fails([("UPDATE accounting_journalline SET debit = 200000 WHERE id = %s", [line.pk])])
    _commit_fails(
        [("UPDATE accounting_journalentry SET date = '2026-01-01' WHERE id = %s", [entry_id])]
    )
    _commit_fails(
        [("UPDATE accounting_journalentry SET state = 'draft' WHERE id = %s", [entry_id])]
    )
    _commit_fails(
        [
            (
                LINE_SQL,
                [entry_id, books.company.pk, "2026-03-15", books.account("1000").pk, 10, 0],
            )
        ]
    )
    if connection.vendor == "postgresql":
        _commit_fails([("DELETE FROM accounting_journalline WHERE id = %s", [line.pk])])
    assert JournalLine.objects.filter(entry_id=entry_id).count() == 2
    assert posted_entries_balanced() == []


def test_the_audit_names_an_unbalanced_posted_entry(books):
    """What slipped past the database (a line deleted on SQLite) is named by the audit."""
    entry_id = books.post(("6100", "10", "0"), ("1000", "0", "10"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the pending checks now
            cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM accounting_journalline WHERE entry_id = %s AND credit > 0", [entry_id]
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    problems = posted_entries_balanced()
    assert problems == [
        f"entry MISC/2026/0000001 (id {entry_id}): debits 10.0000 ≠ credits 0.0000, off by 10.0000"
    ]
    assert trial_balance_zero() == ["company ACME: trial balance off by 10.0000 "
                                    "(debits 10.0000, credits 0.0000)"]  # fmt: skip
