"""Cycle-count screens: count sheets, planning one, counting on a phone, the differences.

Thin like :mod:`crossdock.inventory.views`: role (403), row scope (404), one
service per action. The count screen reads a scan (GS1 label, GTIN, SKU, lot
or a location's barcode) with :func:`~crossdock.inventory.gs1.read_scan` and
:func:`~crossdock.inventory.scanning.match_scan`, and records it at once
through :func:`~crossdock.inventory.services.counts.record_counts` — a scan
adds its units, a typed quantity replaces the count. The location scanned
last stays for the next scans. A blind sheet never shows expected quantities
(nor differences) before it is submitted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.approvals.services import request_for
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import can_act_on, has_model_permission
from crossdock.inventory import reports
from crossdock.inventory.forms import CountScanForm, CountSheetForm
from crossdock.inventory.gs1 import read_scan
from crossdock.inventory.models import CountLine, CountSheet, CountState, Transfer
from crossdock.inventory.scanning import match_scan, scan_problem
from crossdock.inventory.services import counts
from crossdock.inventory.services.adjustments import STOCK_ADJUSTMENT
from crossdock.inventory.views import PER_PAGE, _require
from crossdock.masterdata.models import Location
from crossdock.web.views.common import is_partial, render_page

LOCATION_KEY = "inventory:count-location:{}"


def _sheet(request: HttpRequest, pk: int, action: str = "view") -> CountSheet:
    _require(request.user, CountSheet, action)
    sheet = (
        CountSheet.objects.restrict(request.user, action)
        .select_related("warehouse", "adjustment", "created_by")
        .filter(pk=pk)
        .first()
    )
    if sheet is None:
        raise Http404(f"No count sheet with id {pk}.")
    return sheet


@login_required
@require_safe
def count_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, CountSheet)
    sheets = CountSheet.objects.restrict(request.user).select_related("warehouse")
    state = request.GET.get("state", "open")
    if state == "open":
        sheets = sheets.filter(
            state__in=[CountState.DRAFT, CountState.COUNTING, CountState.SUBMITTED]
        )
    elif state in CountState.values:
        sheets = sheets.filter(state=state)
    page = Paginator(sheets.order_by("-created_at", "-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "title": "Cycle counts",
        "page": page,
        "state": state,
        "states": [("open", "Open"), *CountState.choices, ("all", "All")],
        "can_add": has_model_permission(request.user, CountSheet, "add"),
    }
    return render_page(request, "inventory/count_list.html", context)


def _locations(user: Any, warehouse: Any, text: str) -> tuple[list[int], list[str]]:
    """The locations named one per line (path or barcode), and the names not found."""
    found: list[int] = []
    missing: list[str] = []
    visible = Location.objects.in_scope_of(user).filter(warehouse=warehouse)
    for name in (part.strip() for part in text.replace(",", "\n").splitlines()):
        if not name:
            continue
        location = visible.filter(Q(path__iexact=name) | Q(barcode__iexact=name)).first()
        if location is None:
            missing.append(name)
        else:
            found.append(location.pk)
    return found, missing


@login_required
@require_http_methods(["GET", "POST"])
def count_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, CountSheet, "add")
    warehouses = reports.visible_warehouses(request.user).filter(active=True).order_by("code")
    form = CountSheetForm(request.POST or None, warehouses=warehouses)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        location_ids, missing = _locations(request.user, data["warehouse"], data["locations"])
        if missing:
            form.add_error("locations", f"Not a location of this warehouse: {', '.join(missing)}")
        else:
            try:
                sheet = counts.create_count(
                    Actor.of(request.user),
                    counts.CountDraft(
                        warehouse_id=data["warehouse"].pk,
                        scope=data["scope"],
                        location_ids=location_ids,
                        abc_class=data["abc_class"] or "",
                        blind=data["blind"],
                        note=data["note"],
                    ),
                )
            except DomainError as error:
                for name, problems in error.fields.items():
                    field = name.split("[")[0]
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, f"{sheet.reference} planned.")
                return redirect("inventory:count_detail", pk=sheet.pk)
    if request.method == "POST":
        status = 422
    context = {"title": "New cycle count", "form": form}
    return render_page(request, "inventory/count_form.html", context, status=status)


def _lines(sheet: CountSheet) -> list[CountLine]:
    return list(
        CountLine.objects.filter(sheet=sheet)
        .select_related("product__base_unit", "location", "lot")
        .order_by("location__path", "product__sku", "lot__name", "pk")
    )


@login_required
@require_safe
def count_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The sheet; after submission its differences, adjustment and approval request."""
    sheet = _sheet(request, pk)
    lines = _lines(sheet)
    can_change = can_act_on(request.user, sheet, "change")
    adjustment = sheet.adjustment
    approval = request_for(STOCK_ADJUSTMENT, adjustment.pk) if adjustment else None
    rejected = adjustment is not None and adjustment.state == "cancelled"
    context = {
        "title": sheet.reference,
        "sheet": sheet,
        "lines": lines,
        "scope_locations": sheet.locations.order_by("path"),
        "shows_expected": sheet.shows_expected,
        "counted": sum(1 for ln in lines if ln.counted is not None),
        "differences": [ln for ln in lines if ln.difference],
        "adjustment": adjustment,
        "can_see_adjustment": adjustment is not None
        and has_model_permission(request.user, Transfer, "view"),
        "approval": approval,
        "can_start": can_change and sheet.state == CountState.DRAFT,
        "can_count": can_change and sheet.state == CountState.COUNTING,
        "can_cancel": can_change
        and (sheet.state in (CountState.DRAFT, CountState.COUNTING) or rejected),
    }
    return render_page(request, "inventory/count_detail.html", context)


