"""Fulfilment screens: pick waves (pick by scanning), packing by scanning, ship, delivery note.

Thin like the other warehouse views: role (403) and scope (404), forms, one
service call. What an operator scans is kept in their session until they
complete the wave or close the package; only then do the services act, and
they check everything again.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import can_act_on, has_model_permission
from crossdock.inventory import reports, services
from crossdock.inventory.delivery_note import delivery_note_pdf
from crossdock.inventory.extensions import TransferAction, register_transfer_actions
from crossdock.inventory.forms import ScanForm
from crossdock.inventory.fulfilment import packages_of, pick_list
from crossdock.inventory.fulfilment_forms import PackageForm, PickWaveForm, ShipForm
from crossdock.inventory.gs1 import read_scan
from crossdock.inventory.models import (
    Lot,
    MoveState,
    Package,
    PickWave,
    PickWaveState,
    Shipment,
    Transfer,
    TransferKind,
)
from crossdock.inventory.models.stock import OPEN_STATES
from crossdock.inventory.scanning import match_scan
from crossdock.inventory.services.packing import carried, packed
from crossdock.inventory.services.shipping import shipped_with
from crossdock.inventory.views import _require, _transfer
from crossdock.masterdata.models import LocationKind, Product
from crossdock.web.views.common import is_partial, render_page

PICK_KEY = "inventory:pick:{}"
PACK_KEY = "inventory:pack:{}"


def _shown(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


# -- pick waves ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def wave_list(request: HttpRequest) -> HttpResponse:
    """Open and past waves; a form to make a wave of the ready transfers."""
    _require(request.user, PickWave)
    warehouses = reports.visible_warehouses(request.user).order_by("code")
    form = PickWaveForm(request.POST or None, warehouses=warehouses)
    if request.method == "POST":
        _require(request.user, PickWave, "add")
        if form.is_valid():
            try:
                wave = _create_wave(request, form)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"{wave.reference} made.")
                return redirect("inventory:wave_pick", pk=wave.pk)
    state = request.GET.get("state", PickWaveState.OPEN)
    waves = (
        PickWave.objects.restrict(request.user)
        .select_related("warehouse")
        .annotate(transfer_count=Count("transfers"))
    )
    if state in PickWaveState.values:
        waves = waves.filter(state=state)
    page = Paginator(waves.order_by("-created_at", "-id"), 30).get_page(request.GET.get("page"))
    context = {
        "title": "Pick waves",
        "form": form,
        "page": page,
        "state": state,
        "states": PickWaveState.choices,
        "can_add": has_model_permission(request.user, PickWave, "add"),
    }
    return render_page(request, "inventory/wave_list.html", context)


def _create_wave(request: HttpRequest, form: PickWaveForm) -> PickWave:
    warehouse = form.cleaned_data["warehouse"]
    references = form.references()
    ids: list[int] = []
    if references:
        found = dict(
            Transfer.objects.restrict(request.user, "change")
            .filter(reference__in=references, warehouse=warehouse)
            .values_list("reference", "pk")
        )
        unknown = [r for r in references if r not in found]
        if unknown:
            raise DomainError(f"No transfer {', '.join(unknown)} in {warehouse.code}.")
        ids = [found[r] for r in references]
    draft = services.PickWaveDraft(
        warehouse.pk,
        ids,
        form.cleaned_data.get("carrier") or "",
        form.cleaned_data.get("scheduled_until"),
    )
    return services.create_pick_wave(Actor.of(request.user), draft)


def _wave(request: HttpRequest, pk: int, action: str = "view") -> PickWave:
    _require(request.user, PickWave, action)
    wave = (
        PickWave.objects.restrict(request.user, action)
        .select_related("warehouse")
        .filter(pk=pk)
        .first()
    )
    if wave is None:
        raise Http404(f"No pick wave with id {pk}.")
    return wave


def _picked(request: HttpRequest, wave: PickWave) -> dict[str, Any]:
    data = request.session.get(PICK_KEY.format(wave.pk)) or {}
    return {
        "confirmed": dict(data.get("confirmed", {})),
        "order": list(data.get("order", [])),
        "at": data.get("at"),
    }


def _pick_scan(request: HttpRequest, wave: PickWave, state: dict[str, Any], form: ScanForm) -> str:
    """Confirm the next line the scanned product (and lot) is picked for; the feedback."""
    result = read_scan(form.cleaned_data["barcode"])
    match = match_scan(request.user, result)
    if match.product is None and match.location is not None:
        state["at"] = match.location.pk
        return f"At {match.location.path}."
    if match.product is None:
        raise DomainError(match.problem or "Scan a product or a location.")
    count = form.cleaned_data.get("count") or Decimal(1)
    quantity = match.quantity * count
    lot = (form.cleaned_data.get("lot") or match.lot_name or "").strip()
    confirmed = state["confirmed"]
    candidates = [
        (stop.location.pk, line)
        for stop in pick_list(wave)
        for line in stop.lines
        if line.product_id == match.product.pk
        and (not lot or line.lot == lot)
        and Decimal(confirmed.get(str(line.move_line_id), "0")) < line.quantity
    ]
    if not candidates:
        raise DomainError(f"No {match.product.sku}{f' lot {lot}' if lot else ''} left to pick.")
    here = [line for location, line in candidates if location == state.get("at")]
    line = (here or [line for _, line in candidates])[0]
    done = Decimal(confirmed.get(str(line.move_line_id), "0"))
    if done + quantity > line.quantity:
        raise DomainError(
            f"{match.product.sku}: {_shown(quantity)} is more than the "
            f"{_shown(line.quantity - done)} to pick for {line.transfer_reference}."
        )
    confirmed[str(line.move_line_id)] = str(done + quantity)
    state["order"].append([line.move_line_id, str(quantity)])
    return f"+{_shown(quantity)} {line.sku} for {line.transfer_reference}"


@login_required
@require_http_methods(["GET", "POST"])
def wave_pick(request: HttpRequest, pk: int) -> HttpResponse:
    """The wave's pick list in walking order; scan to confirm each line; complete picking."""
    wave = _wave(request, pk)
    can_change = can_act_on(request.user, wave, "change") and wave.state == PickWaveState.OPEN
    state = _picked(request, wave)
    form = ScanForm()
    feedback: tuple[str, str] | None = None
    status = 200
    if request.method == "POST":
        if not can_change:
            raise Http404("This wave cannot be picked.")
        step = request.POST.get("step", "scan")
        try:
            if step in ("complete", "complete_all"):
                return _complete(request, wave, state, everything=step == "complete_all")
            if step == "cancel":
                services.cancel_pick_wave(Actor.of(request.user), wave.pk)
                request.session.pop(PICK_KEY.format(wave.pk), None)
                messages.success(request, f"{wave.reference} cancelled.")
                return redirect("inventory:wave_list")
            if step == "undo":
                feedback = ("info", _undo(state))
            else:
                form = ScanForm(request.POST)
                if not form.is_valid():
                    raise DomainError(str(next(iter(form.errors.values()))[0]))
                feedback = ("success", _pick_scan(request, wave, state, form))
                form = ScanForm()
            request.session[PICK_KEY.format(wave.pk)] = {
                "confirmed": state["confirmed"],
                "order": state["order"],
                "at": state.get("at"),
            }
        except DomainError as error:
            feedback, status = ("error", error.message), 422
            form = ScanForm(initial={k: request.POST.get(k) for k in ("lot", "count")})
    confirmed = state["confirmed"]
    stops = pick_list(wave)
    rows = [
        {
            "stop": stop,
            "lines": [
                {
                    "line": line,
                    "picked": Decimal(confirmed.get(str(line.move_line_id), "0")),
                    "complete": Decimal(confirmed.get(str(line.move_line_id), "0"))
                    >= line.quantity,
                }
                for line in stop.lines
            ],
        }
        for stop in stops
    ]
    context = {
        "title": f"Pick {wave.reference}",
        "wave": wave,
        "rows": rows,
        "form": form,
        "feedback": feedback,
        "can_change": can_change,
        "scans": len(state["order"]),
        "transfers": wave.transfers.order_by("pk"),
    }
    if is_partial(request):
        return render_page(request, "inventory/wave_pick.html#picker", context)
    return render_page(request, "inventory/wave_pick.html", context, status=status)


