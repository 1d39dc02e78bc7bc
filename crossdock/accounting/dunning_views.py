"""Dunning screens under ``/accounting/dunning/``: the company's levels, a run on a date, the
letters (with their PDF), sending and cancelling a draft."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.accounting.forms import DATE
from crossdock.accounting.models import (
    DunningLetter,
    DunningLetterState,
    DunningLevel,
    DunningRun,
)
from crossdock.accounting.payment_views import _company
from crossdock.accounting.pdf import dunning_letter_pdf
from crossdock.accounting.services import dunning
from crossdock.accounting.views import _require
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.web.views.common import render_page

BLANK_ROWS = 2


class DunningRunForm(forms.Form):
    date = forms.DateField(label="Overdue as of", widget=DATE)


@login_required
@require_safe
def dunning_overview(request: HttpRequest) -> HttpResponse:
    """The company's levels, the run form and the letters, newest first."""
    _require(request.user, DunningLetter)
    company = _company(request)
    letters = (
        DunningLetter.objects.restrict(request.user)
        .filter(company=company)
        .select_related("partner", "company__base_currency")
        .order_by("-date", "-pk")
    )
    state = request.GET.get("state")
    if state in DunningLetterState.values:
        letters = letters.filter(state=state)
    context = {
        "title": "Dunning",
        "company": company,
        "levels": list(DunningLevel.objects.restrict(request.user).filter(company=company)),
        "form": DunningRunForm(initial={"date": timezone.localdate()}),
        "page": Paginator(letters, 50).get_page(request.GET.get("page")),
        "state": state,
        "states": DunningLetterState,
        "can_run": has_model_permission(request.user, DunningRun, "add"),
        "can_change": has_model_permission(request.user, DunningLetter, "change"),
        "can_configure": has_model_permission(request.user, DunningLevel, "change"),
    }
    return render_page(request, "accounting/dunning.html", context)


@login_required
@require_POST
def dunning_run(request: HttpRequest) -> HttpResponse:
    _require(request.user, DunningRun, "add")
    company = _company(request)
    form = DunningRunForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date to count days overdue to.")
        return redirect("accounting:dunning")
    try:
        run = dunning.run_dunning(Actor.of(request.user), company.pk, form.cleaned_data["date"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{run.letter_count} draft letter(s) for {company.code}.")
    return redirect("accounting:dunning")


# -- levels ------------------------------------------------------------------------------------


@dataclass
class _LevelRow:
    """One row of the levels form as typed, with the problems found in it."""

    index: int
    level: str = ""
    days_overdue: str = ""
    name: str = ""
    fee: str = ""
    text: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        return not (self.name.strip() or self.days_overdue.strip())


def _typed_rows(request: HttpRequest) -> list[_LevelRow]:
    rows = request.POST.get("rows", "")
    count = min(int(rows) if rows.isdigit() else 0, dunning.MAX_LEVELS + BLANK_ROWS)
    typed = request.POST
    return [
        _LevelRow(
            i, level=typed.get(f"level_{i}", ""), days_overdue=typed.get(f"days_{i}", ""),
            name=typed.get(f"name_{i}", ""), fee=typed.get(f"fee_{i}", ""),
            text=typed.get(f"text_{i}", ""),
        )
        for i in range(count)
    ]  # fmt: skip


def _whole(row: _LevelRow, raw: str, label: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        row.errors.append(f"{label}: {raw!r} is not a whole number.")
        return 0


def _inputs(rows: list[_LevelRow]) -> tuple[list[dunning.LevelInput], list[_LevelRow]]:
    """The typed rows as service input (blank rows left out) and the row each came from."""
    inputs, used = [], []
    for row in rows:
        if row.blank:
            continue
        number = _whole(row, row.level, "Level")
        days = _whole(row, row.days_overdue, "Days overdue")
        try:
            fee = Decimal(row.fee.strip() or "0")
        except InvalidOperation:
            row.errors.append(f"Fee: {row.fee!r} is not an amount.")
            fee = Decimal(0)
        inputs.append(dunning.LevelInput(number, days, row.name, fee, row.text))
        used.append(row)
    return inputs, used


@login_required
@require_http_methods(["GET", "POST"])
def dunning_levels(request: HttpRequest) -> HttpResponse:
    """Edit the company's ladder: every row at once, refused whole with each row's problems."""
    _require(request.user, DunningLevel, "change")
    company = _company(request)
    problems: list[str] = []
    if request.method == "POST":
        rows = _typed_rows(request)
        inputs, used = _inputs(rows)
        if not any(row.errors for row in rows):
            try:
                dunning.configure_dunning_levels(Actor.of(request.user), company.pk, inputs)
            except DomainError as error:
                for name, found in error.fields.items():
                    parts = name.split(".")
                    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(used):
                        used[int(parts[1])].errors.extend(found)
                    else:
                        problems.extend(found)
            else:
                messages.success(request, f"Dunning levels of {company.code} saved.")
                return redirect("accounting:dunning")
    else:
        rows = [
            _LevelRow(i, str(x.level), str(x.days_overdue), x.name, str(x.fee), x.text)
            for i, x in enumerate(DunningLevel.objects.filter(company=company).order_by("level"))
        ]
        rows += [_LevelRow(len(rows) + i) for i in range(BLANK_ROWS)]
    context = {"title": "Dunning levels", "company": company, "rows": rows, "problems": problems}
    return render_page(request, "accounting/dunning_levels.html", context)


# -- letters -----------------------------------------------------------------------------------


def _letter(request: HttpRequest, pk: int, action: str = "view") -> DunningLetter:
    _require(request.user, DunningLetter, action)
    found = (
        DunningLetter.objects.restrict(request.user, action)
        .select_related("partner", "company__base_currency", "run")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such dunning letter.")
    return found


@login_required
@require_safe
def letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _letter(request, pk)
    context = {
        "title": str(letter),
        "letter": letter,
        "lines": list(letter.lines.select_related("invoice", "currency")),
        "can_change": has_model_permission(request.user, DunningLetter, "change"),
        "states": DunningLetterState,
    }
    return render_page(request, "accounting/dunning_letter.html", context)


@login_required
@require_safe
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _letter(request, pk)
    response = HttpResponse(dunning_letter_pdf(letter), content_type="application/pdf")
    name = (letter.reference or f"dunning-{letter.pk}").replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


LETTER_ACTIONS: dict[str, tuple[Any, str]] = {
    "send": (dunning.send_dunning_letter, "Sent."),
    "cancel": (dunning.cancel_dunning_letter, "Cancelled."),
}


@login_required
@require_POST
def letter_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    letter = _letter(request, pk, "change")
    if action not in LETTER_ACTIONS:
        raise Http404("Unknown action.")
    act, message = LETTER_ACTIONS[action]
    try:
        done = act(Actor.of(request.user), letter.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        where = f" E-mailed to {done.email_to}." if done.email_to else ""
        messages.success(request, f"{done}: {message}{where if action == 'send' else ''}")
    if request.POST.get("next") == "list":
        return redirect("accounting:dunning")
    return redirect("accounting:dunning_letter", pk=letter.pk)