ACTIONS = {
    "start": (counts.start_count, "started: counting is open"),
    "submit": (counts.submit_count, "submitted"),
    "cancel": (counts.cancel_count, "cancelled"),
}


@login_required
@require_POST
def count_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action.")
    sheet = _sheet(request, pk, "change")
    run, done = ACTIONS[action]
    try:
        sheet = run(Actor.of(request.user), sheet.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{sheet.reference} {done}.")
        if action == "submit" and sheet.state == CountState.SUBMITTED:
            messages.info(request, "The differences wait for approval.")
    return redirect("inventory:count_detail", pk=sheet.pk)


# -- counting on a phone --------------------------------------------------------------------


def _current_location(request: HttpRequest, sheet: CountSheet, text: str) -> Location | None:
    """The location typed or scanned now, else the one scanned last for this sheet."""
    key = LOCATION_KEY.format(sheet.pk)
    visible = Location.objects.in_scope_of(request.user).filter(warehouse=sheet.warehouse)
    if text.strip():
        location = visible.filter(
            Q(path__iexact=text.strip()) | Q(barcode__iexact=text.strip())
        ).first()
        if location is None:
            raise scan_problem(f"No location {text.strip()!r} in {sheet.warehouse.code}.")
        request.session[key] = location.pk
        return location
    remembered = request.session.get(key)
    return visible.filter(pk=remembered).first() if remembered else None


def _count(request: HttpRequest, sheet: CountSheet, form: CountScanForm) -> str:
    """Record one scan or typed count; the feedback line to show."""
    data = form.cleaned_data
    location = _current_location(request, sheet, data.get("location") or "")
    match = match_scan(request.user, read_scan(data["barcode"]))
    if match.product is None and match.location is not None:
        if match.location.warehouse_id != sheet.warehouse_id:
            raise scan_problem(f"{match.location.path} is not in {sheet.warehouse.code}.")
        request.session[LOCATION_KEY.format(sheet.pk)] = match.location.pk
        return f"Location {match.location.path}: scan the products."
    if match.product is None:
        raise scan_problem(match.problem or "Scan a product.")
    if location is None:
        raise scan_problem("Scan the location first.")
    typed: Decimal | None = data.get("quantity")
    quantity = typed if typed is not None else match.quantity
    lot = (data.get("lot") or "").strip() or match.lot_name
    counts.record_counts(
        Actor.of(request.user),
        sheet.pk,
        [counts.CountEntry(match.product.pk, location.pk, quantity, lot, add=typed is None)],
    )
    lines = CountLine.objects.filter(sheet=sheet, product=match.product, location=location)
    line = (lines.filter(lot__name=lot) if lot else lines.filter(lot__isnull=True)).first()
    total = f"{line.counted.normalize():f}" if line and line.counted is not None else "?"
    shown = f"{quantity.normalize():f}"
    lot_text = f", {lot}" if lot else ""
    verb = f"={shown}" if typed is not None else f"+{shown}"
    return f"{verb} {match.product.sku}{lot_text} @ {location.path}: {total} counted"


@login_required
@require_http_methods(["GET", "POST"])
def count_screen(request: HttpRequest, pk: int) -> HttpResponse:
    """Scan or type product, location, lot and quantity; each count is recorded at once."""
    sheet = _sheet(request, pk, "change")
    if sheet.state != CountState.COUNTING:
        messages.info(request, f"{sheet.reference} is {sheet.get_state_display().lower()}.")
        return redirect("inventory:count_detail", pk=sheet.pk)
    form = CountScanForm()
    feedback: tuple[str, str] | None = None
    status = 200
    if request.method == "POST":
        posted = CountScanForm(request.POST)
        try:
            if not posted.is_valid():
                name, errors = next(iter(posted.errors.items()))
                label = posted.fields[name].label if name in posted.fields else name
                raise DomainError(f"{label}: {errors[0]}")
            feedback = ("success", _count(request, sheet, posted))
        except DomainError as error:
            feedback, status = ("error", error.message), 422
            form = CountScanForm(initial={"lot": request.POST.get("lot", "")})
    location = _current_location(request, sheet, "")
    if location is not None:
        form.initial.setdefault("location", location.path)
    context = {
        "title": f"Count {sheet.reference}",
        "sheet": sheet,
        "form": form,
        "feedback": feedback,
        "location": location,
        "lines": _lines(sheet),
        "shows_expected": sheet.shows_expected,
    }
    if is_partial(request):
        return render_page(request, "inventory/count_screen.html#counter", context)
    return render_page(request, "inventory/count_screen.html", context, status=status)
