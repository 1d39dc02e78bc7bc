"""The home page: what the user can open, with how many records each holds, and recent changes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from crossdock.masterdata.registry import BY_SLUG
from crossdock.web.diffs import object_type_label
from crossdock.web.navigation import AUDIT_PERMISSION, navigation_for
from crossdock.web.views.audit import visible_entries
from crossdock.web.views.common import render_page

RECENT_CHANGES = 8


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    groups = []
    for group in navigation_for(request.user):
        cards = []
        for entry in group.entries:
            record_type = BY_SLUG.get(entry.key)
            if record_type is None:
                continue
            count = record_type.model.objects.restrict(request.user, "view").count()
            cards.append({"entry": entry, "count": count})
        if cards:
            groups.append({"label": group.label, "cards": cards})
    recent = None
    if request.user.has_perm(AUDIT_PERMISSION):
        recent = [
            {"entry": entry, "type_label": object_type_label(entry.object_type)}
            for entry in visible_entries(request.user).order_by("-sequence")[:RECENT_CHANGES]
        ]
    context = {"title": "Home", "groups": groups, "recent": recent}
    return render_page(request, "web/home.html", context)
