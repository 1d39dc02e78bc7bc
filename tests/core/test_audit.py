"""The audit trail is append-only in effect: any edit, deletion or truncation is detected."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crossdock.core.audit import history_of, verify_chain
from crossdock.core.context import Actor
from crossdock.core.models import AuditEntry
from crossdock.core.records import update_record
from crossdock.masterdata.models import Partner
from tests import factories


@pytest.fixture
def trail(company_a, admin_user):
    partner = factories.partner(company_a, name="Original name")
    update_record(Actor.of(admin_user), Partner, partner.pk, {"name": "Renamed"})
    return partner


def test_changes_record_who_what_before_and_after(trail, admin_user):
    entries = list(history_of(trail))
    assert [e.action for e in entries] == ["update", "create"]
    update = entries[0]
    assert update.actor_id == admin_user.pk
    assert update.actor_label == admin_user.username
    assert update.before["name"] == "Original name"
    assert update.after["name"] == "Renamed"
    assert update.after["version"] == 2
    assert update.company_id == trail.company_id
    assert verify_chain() == []


def test_changed_entry_is_detected(trail):
    entry = history_of(trail).first()
    AuditEntry.objects.filter(pk=entry.pk).update(after={"name": "Forged"})
    problems = verify_chain()
    assert [(p.sequence, p.problem) for p in problems] == [
        (entry.sequence, "entry content was changed")
    ]


def test_deleted_entry_is_detected(trail):
    middle = AuditEntry.objects.order_by("sequence")[2]
    AuditEntry.objects.filter(pk=middle.pk).delete()
    problems = verify_chain()
    assert any("missing" in p.problem for p in problems)
    assert any(p.problem == "link to the previous entry is broken" for p in problems)


def test_truncated_chain_is_detected(trail):
    last = AuditEntry.objects.order_by("-sequence").first()
    AuditEntry.objects.filter(pk=last.pk).delete()
    problems = verify_chain()
    assert len(problems) == 1
    assert "head records" in problems[0].problem


def test_changed_actor_is_detected(trail, make_user):
    other = make_user()
    entry = history_of(trail).first()
    AuditEntry.objects.filter(pk=entry.pk).update(actor=other, actor_label=other.username)
    assert [p.problem for p in verify_chain()] == ["entry content was changed"]


def test_audit_command_passes_then_fails_after_tampering(trail, capsys):
    call_command("audit")
    assert "audit-trail hash chain: ok" in capsys.readouterr().out
    AuditEntry.objects.filter(sequence=1).update(action="forged")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit")
