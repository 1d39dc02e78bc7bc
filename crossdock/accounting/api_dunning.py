"""Dunning endpoints: a company's reminder levels, dunning runs on a date, and the letters they
draft (list, detail, send, cancel, PDF). Each action calls one service; refusals are problem
documents naming the field at fault."""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from crossdock.accounting import reports
from crossdock.accounting.models import DunningLetter, DunningLevel, DunningRun
from crossdock.accounting.pdf import dunning_letter_pdf
from crossdock.accounting.services import dunning
from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError
from crossdock.core.fields import MONEY_SCALE

router = Router(tags=["Dunning"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

if TYPE_CHECKING:
    Money = Decimal
else:
    Money = decimal_type(MONEY_SCALE)


class LevelIn(InputSchema):
    level: int = Field(description="1 for the first reminder, 2 for the next…")
    days_overdue: int = Field(description="From how many days past due the level applies.")
    name: Annotated[Text, Field(max_length=60)]
    fee: Money = Field(Decimal(0), description="Charged on the letter, in company currency.")
    text: Annotated[Text, Field(max_length=2000)] = ""


class LevelsIn(InputSchema):
    company: Id
    levels: Annotated[list[LevelIn], Field(max_length=50)]


class RunIn(InputSchema):
    company: Id
    date: datetime.date = Field(description="The date the invoices' days overdue are counted to.")


class LevelOut(Schema):
    id: int
    company: int
    level: int
    days_overdue: int
    name: str
    fee: str
    text: str


class LevelPage(Schema):
    items: list[LevelOut]
    next_cursor: str | None


class LetterLineOut(Schema):
    invoice: int
    invoice_number: str
    level: int
    due_date: datetime.date
    days_overdue: int
    currency: str
    open_amount: str
    open_company: str


class LetterOut(Schema):
    id: int
    company: int
    run: int | None
    reference: str
    partner: int
    partner_name: str
    date: datetime.date
    state: str
    level: int
    level_name: str
    text: str
    fee: str
    total: str
    currency: str
    email_to: str
    sent_at: datetime.datetime | None
    version: int
    lines: list[LetterLineOut]


class LetterPage(Schema):
    items: list[LetterOut]
    next_cursor: str | None


class RunOut(Schema):
    id: int
    company: int
    run_date: datetime.date
    letter_count: int
    letters: list[LetterOut]


class RunPage(Schema):
    items: list[RunOut]
    next_cursor: str | None


class LevelParams(Schema):
    company: QueryId | None = None
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=1000)


class RunParams(Schema):
    company: QueryId | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


class LetterParams(Schema):
    company: QueryId | None = None
    partner: QueryId | None = None
    run: QueryId | None = None
    state: Literal["draft", "sent", "cancelled"] | None = None
    level: int | None = Field(None, ge=1)
    date_from: datetime.date | None = None
    date_until: datetime.date | None = None
    ordering: Literal["-id", "id", "-date", "date", "-total", "total"] = "-id"
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=1000)


# -- helpers ---------------------------------------------------------------------------------


def level_data(level: DunningLevel) -> dict[str, Any]:
    return {
        "id": level.pk, "company": level.company_id, "level": level.level,
        "days_overdue": level.days_overdue, "name": level.name, "fee": str(level.fee),
        "text": level.text,
    }  # fmt: skip


def letter_data(letter: DunningLetter) -> dict[str, Any]:
    return {
        "id": letter.pk, "company": letter.company_id, "run": letter.run_id,
        "reference": letter.reference, "partner": letter.partner_id,
        "partner_name": letter.partner.name, "date": letter.date.isoformat(),
        "state": letter.state, "level": letter.level, "level_name": letter.level_name,
        "text": letter.text, "fee": str(letter.fee), "total": str(letter.total),
        "currency": letter.company.base_currency.code, "email_to": letter.email_to,
        "sent_at": letter.sent_at.isoformat() if letter.sent_at else None,
        "version": letter.version,
        "lines": [
            {
                "invoice": line.invoice_id, "invoice_number": line.invoice.number,
                "level": line.level, "due_date": line.due_date.isoformat(),
                "days_overdue": line.days_overdue, "currency": line.currency.code,
                "open_amount": str(line.open_amount), "open_company": str(line.open_company),
            }
            for line in letter.lines.all()
        ],
    }  # fmt: skip


def _letters(user: Any, action: str = "view") -> Any:
    require_permission(user, DunningLetter, action)
    return (
        DunningLetter.objects.restrict(user, action)
        .select_related("partner", "company__base_currency")
        .prefetch_related("lines__invoice", "lines__currency")
    )


