"""The audit trail: scoped to the user's companies, filterable, each entry as a diff."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crossdock.core.models import AuditEntry
from crossdock.masterdata.registry import BY_SLUG
from tests.browser import client_for
from tests.factories import SYSTEM

AUDIT = reverse("web:audit_list")


@pytest.fixture
def renamed_partner(partner_a):
    BY_SLUG["partners"].update_record(SYSTEM, partner_a.pk, {"name": "Alpha Renamed"})
    return partner_a


def test_entries_of_other_companies_are_not_listed(auditor_a, partner_a, partner_b):
    response = client_for(auditor_a).get(AUDIT, {"object_type": "masterdata.partner"})
    labels = [row["entry"].object_label for row in response.context["rows"]]
    assert labels == [str(partner_a)]
    entry_b = AuditEntry.objects.get(object_type="masterdata.partner", object_id=str(partner_b.pk))
    assert (
        client_for(auditor_a).get(reverse("web:audit_detail", args=[entry_b.pk])).status_code == 404
    )


def test_filters_by_type_actor_and_date(admin_client_web, renamed_partner):
    rows = admin_client_web.get(AUDIT, {"action": "update"}).context["rows"]
    assert [r["entry"].object_label for r in rows] == ["ACME-CUST Alpha Renamed"]
    assert admin_client_web.get(AUDIT, {"actor": "nobody"}).context["page"].paginator.count == 0
    assert (
        admin_client_web.get(AUDIT, {"date_to": "2000-01-01"}).context["page"].paginator.count == 0
    )
    for junk in (
        {"date_from": "yesterday"},
        {"object_type": "x" * 300},
        {"page": "z"},
        {"actor": "\x00"},
    ):
        assert admin_client_web.get(AUDIT, junk).status_code == 200


def test_an_entry_shows_before_and_after_as_a_diff(admin_client_web, renamed_partner):
    entry = AuditEntry.objects.get(object_id=str(renamed_partner.pk), action="update")
    response = admin_client_web.get(reverse("web:audit_detail", args=[entry.pk]))
    changed = {c.label: (c.before, c.after) for c in response.context["changes"] if c.changed}
    assert changed["Name"] == ("Alpha Retail", "Alpha Renamed")
    assert changed["Version"] == ("1", "2")
    assert "Credit limit" not in changed
    assert response.context["object_url"] == reverse(
        "web:record_detail", args=["partners", renamed_partner.pk]
    )


def test_record_detail_shows_its_history_to_auditors_only(auditor_a, sales_rep_a, renamed_partner):
    url = reverse("web:record_detail", args=["partners", renamed_partner.pk])
    history = client_for(auditor_a).get(url).context["history"]
    assert [item["entry"].action for item in history] == ["update", "create"]
    assert [c.label for c in history[0]["changes"]] == ["Name"]
    assert client_for(sales_rep_a).get(url).context["history"] is None


def test_roles_without_the_audit_permission_get_403(sales_rep_a):
    assert client_for(sales_rep_a).get(AUDIT).status_code == 403


def test_htmx_refresh_returns_the_table_only(admin_client_web, partner_a):
    response = admin_client_web.get(AUDIT, {"action": "create"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith('<section id="audit-table"')
