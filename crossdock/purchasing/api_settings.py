"""Purchasing settings endpoints: a company's receiving and matching tolerances and the
reminder period of unconfirmed orders.

Thin like :mod:`crossdock.purchasing.api`: role permission (403), the company within the
user's scope (404), one service call, the result rendered. A company that never saved
its settings answers the defaults at version 0; the ETag is the version, and ``If-Match``
(or ``version`` in the body) refuses a lost update with a 412.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from crossdock.api.company_settings import get_company_settings, patch_company_settings
from crossdock.api.errors import Problem
from crossdock.api.headers import IfMatchHeader
from crossdock.api.schemas import InputSchema, decimal_type
from crossdock.purchasing.models import PurchasingSettings
from crossdock.purchasing.services.settings import (
    MAX_REMINDER_DAYS,
    settings_version,
    update_purchasing_settings,
)

router = Router(tags=["Purchasing"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

PERCENT_STEP = Decimal("0.0001")

if TYPE_CHECKING:
    Percent = Decimal
else:
    Percent = decimal_type(4)


class SettingsOut(Schema):
    company: int
    over_receipt_percent: str
    price_tolerance_percent: str
    quantity_tolerance_percent: str
    confirmation_reminder_days: int
    saved: bool
    version: int


class SettingsPatch(InputSchema):
    over_receipt_percent: Percent | None = Field(
        None, description="How much more than ordered may be received, in % (0 to 100)."
    )
    price_tolerance_percent: Percent | None = Field(
        None, description="A bill price this much above the order price still matches, in %."
    )
    quantity_tolerance_percent: Percent | None = Field(
        None, description="Billed this much above received still matches, in %."
    )
    confirmation_reminder_days: Annotated[int, Field(strict=True)] | None = Field(
        None,
        description=f"Days after sending before an unconfirmed order is an exception "
        f"(0 to {MAX_REMINDER_DAYS}).",
    )
    version: Annotated[int, Field(strict=True, ge=0)] | None = Field(
        None, description="The version you edited (0 for the defaults); 412 if stale."
    )


def _percent(value: Decimal) -> str:
    """At the field's full scale (``"2.0000"``), as every decimal the API answers."""
    return str(value.quantize(PERCENT_STEP))


def settings_data(settings: PurchasingSettings) -> dict[str, Any]:
    return {
        "company": settings.company_id,
        "over_receipt_percent": _percent(settings.over_receipt_percent),
        "price_tolerance_percent": _percent(settings.price_tolerance_percent),
        "quantity_tolerance_percent": _percent(settings.quantity_tolerance_percent),
        "confirmation_reminder_days": settings.confirmation_reminder_days,
        "saved": settings.pk is not None,
        "version": settings_version(settings),
    }


@router.get(
    "/purchasing-settings/{int:company_id}",
    response={200: SettingsOut, ERRORS: Problem},
    operation_id="get_purchasing_settings",
    summary="A company's purchasing tolerances and reminder period (the defaults until saved)",
)
def get_settings(request: HttpRequest, company_id: int) -> HttpResponse:
    return get_company_settings(request, PurchasingSettings, company_id, settings_data)


@router.patch(
    "/purchasing-settings/{int:company_id}",
    response={200: SettingsOut, ERRORS: Problem},
    operation_id="update_purchasing_settings",
    summary="Change some of a company's purchasing settings",
    description="Only the fields sent change. Tolerances are decimal strings with at most "
    "four places from 0 to 100; every bad field is named in the 422 and nothing is saved. "
    "Send If-Match or version (0 while the defaults apply) to refuse lost updates.",
)
def patch_settings(
    request: HttpRequest,
    company_id: int,
    payload: SettingsPatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    return patch_company_settings(
        request,
        PurchasingSettings,
        company_id,
        payload,
        if_match,
        update=update_purchasing_settings,
        render=settings_data,
    )
