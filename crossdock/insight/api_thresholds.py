"""Queue-threshold endpoints: ``/api/v1/queue-thresholds/{company_id}``.

Answered like the other per-company settings (:mod:`crossdock.api.company_settings`):
every threshold as it applies to the company, which of them the company set itself,
the version as ETag; a PATCH sends only the names to change (``null``: back to the
deployment's value), each bad name is named in the 422 and nothing is saved.
"""

from typing import TYPE_CHECKING, Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from pydantic import create_model

from crossdock.api.company_settings import (
    get_company_settings,
    patch_company_settings,
)
from crossdock.api.errors import Problem
from crossdock.api.headers import IfMatchHeader
from crossdock.api.schemas import InputSchema
from crossdock.core.company_settings import settings_version
from crossdock.insight.models import QueueThresholds
from crossdock.insight.queues.company_thresholds import effective_values, update_queue_thresholds
from crossdock.insight.queues.thresholds import DEFAULTS

router = Router(tags=["Exception queues"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})


class ThresholdsOut(Schema):
    company: int
    values: dict[str, int] = Field(description="Every threshold as it applies to the company.")
    own: list[str] = Field(description="The names the company set itself.")
    saved: bool
    version: int


def _patch_schema() -> type[InputSchema]:
    """One optional field per threshold (null: back to the deployment's value), and version."""
    fields: dict[str, Any] = {
        name: (
            Annotated[int, Field(strict=True)] | None,
            Field(None, description=f"A whole number from 0 (default {default})."),
        )
        for name, default in DEFAULTS.items()
    }
    fields["version"] = (
        Annotated[int, Field(strict=True, ge=0)] | None,
        Field(None, description="The version you edited (0 while none are set); 412 if stale."),
    )
    return create_model("ThresholdsPatch", __base__=InputSchema, **fields)


if TYPE_CHECKING:
    ThresholdsPatch = InputSchema
else:
    ThresholdsPatch = _patch_schema()


def thresholds_data(row: QueueThresholds) -> dict[str, Any]:
    return {
        "company": row.company_id,
        "values": effective_values(row),
        "own": sorted(name for name in row.values if name in DEFAULTS),
        "saved": row.pk is not None,
        "version": settings_version(row),
    }


@router.get(
    "/queue-thresholds/{int:company_id}",
    response={200: ThresholdsOut, ERRORS: Problem},
    operation_id="get_queue_thresholds",
    summary="When a cause becomes an exception item, for one company",
    description=f"The thresholds: {', '.join(DEFAULTS)}.",
)
def get_thresholds(request: HttpRequest, company_id: int) -> HttpResponse:
    return get_company_settings(request, QueueThresholds, company_id, thresholds_data)


@router.patch(
    "/queue-thresholds/{int:company_id}",
    response={200: ThresholdsOut, ERRORS: Problem},
    operation_id="update_queue_thresholds",
    summary="Change some of a company's queue thresholds",
    description="Send the names to change with whole numbers from 0 (null: back to the "
    "deployment's value); unknown names and bad numbers are each named in the 422 and "
    "nothing is saved. Send If-Match or version to refuse lost updates. The next refresh "
    "applies them.",
)
def patch_thresholds(
    request: HttpRequest,
    company_id: int,
    payload: ThresholdsPatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    return patch_company_settings(
        request,
        QueueThresholds,
        company_id,
        payload,
        if_match,
        update=update_queue_thresholds,
        render=thresholds_data,
    )
