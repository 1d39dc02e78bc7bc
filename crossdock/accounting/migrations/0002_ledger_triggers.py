"""Database-level double-entry guarantees for journal entries.

PostgreSQL: a DEFERRABLE INITIALLY DEFERRED constraint trigger re-reads every
entry that was inserted or updated as posted and refuses the commit when its
debits and credits (or the foreign amounts of one currency) differ; immediate
triggers refuse any change to a posted entry or to the lines of one.

SQLite has no deferred triggers. There the same sums are checked by a trigger
at the moment an entry becomes posted (inserted as posted, or updated to
posted), and triggers refuse inserting or changing lines of a posted entry and
changing a posted entry. An entry can only be posted after its lines exist and
its lines cannot change afterwards, so the check at posting time holds at
commit as well. Deletes are left to ``crossdock audit`` on SQLite because
Django's test flush empties tables with plain DELETEs in arbitrary order.
"""

from django.db import migrations

ENTRY = "accounting_journalentry"
LINE = "accounting_journalline"

UNBALANCED = f"""
    (SELECT COALESCE(SUM(debit), 0) - COALESCE(SUM(credit), 0) FROM {LINE}
     WHERE entry_id = {{ref}}.id) <> 0
    OR EXISTS (SELECT 1 FROM {LINE} WHERE entry_id = {{ref}}.id AND currency_id IS NOT NULL
               GROUP BY currency_id HAVING SUM(amount_currency) <> 0)
"""

SQLITE_FORWARD = [
    f"""CREATE TRIGGER accounting_entry_balanced_on_insert AFTER INSERT ON {ENTRY}
    WHEN NEW.state = 'posted' AND ({UNBALANCED.format(ref="NEW")})
    BEGIN SELECT RAISE(ABORT, 'journal entry is not balanced: debits must equal credits'); END""",
    f"""CREATE TRIGGER accounting_entry_balanced_on_post AFTER UPDATE OF state ON {ENTRY}
    WHEN NEW.state = 'posted' AND ({UNBALANCED.format(ref="NEW")})
    BEGIN SELECT RAISE(ABORT, 'journal entry is not balanced: debits must equal credits'); END""",
    f"""CREATE TRIGGER accounting_entry_posted_immutable BEFORE UPDATE ON {ENTRY}
    WHEN OLD.state = 'posted'
    BEGIN SELECT RAISE(ABORT, 'a posted journal entry cannot change; post a reversal'); END""",
    f"""CREATE TRIGGER accounting_line_insert_posted BEFORE INSERT ON {LINE}
    WHEN (SELECT state FROM {ENTRY} WHERE id = NEW.entry_id) = 'posted'
    BEGIN SELECT RAISE(ABORT, 'lines of a posted journal entry cannot change'); END""",
    f"""CREATE TRIGGER accounting_line_update_posted BEFORE UPDATE ON {LINE}
    WHEN (SELECT state FROM {ENTRY} WHERE id = OLD.entry_id) = 'posted'
      OR (SELECT state FROM {ENTRY} WHERE id = NEW.entry_id) = 'posted'
    BEGIN SELECT RAISE(ABORT, 'lines of a posted journal entry cannot change'); END""",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "accounting_entry_balanced_on_insert",
        "accounting_entry_balanced_on_post",
        "accounting_entry_posted_immutable",
        "accounting_line_insert_posted",
        "accounting_line_update_posted",
    )
]

POSTGRES_FORWARD = [
    f"""CREATE FUNCTION accounting_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        difference numeric;
        currency bigint;
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM {ENTRY} WHERE id = NEW.id AND state = 'posted') THEN
            RETURN NULL;
        END IF;
        SELECT COALESCE(SUM(debit), 0) - COALESCE(SUM(credit), 0) INTO difference
          FROM {LINE} WHERE entry_id = NEW.id;
        IF difference <> 0 THEN
            RAISE EXCEPTION 'journal entry % is not balanced: debits exceed credits by %',
                NEW.id, difference / 10000.0 USING ERRCODE = '23514';
        END IF;
        SELECT currency_id INTO currency FROM {LINE}
          WHERE entry_id = NEW.id AND currency_id IS NOT NULL
          GROUP BY currency_id HAVING SUM(amount_currency) <> 0 LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'journal entry % is not balanced in currency %', NEW.id, currency
                USING ERRCODE = '23514';
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE CONSTRAINT TRIGGER accounting_entry_balanced
    AFTER INSERT OR UPDATE ON {ENTRY} DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION accounting_entry_balanced()""",
    """CREATE FUNCTION accounting_entry_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.state = 'posted' THEN
            RAISE EXCEPTION 'a posted journal entry cannot change; post a reversal'
                USING ERRCODE = '23514';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE TRIGGER accounting_entry_immutable BEFORE UPDATE OR DELETE ON {ENTRY}
    FOR EACH ROW EXECUTE FUNCTION accounting_entry_immutable()""",
    f"""CREATE FUNCTION accounting_line_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
            SELECT 1 FROM {ENTRY} WHERE id = OLD.entry_id AND state = 'posted'
        ) THEN
            RAISE EXCEPTION 'lines of a posted journal entry cannot change'
                USING ERRCODE = '23514';
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
            SELECT 1 FROM {ENTRY} WHERE id = NEW.entry_id AND state = 'posted'
        ) THEN
            RAISE EXCEPTION 'lines of a posted journal entry cannot change'
                USING ERRCODE = '23514';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE TRIGGER accounting_line_immutable BEFORE INSERT OR UPDATE OR DELETE ON {LINE}
    FOR EACH ROW EXECUTE FUNCTION accounting_line_immutable()""",
]
POSTGRES_BACKWARD = [
    f"DROP TRIGGER IF EXISTS accounting_line_immutable ON {LINE}",
    "DROP FUNCTION IF EXISTS accounting_line_immutable()",
    f"DROP TRIGGER IF EXISTS accounting_entry_immutable ON {ENTRY}",
    "DROP FUNCTION IF EXISTS accounting_entry_immutable()",
    f"DROP TRIGGER IF EXISTS accounting_entry_balanced ON {ENTRY}",
    "DROP FUNCTION IF EXISTS accounting_entry_balanced()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounting", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
            elidable=False,
        )
    ]
