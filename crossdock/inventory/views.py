"""Warehouse screens: transfers and processing them by scanning, stock, lots, ATP, valuation.

Views are thin (STYLE.md): they check the role (403) and the row scope (404),
read forms, call one service or report, and render. Pages are phone-first and
work without JavaScript; with HTMX the list filters and the scan field update
their part of the page in place.

Processing by scanning keeps the scans of a transfer in the operator's session
(:class:`~crossdock.inventory.scanning.Tally`) until they validate: only then
does stock move, through :func:`~crossdock.inventory.services.validate_transfer`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import can_act_on, has_model_permission
from crossdock.inventory import reports, services
from crossdock.inventory.extensions import transfer_actions
from crossdock.inventory.forms import (
    AvailabilityForm,
    LotSearchForm,
    ScanForm,
    StockLookupForm,
    TransferFilterForm,
    ValuationForm,
)
from crossdock.inventory.gs1 import read_scan
from crossdock.inventory.models import (
    Lot,
    MoveLine,
    MoveState,
    Quant,
    StockMove,
    Transfer,
    TransferKind,
    ValuationLayer,
)
from crossdock.inventory.models.stock import OPEN_STATES
from crossdock.inventory.scanning import Tally, match_scan, open_moves
from crossdock.masterdata.models import Location, Product, ProductBarcode
from crossdock.masterdata.models.organisation import INTERNAL_KINDS
from crossdock.web.views.common import is_partial, render_page
from crossdock.web.workspace import workspace_of

PER_PAGE = 30
MAX_ROWS = 500
TALLY_KEY = "inventory:tally:{}"


def _require(user: Any, model: type[models.Model], action: str = "view") -> None:
    if not has_model_permission(user, model, action):
        plural = model._meta.verbose_name_plural
        raise PermissionDenied(f"Your role does not allow you to {action} {plural}.")


def _transfer(request: HttpRequest, pk: int, action: str = "view") -> Transfer:
    _require(request.user, Transfer, action)
    transfer = (
        Transfer.objects.restrict(request.user, action)
        .select_related(
            "warehouse",
            "source",
            "destination",
            "partner",
            "backorder_of",
            "previous_step",
            "returned_from",
            "final_destination",
        )
        .filter(pk=pk)
        .first()
    )
    if transfer is None:
        raise Http404(f"No transfer with id {pk}.")
    return transfer


# -- transfers ----------------------------------------------------------------------------


@login_required
@require_safe
def transfer_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, Transfer)
    warehouses = reports.visible_warehouses(request.user).order_by("code")
    form = TransferFilterForm(request.GET, warehouses=warehouses)
    transfers = Transfer.objects.restrict(request.user).select_related(
        "warehouse", "source", "destination", "partner"
    )
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state", "") if "state" in request.GET else TransferFilterForm.OPEN
    if state == TransferFilterForm.OPEN:
        transfers = transfers.filter(state__in=[*OPEN_STATES, MoveState.DRAFT])
    elif state:
        transfers = transfers.filter(state=state)
    if data.get("kind"):
        transfers = transfers.filter(kind=data["kind"])
    if data.get("warehouse"):
        transfers = transfers.filter(warehouse=data["warehouse"])
    if (data.get("q") or "").strip():
        transfers = transfers.filter(reference__icontains=data["q"].strip())
    form.initial["state"] = state
    page = Paginator(transfers.order_by("scheduled_at", "id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"title": "Transfers", "form": form, "page": page, "state": state}
    if is_partial(request):
        return render_page(request, "inventory/transfer_list.html#table", context)
    return render_page(request, "inventory/transfer_list.html", context)


@login_required
@require_safe
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _transfer(request, pk)
    lines = MoveLine.objects.select_related("source", "lot").order_by("pk")
    moves = (
        StockMove.objects.filter(transfer=transfer)
        .select_related("product__base_unit", "lot")
        .prefetch_related(Prefetch("lines", lines))
        .order_by("pk")
    )
    can_change = can_act_on(request.user, transfer, "change")
    is_open = transfer.state in OPEN_STATES
    context = {
        "title": transfer.reference,
        "transfer": transfer,
        "moves": moves,
        "backorders": transfer.backorders.order_by("pk"),
        "can_confirm": can_change and transfer.state == MoveState.DRAFT,
        "can_process": can_change and is_open,
        "can_reserve": can_change and is_open and transfer.source.is_internal,
        "can_cancel": can_change and transfer.state not in (MoveState.DONE, MoveState.CANCELLED),
        "can_see_stock": has_model_permission(request.user, Quant, "view"),
        "next_steps": transfer.next_steps.order_by("pk"),
        "returns": transfer.returns.order_by("pk"),
        "can_return": transfer.state == MoveState.DONE
        and transfer.kind in (TransferKind.RECEIPT, TransferKind.DELIVERY)
        and has_model_permission(request.user, Transfer, "add"),
        "can_arrive": can_change and is_open and transfer.kind == TransferKind.TRANSIT_IN,
        "extra_actions": transfer_actions(request.user, transfer),
    }
    if context["can_arrive"]:
        from crossdock.inventory.flow_forms import ArrivalForm

        locations = reports.visible_locations(request.user).filter(
            warehouse=transfer.warehouse, kind__in=sorted(INTERNAL_KINDS), active=True
        )
        context["arrival_form"] = ArrivalForm(
            locations=locations.order_by("path"), initial={"location": transfer.destination_id}
        )
    return render_page(request, "inventory/transfer_detail.html", context)


def _reserve(actor: Actor, transfer: Transfer) -> Any:
    return services.reserve_moves(actor, [m.pk for m in open_moves(transfer)])


ACTIONS: dict[str, tuple[Callable[[Actor, Transfer], Any], str]] = {
    "confirm": (lambda actor, t: services.confirm_transfer(actor, t.pk), "confirmed"),
    "reserve": (_reserve, "reserved as far as stock allows"),
    "validate": (lambda actor, t: services.validate_transfer(actor, t.pk), "done"),
    "cancel": (lambda actor, t: services.cancel_transfer(actor, t.pk), "cancelled"),
}


@login_required
@require_POST
def transfer_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action.")
    transfer = _transfer(request, pk, "change")
    run, done = ACTIONS[action]
    try:
        run(Actor.of(request.user), transfer)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{transfer.reference} {done}.")
    return redirect("inventory:transfer_detail", pk=transfer.pk)


# -- processing by scanning ---------------------------------------------------------------


def _load_tally(request: HttpRequest, transfer: Transfer) -> Tally:
    return Tally.from_data(request.session.get(TALLY_KEY.format(transfer.pk)))


def _save_tally(request: HttpRequest, transfer: Transfer, tally: Tally) -> None:
    key = TALLY_KEY.format(transfer.pk)
    if tally.lines:
        request.session[key] = tally.to_data()
    else:
        request.session.pop(key, None)


def _progress(transfer: Transfer, tally: Tally) -> list[dict[str, Any]]:
    """Per open move: planned, scanned so far, still to do, and the lots captured."""
    groups = tally.grouped()
    rows = []
    for move in open_moves(transfer):
        done = tally.done_of(move.pk)
        rows.append(
            {
                "move": move,
                "done": done,
                "left": move.quantity - done,
                "complete": done >= move.quantity,
                "lots": [g for g in groups if g.move_id == move.pk and (g.lot or g.expires_on)],
            }
        )
    return rows


def _scan(request: HttpRequest, transfer: Transfer, tally: Tally, form: ScanForm) -> str:
    """Count one scan into the tally; the feedback line to show."""
    data = form.cleaned_data
    result = read_scan(data["barcode"])
    match = match_scan(request.user, result, transfer=transfer)
    if match.product is None and match.location is not None:
        return f"Location {match.location.path}: scan the products."
    line = tally.add(
        transfer,
        match,
        lot_name=data.get("lot") or "",
        expires_on=data.get("expires_on"),
        count=data.get("count"),
    )
    assert match.product is not None
    lot = f", {line.lot}" if line.lot else ""
    expiry = f", expires {line.expires_on}" if line.expires_on else ""
    return f"+{line.quantity.normalize():f} {match.product.sku}{lot}{expiry}"


@login_required
@require_http_methods(["GET", "POST"])
def transfer_process(request: HttpRequest, pk: int) -> HttpResponse:
    """Scan products (GS1 labels or plain barcodes) into a transfer, then validate it."""
    transfer = _transfer(request, pk, "change")
    if transfer.state not in OPEN_STATES:
        messages.info(request, f"{transfer.reference} is {transfer.get_state_display().lower()}.")
        return redirect("inventory:transfer_detail", pk=transfer.pk)
    tally = _load_tally(request, transfer)
    form = ScanForm()
    feedback: tuple[str, str] | None = None
    status = 200
    if request.method == "POST":
        step = request.POST.get("step", "scan")
        try:
            if step == "validate":
                return _validate(request, transfer, tally)
            if step == "undo":
                undone = tally.remove_last()
                feedback = ("info", "Last scan undone." if undone else "Nothing to undo.")
            elif step == "clear":
                tally.lines.clear()
                feedback = ("info", "All scans cleared.")
            else:
                form = ScanForm(request.POST)
                if not form.is_valid():
                    raise DomainError(str(next(iter(form.errors.values()))[0]))
                feedback = ("success", _scan(request, transfer, tally, form))
                form = ScanForm()
            _save_tally(request, transfer, tally)
        except DomainError as error:
            feedback, status = ("error", error.message), 422
            # The scan field starts empty again (the next scan must not append to this one).
            form = ScanForm(
                initial={k: request.POST.get(k) for k in ("lot", "expires_on", "count")}
            )
    context = {
        "title": f"Process {transfer.reference}",
        "transfer": transfer,
        "form": form,
        "feedback": feedback,
        "progress": _progress(transfer, tally),
        "scans": len(tally.lines),
    }
    if is_partial(request):  # HTMX swaps 200s only; the feedback says what went wrong
        return render_page(request, "inventory/process.html#scanner", context)
    return render_page(request, "inventory/process.html", context, status=status)


def _validate(request: HttpRequest, transfer: Transfer, tally: Tally) -> HttpResponse:
    if not tally.lines:
        raise DomainError("Scan what you processed first (or use Validate all on the transfer).")
    services.validate_transfer(Actor.of(request.user), transfer.pk, tally.done_lines())
    tally.lines.clear()
    _save_tally(request, transfer, tally)
    messages.success(request, f"{transfer.reference} validated.")
    url = reverse("inventory:transfer_detail", args=[transfer.pk])
    if is_partial(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# -- stock, lots, availability, valuation -------------------------------------------------


def find_products(text: str, limit: int = 20) -> list[Product]:
    """Products by exact SKU, by barcode, else by SKU or name containing ``text``."""
    text = text.strip()
    if not text:
        return []
    exact = list(Product.objects.filter(sku__iexact=text)[:1])
    if exact:
        return exact
    if text.isdigit():
        gtins = {text, text.zfill(14), text.lstrip("0")}
        barcode = ProductBarcode.objects.select_related("product").filter(gtin__in=gtins).first()
        if barcode is not None:
            return [barcode.product]
    return list(
        Product.objects.filter(Q(sku__icontains=text) | Q(name__icontains=text)).order_by("sku")[
            :limit
        ]
    )


def _find_location(user: Any, text: str) -> list[Location]:
    text = text.strip()
    if not text:
        return []
    visible = reports.visible_locations(user)
    exact = list(visible.filter(Q(barcode__iexact=text) | Q(path__iexact=text))[:1])
    return exact or list(visible.filter(path__icontains=text).order_by("path")[:20])


@login_required
@require_safe
def stock(request: HttpRequest) -> HttpResponse:
    """Stock by location: per product (where is it?) or per location (what is here?)."""
    _require(request.user, Quant)
    form = StockLookupForm(request.GET or None)
    products: list[Product] = []
    locations: list[Location] = []
    quants = None
    if form.is_valid():
        products = find_products(form.cleaned_data["product"])
        locations = _find_location(request.user, form.cleaned_data["location"])
        product = products[0] if len(products) == 1 else None
        location = locations[0] if len(locations) == 1 else None
        if product or location:
            found = reports.stock_quants(
                request.user,
                product_id=product.pk if product else None,
                location_id=location.pk if location else None,
            )
            quants = list(found.order_by("location__path", "product__sku", "lot__name")[:MAX_ROWS])
    context = {
        "title": "Stock by location",
        "form": form,
        "products": products,
        "locations": locations,
        "quants": quants,
        "totals": _totals(quants or []),
        "max_rows": MAX_ROWS,
    }
    return render_page(request, "inventory/stock.html", context)


def _totals(quants: list[Quant]) -> dict[str, Decimal] | None:
    if not quants or len({q.product_id for q in quants}) != 1:
        return None
    on_hand = sum((q.quantity for q in quants), Decimal(0))
    reserved = sum((q.reserved for q in quants), Decimal(0))
    return {"quantity": on_hand, "reserved": reserved, "available": on_hand - reserved}


@login_required
@require_safe
def lot_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, Lot)
    form = LotSearchForm(request.GET or None)
    lots: list[Lot] = []
    text = (form.cleaned_data.get("q") or "").strip() if form.is_valid() else ""
    if text:
        found = Lot.objects.restrict(request.user).select_related("product")
        lots = list(found.filter(name__icontains=text).order_by("name", "product__sku")[:50])
        if len(lots) == 1:
            return redirect("inventory:lot_trace", pk=lots[0].pk)
    context = {"title": "Lot trace", "form": form, "lots": lots, "searched": bool(text)}
    return render_page(request, "inventory/lot_list.html", context)


@login_required
@require_safe
def lot_trace(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, Lot)
    lot = Lot.objects.restrict(request.user).select_related("product").filter(pk=pk).first()
    if lot is None:
        raise Http404(f"No lot with id {pk}.")
    quants = None
    if has_model_permission(request.user, Quant, "view"):
        quants = list(reports.stock_quants(request.user, lot_id=lot.pk).order_by("location__path"))
    context = {
        "title": f"Lot {lot.name}",
        "lot": lot,
        "steps": reports.lot_trace(request.user, lot),
        "quants": quants,
    }
    return render_page(request, "inventory/lot_trace.html", context)


@login_required
@require_safe
def availability(request: HttpRequest) -> HttpResponse:
    """Available-to-promise for one product: per warehouse now, and when a quantity is there."""
    _require(request.user, Quant)
    form = AvailabilityForm(request.GET or None)
    products: list[Product] = []
    rows = None
    quantity = None
    if form.is_valid():
        products = find_products(form.cleaned_data["product"])
        quantity = form.cleaned_data.get("quantity")
        if len(products) == 1:
            rows = reports.availability_rows(
                request.user,
                products,
                group_by=form.cleaned_data.get("group_by") or "warehouse",
                quantity=quantity,
            )
    context = {
        "title": "Availability",
        "form": form,
        "products": products,
        "rows": rows,
        "quantity": quantity,
    }
    return render_page(request, "inventory/availability.html", context)


@login_required
@require_safe
def valuation(request: HttpRequest) -> HttpResponse:
    """Stock value per product of one company, now or at the end of a past day; CSV export."""
    _require(request.user, ValuationLayer)
    companies = reports.visible_companies(request.user)
    current = workspace_of(request).current
    default = current if current is not None else companies.first()
    data = request.GET.copy()
    if not data.get("company") and default is not None:
        data["company"] = str(default.pk)
    form = ValuationForm(data, companies=companies)
    report = None
    page = None
    if form.is_valid():
        report = reports.valuation_report(form.cleaned_data["company"], form.cleaned_data["as_of"])
        if request.GET.get("format") == "csv":
            return _valuation_csv(report)
        page = Paginator(report.lines, 100).get_page(request.GET.get("page"))
    context = {"title": "Stock valuation", "form": form, "report": report, "page": page}
    return render_page(request, "inventory/valuation.html", context)


def _valuation_csv(report: reports.ValuationReport) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["sku", "name", "quantity", f"value_{report.currency.lower()}"])
    for line in report.lines:
        writer.writerow([line.sku, line.name, line.quantity, line.value])
    writer.writerow(["TOTAL", "", "", report.total_value])
    as_of = report.as_of.date().isoformat() if report.as_of else "now"
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"stock-valuation-{report.company.code}-{as_of}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