def _undo(state: dict[str, Any]) -> str:
    if not state["order"]:
        return "Nothing to undo."
    line_id, quantity = state["order"].pop()
    left = Decimal(state["confirmed"].get(str(line_id), "0")) - Decimal(quantity)
    if left > 0:
        state["confirmed"][str(line_id)] = str(left)
    else:
        state["confirmed"].pop(str(line_id), None)
    return "Last scan undone."


def _complete(
    request: HttpRequest, wave: PickWave, state: dict[str, Any], *, everything: bool
) -> HttpResponse:
    picked = None
    if not everything:
        picked = [
            services.PickedLine(int(line_id), Decimal(quantity))
            for line_id, quantity in state["confirmed"].items()
        ]
        if not picked:
            raise DomainError("Scan what you picked first (or complete all).")
    services.complete_picking(Actor.of(request.user), wave.pk, picked)
    request.session.pop(PICK_KEY.format(wave.pk), None)
    messages.success(request, f"{wave.reference} picked.")
    url = reverse("inventory:wave_pick", args=[wave.pk])
    if is_partial(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# -- packing ------------------------------------------------------------------------------


def _pack_rows(transfer: Transfer, current: list[list[str]]) -> list[dict[str, Any]]:
    """Per product and lot: carried, packed, in the open package, left to pack."""
    carries = carried(transfer)
    so_far = packed(transfer)
    lot_ids = {lot for _, lot in carries if lot}
    lots = dict(Lot.objects.filter(pk__in=lot_ids).values_list("pk", "name"))
    products = Product.objects.in_bulk({p for p, _ in carries})
    open_box: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for product_id, lot_name, scanned in current:
        open_box[(int(product_id), lot_name)] += Decimal(scanned)
    rows = []
    for (product, lot), quantity in sorted(
        carries.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)
    ):
        name = lots.get(lot, "") if lot else ""
        in_box = open_box.get((product, name), Decimal(0))
        done = so_far.get((product, lot), Decimal(0))
        rows.append(
            {
                "product": products[product],
                "lot": name,
                "carried": quantity,
                "packed": done,
                "in_box": in_box,
                "left": quantity - done - in_box,
            }
        )
    return rows


