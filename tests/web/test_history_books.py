"""The history's ledger builder makes entries only for documents that carry some value."""

from __future__ import annotations

import numpy as np

from crossdock.web.history.books import Books


def test_a_document_worth_nothing_gets_no_entry(db):
    books = Books()
    first = books.next_entry
    # five lines of four documents: document 0 has one valued line, 1 and 2 are worth
    # nothing (a zero-cost product), document 3 has two valued lines
    owner = np.array([0, 0, 1, 2, 3, 3])
    value = np.array([0, 500, 0, 0, 100, 200])
    kept, entries = books.valued_entries(4, owner, value)
    assert kept.tolist() == [0, 3]
    assert entries.tolist() == [first, -1, -1, first + 1]
    assert books.next_entry == first + 2


def test_no_document_valued_gives_no_entries(db):
    books = Books()
    first = books.next_entry
    kept, entries = books.valued_entries(2, np.array([0, 1]), np.array([0, 0]))
    assert kept.tolist() == []
    assert entries.tolist() == [-1, -1]
    assert books.next_entry == first