def _letter(user: Any, pk: int, action: str = "view") -> DunningLetter:
    found = _letters(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No dunning letter with id {pk}.")
    return found


def _run_data(user: Any, run: DunningRun) -> dict[str, Any]:
    letters = _letters(user).filter(run=run).order_by("pk")
    return {
        "id": run.pk, "company": run.company_id, "run_date": run.run_date.isoformat(),
        "letter_count": run.letter_count, "letters": [letter_data(x) for x in letters],
    }  # fmt: skip


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


# -- levels ----------------------------------------------------------------------------------


@router.get(
    "/dunning-levels",
    response={200: LevelPage, ERRORS: Problem},
    operation_id="list_dunning_levels",
    summary="Dunning levels per company, by company and level",
)
def list_levels(request: HttpRequest, params: Query[LevelParams]) -> HttpResponse:
    refuse_unknown_params(request, LevelParams.model_fields)
    require_permission(request.user, DunningLevel, "view")
    rows = DunningLevel.objects.restrict(request.user, "view")
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    page = paginate(rows, "id", params.cursor, params.limit)  # a ladder is written in level order
    return json_response(
        {"items": [level_data(x) for x in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/dunning-levels",
    response={200: LevelPage, ERRORS: Problem},
    operation_id="configure_dunning_levels",
    summary="Replace a company's dunning levels",
    description="The levels are checked whole: numbered 1, 2, 3… without gaps, the days overdue "
    "strictly increasing with the level, nothing negative, fees in the company currency's "
    "decimals. A refusal is a 422 naming each field (`levels.1.days_overdue`); nothing is "
    "written then. Letters already drafted keep the level they were drafted at.",
)
@idempotent
def configure_levels(
    request: HttpRequest,
    payload: LevelsIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, DunningLevel, "change")
    company = reports.company_in_scope(request.user, payload.company)
    levels = dunning.configure_dunning_levels(
        _actor(request),
        company.pk,
        [
            dunning.LevelInput(x.level, x.days_overdue, x.name, x.fee, x.text)
            for x in payload.levels
        ],
    )
    return json_response({"items": [level_data(x) for x in levels], "next_cursor": None})


# -- runs ------------------------------------------------------------------------------------


@router.get(
    "/dunning-runs",
    response={200: RunPage, ERRORS: Problem},
    operation_id="list_dunning_runs",
    summary="Dunning runs with the letters they drafted, newest first",
)
def list_runs(request: HttpRequest, params: Query[RunParams]) -> HttpResponse:
    refuse_unknown_params(request, RunParams.model_fields)
    require_permission(request.user, DunningRun, "view")
    rows = DunningRun.objects.restrict(request.user, "view")
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    page = paginate(rows, "-id", params.cursor, params.limit)
    return json_response(
        {
            "items": [_run_data(request.user, run) for run in page.rows],
            "next_cursor": page.next_cursor,
        }
    )


@router.post(
    "/dunning-runs",
    response={201: RunOut, ERRORS: Problem},
    operation_id="run_dunning",
    summary="Run dunning for a company on a date: draft letters for invoices at a new level",
    description="One draft letter per customer whose posted invoices reached a new dunning level "
    "on `date`, at the highest level reached, listing those invoices. An invoice is never "
    "dunned twice at one level. A company without levels is refused (422, field `company`).",
)
@idempotent
def run(
    request: HttpRequest,
    payload: RunIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, DunningRun, "add")
    company = reports.company_in_scope(request.user, payload.company)
    done = dunning.run_dunning(_actor(request), company.pk, payload.date)
    return json_response(_run_data(request.user, done), 201)


# -- letters ---------------------------------------------------------------------------------


@router.get(
    "/dunning-letters",
    response={200: LetterPage, ERRORS: Problem},
    operation_id="list_dunning_letters",
    summary="Dunning letters, newest first unless ordered otherwise",
)
def list_letters(request: HttpRequest, params: Query[LetterParams]) -> HttpResponse:
    refuse_unknown_params(request, LetterParams.model_fields)
    rows = _letters(request.user)
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    if params.partner is not None:
        rows = rows.filter(partner_id=params.partner)
    if params.run is not None:
        rows = rows.filter(run_id=params.run)
    if params.state is not None:
        rows = rows.filter(state=params.state)
    if params.level is not None:
        rows = rows.filter(level=params.level)
    if params.date_from is not None:
        rows = rows.filter(date__gte=params.date_from)
    if params.date_until is not None:
        rows = rows.filter(date__lte=params.date_until)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [letter_data(x) for x in page.rows], "next_cursor": page.next_cursor}
    )


@router.get(
    "/dunning-letters/{int:id}",
    response={200: LetterOut, ERRORS: Problem},
    operation_id="get_dunning_letter",
    summary="A dunning letter with its overdue invoices",
)
def get_letter(request: HttpRequest, id: int) -> HttpResponse:
    letter = _letter(request.user, id)
    return json_response(letter_data(letter), etag_version=letter.version)


@router.get(
    "/dunning-letters/{int:id}/pdf",
    response={ERRORS: Problem},
    operation_id="dunning_letter_pdf",
    summary="The letter as PDF",
)
def get_letter_pdf(request: HttpRequest, id: int) -> HttpResponse:
    letter = _letter(request.user, id)
    response = HttpResponse(dunning_letter_pdf(letter), content_type="application/pdf")
    name = (letter.reference or f"dunning-{letter.pk}").replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


LETTER_ACTIONS = {
    "send": dunning.send_dunning_letter,
    "cancel": dunning.cancel_dunning_letter,
}


@router.post(
    "/dunning-letters/{int:id}/{action}",
    response={200: LetterOut, ERRORS: Problem},
    operation_id="act_on_dunning_letter",
    summary="Send a draft letter (e-mailed with its PDF by the worker) or cancel it",
    description="`action` is send or cancel. Only a draft is sent or cancelled (409 otherwise); "
    "a letter whose invoices have all been paid since it was drafted is refused (409). "
    "Cancelling gives the letter's invoices back their previous dunning level.",
)
@idempotent
def act_on_letter(
    request: HttpRequest,
    id: int,
    action: Literal["send", "cancel"],
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    letter = _letter(request.user, id, "change")
    LETTER_ACTIONS[action](_actor(request), letter.pk)
    letter = _letter(request.user, id)
    return json_response(letter_data(letter), etag_version=letter.version)