def _pack_scan(
    request: HttpRequest, transfer: Transfer, current: list[list[str]], form: ScanForm
) -> str:
    text = form.cleaned_data["barcode"].strip()
    package = (
        Package.objects.restrict(request.user)
        .filter(number=text)
        .select_related("transfer")
        .first()
    )
    if package is not None:
        return (
            f"Package {package.number} of {package.transfer.reference}: "
            f"{_shown(package.weight)} kg, {package.contents.count()} line(s)."
        )
    match = match_scan(request.user, read_scan(form.cleaned_data["barcode"]), transfer=transfer)
    if match.product is None:
        raise DomainError(match.problem or "Scan a product or a package.")
    quantity = match.quantity * (form.cleaned_data.get("count") or Decimal(1))
    lot = (form.cleaned_data.get("lot") or match.lot_name or "").strip()
    rows = [r for r in _pack_rows(transfer, current) if r["product"].pk == match.product.pk]
    if not rows:
        raise DomainError(f"{match.product.sku} is not on {transfer.reference}.")
    fitting = [r for r in rows if (not lot or r["lot"] == lot) and r["left"] >= quantity]
    if not fitting:
        left = sum((r["left"] for r in rows if not lot or r["lot"] == lot), Decimal(0))
        raise DomainError(
            f"{match.product.sku}{f' lot {lot}' if lot else ''}: {_shown(quantity)} is more "
            f"than the {_shown(left)} left to pack."
        )
    row = fitting[0]
    current.append([str(match.product.pk), row["lot"], str(quantity)])
    return f"+{_shown(quantity)} {match.product.sku}{f' ({row["lot"]})' if row['lot'] else ''}"


@login_required
@require_http_methods(["GET", "POST"])
def transfer_pack(request: HttpRequest, pk: int) -> HttpResponse:
    """Scan products into the package being filled, then close it with its weight."""
    transfer = _transfer(request, pk, "change")
    _require(request.user, Package, "add")
    key = PACK_KEY.format(transfer.pk)
    current: list[list[str]] = list(request.session.get(key) or [])
    form, box = ScanForm(), PackageForm(initial={"package_type": "box"})
    feedback: tuple[str, str] | None = None
    status = 200
    if request.method == "POST":
        step = request.POST.get("step", "scan")
        try:
            if step == "close":
                box = PackageForm(request.POST)
                if not box.is_valid():
                    raise DomainError(str(next(iter(box.errors.values()))[0]))
                package = _close(request, transfer, current, box)
                current = []
                box = PackageForm(initial={"package_type": "box"})
                feedback = ("success", f"Package {package.number} packed.")
            elif step == "undo":
                feedback = ("info", "Last scan undone." if current else "Nothing to undo.")
                current = current[:-1]
            else:
                form = ScanForm(request.POST)
                if not form.is_valid():
                    raise DomainError(str(next(iter(form.errors.values()))[0]))
                feedback = ("success", _pack_scan(request, transfer, current, form))
                form = ScanForm()
        except DomainError as error:
            feedback, status = ("error", error.message), 422
        if current:
            request.session[key] = current
        else:
            request.session.pop(key, None)
    packages = list(packages_of(shipped_with(transfer)))
    context = {
        "title": f"Pack {transfer.reference}",
        "transfer": transfer,
        "form": form,
        "box": box,
        "feedback": feedback,
        "rows": _pack_rows(transfer, current),
        "in_box": len(current),
        "packages": packages,
        "total_weight": sum((p.weight for p in packages), Decimal(0)),
    }
    return render_page(request, "inventory/pack.html", context, status=status)


