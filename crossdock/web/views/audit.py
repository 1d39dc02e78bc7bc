"""The audit trail: entries of the user's companies (and group-wide ones), each with its diff."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from crossdock.core.models import AuditEntry
from crossdock.core.permissions import access_of
from crossdock.masterdata.registry import RECORD_TYPES
from crossdock.web.diffs import diff, object_type_label
from crossdock.web.forms import AuditFilterForm
from crossdock.web.listing import clean_text
from crossdock.web.navigation import AUDIT_PERMISSION
from crossdock.web.views.common import is_partial, render_page

PER_PAGE = 50
BY_LABEL = {rt.model_label: rt for rt in RECORD_TYPES}


def visible_entries(user: Any, entries: QuerySet[AuditEntry] | None = None) -> QuerySet[AuditEntry]:
    """Entries of the user's companies or of no company; 403 without the audit permission."""
    if not user.has_perm(AUDIT_PERMISSION):
        raise PermissionDenied("Your role does not allow you to view the audit trail.")
    entries = AuditEntry.objects.all() if entries is None else entries
    company_ids = access_of(user).company_ids
    if company_ids is None:
        return entries
    return entries.filter(Q(company_id__in=company_ids) | Q(company_id__isnull=True))


def _filtered(form: AuditFilterForm, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("object_type"):
        entries = entries.filter(object_type=data["object_type"])
    if data.get("action"):
        entries = entries.filter(action=data["action"])
    if actor := clean_text(data.get("actor") or ""):
        entries = entries.filter(actor_label__icontains=actor)
    if object_id := clean_text(data.get("object_id") or ""):
        entries = entries.filter(object_id=object_id)
    if data.get("date_from"):
        start = datetime.datetime.combine(data["date_from"], datetime.time.min, datetime.UTC)
        entries = entries.filter(recorded_at__gte=start)
    if data.get("date_to"):
        end = datetime.datetime.combine(data["date_to"], datetime.time.min, datetime.UTC)
        entries = entries.filter(recorded_at__lt=end + datetime.timedelta(days=1))
    return entries


@login_required
@require_safe
def audit_list(request: HttpRequest) -> HttpResponse:
    entries = visible_entries(request.user)
    object_types = [(rt.model_label, object_type_label(rt.model_label)) for rt in RECORD_TYPES]
    known = {value for value, _ in object_types}
    object_types += [
        (value, value)
        for value in entries.order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
        if value not in known
    ]
    actions = list(entries.order_by("action").values_list("action", flat=True).distinct())
    form = AuditFilterForm(request.GET or None, object_types=object_types, actions=actions)
    page = Paginator(_filtered(form, entries).order_by("-sequence"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "title": "Audit trail",
        "form": form,
        "page": page,
        "rows": [
            {"entry": entry, "type_label": object_type_label(entry.object_type)}
            for entry in page.object_list
        ],
    }
    if is_partial(request):
        return render_page(request, "web/audit/list.html#table", context)
    return render_page(request, "web/audit/list.html", context)


def _object_url(entry: AuditEntry) -> str:
    record_type = BY_LABEL.get(entry.object_type)
    if record_type is None or entry.action == "delete" or not entry.object_id.isdigit():
        return ""
    return reverse("web:record_detail", args=[record_type.slug, int(entry.object_id)])


@login_required
@require_safe
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = visible_entries(request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404("No such audit entry.")
    changes = diff(entry.object_type, entry.before, entry.after)
    context = {
        "title": f"Audit entry #{entry.sequence}",
        "entry": entry,
        "type_label": object_type_label(entry.object_type),
        "object_url": _object_url(entry),
        "changes": changes,
        "changed_count": sum(1 for c in changes if c.changed),
    }
    return render_page(request, "web/audit/detail.html", context)