def _close(
    request: HttpRequest, transfer: Transfer, current: list[list[str]], box: PackageForm
) -> Package:
    if not current:
        raise DomainError("Scan what goes into the package first.")
    merged: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for product, lot, quantity in current:
        merged[(int(product), lot)] += Decimal(quantity)
    data = box.cleaned_data
    draft = services.PackageDraft(
        weight=data["weight"],
        contents=[services.PackedItem(p, q, lot) for (p, lot), q in merged.items()],
        number=data.get("number") or "",
        package_type=data["package_type"],
        length=data.get("length"),
        width=data.get("width"),
        height=data.get("height"),
    )
    return services.pack(Actor.of(request.user), transfer.pk, [draft])[0]


# -- shipping and the delivery note -------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def transfer_ship(request: HttpRequest, pk: int) -> HttpResponse:
    """Ship a delivery with its carrier and tracking number (what is reserved)."""
    transfer = _transfer(request, pk, "change")
    _require(request.user, Shipment, "add")
    planned = Shipment.objects.filter(transfer_id__in=shipped_with(transfer)).first()
    initial = (
        {"carrier": planned.carrier, "service_level": planned.service_level} if planned else {}
    )
    form = ShipForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            shipment = services.ship(
                Actor.of(request.user),
                transfer.pk,
                data["carrier"],
                data["tracking_number"],
                service_level=data.get("service_level") or "",
            )
        except DomainError as error:
            for name, problems in (error.fields or {}).items():
                form.add_error(name if name in form.fields else None, problems)
            if not error.fields:
                form.add_error(None, error.message)
            status = 422
        else:
            messages.success(
                request,
                f"{transfer.reference} shipped with {shipment.carrier} {shipment.tracking_number}.",
            )
            return redirect("inventory:transfer_detail", pk=transfer.pk)
    elif request.method == "POST":
        status = 422
    packages = list(packages_of(shipped_with(transfer)))
    context = {
        "title": f"Ship {transfer.reference}",
        "transfer": transfer,
        "form": form,
        "packages": packages,
        "total_weight": sum((p.weight for p in packages), Decimal(0)),
    }
    return render_page(request, "inventory/ship.html", context, status=status)


@login_required
@require_safe
def delivery_note(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _transfer(request, pk)
    response = HttpResponse(delivery_note_pdf(transfer), content_type="application/pdf")
    name = transfer.reference.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="{name}-delivery-note.pdf"'
    return response


def fulfilment_actions(user: Any, transfer: Transfer) -> list[TransferAction]:
    """Pack, Ship and Delivery note on a transfer's page, where they apply."""
    actions = []
    is_open = transfer.state in OPEN_STATES
    outgoing = transfer.kind == TransferKind.DELIVERY or (
        transfer.final_destination is not None
        and transfer.final_destination.kind == LocationKind.CUSTOMER
    )
    may_change = can_act_on(user, transfer, "change")
    if outgoing and is_open and may_change and has_model_permission(user, Package, "add"):
        actions.append(
            TransferAction("Pack", reverse("inventory:transfer_pack", args=[transfer.pk]))
        )
    delivery = transfer.kind == TransferKind.DELIVERY and transfer.destination.kind == (
        LocationKind.CUSTOMER
    )
    if delivery and is_open and may_change and has_model_permission(user, Shipment, "add"):
        actions.append(
            TransferAction("Ship", reverse("inventory:transfer_ship", args=[transfer.pk]))
        )
    if delivery and transfer.state != MoveState.CANCELLED:
        actions.append(
            TransferAction("Delivery note", reverse("inventory:delivery_note", args=[transfer.pk]))
        )
    return actions


register_transfer_actions(fulfilment_actions)
