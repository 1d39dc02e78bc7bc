"""Lists kept inside a record: a product's barcodes, a partner's addresses.

``GET`` returns the whole list, ``PUT`` replaces it through the service
(:func:`~crossdock.masterdata.services.set_product_barcodes`,
:func:`~crossdock.masterdata.services.set_partner_addresses`), which validates
every item first and writes all or nothing. Reading needs view on the parent,
replacing needs change on it; a parent out of the user's scope is a 404.
"""

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from crossdock.api import queries
from crossdock.api.errors import Problem
from crossdock.api.http import json_response
from crossdock.api.schemas import InputSchema, Text, input_schema, serialize
from crossdock.core.context import Actor
from crossdock.masterdata import services
from crossdock.masterdata.models import PartnerAddress
from crossdock.masterdata.registry import BY_SLUG

router = Router()
PRODUCTS = BY_SLUG["products"]
PARTNERS = BY_SLUG["partners"]
ERRORS = frozenset({401, 403, 404, 422})
MAX_ITEMS = 200

ADDRESS_FIELDS = (
    "kind",
    "label",
    "street",
    "city",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "is_default",
)
AddressIn = input_schema(PartnerAddress, ADDRESS_FIELDS, "PartnerAddressIn")


class Barcodes(Schema):
    product: int
    gtins: list[str] = Field(description="GTIN-8, -12, -13 or -14 in the product's base unit.")


class BarcodesIn(InputSchema):
    gtins: list[Annotated[Text, Field(max_length=14)]] = Field(max_length=MAX_ITEMS)


class AddressOut(Schema):
    id: int
    kind: str
    label: str
    street: str
    city: str
    postal_code: str
    country: str
    latitude: str | None
    longitude: str | None
    is_default: bool


class Addresses(Schema):
    partner: int
    addresses: list[AddressOut]


class AddressesIn(InputSchema):
    addresses: list[AddressIn] = Field(max_length=MAX_ITEMS)  # type: ignore[valid-type]


def _barcodes(product: Any) -> HttpResponse:
    gtins = list(product.barcodes.order_by("gtin").values_list("gtin", flat=True))
    return json_response({"product": product.pk, "gtins": gtins})


def _addresses(partner: Any) -> HttpResponse:
    rows = []
    for address in partner.addresses.order_by("-is_default", "id"):
        data = serialize(address)
        rows.append({name: data[name] for name in ("id", *ADDRESS_FIELDS)})
    return json_response({"partner": partner.pk, "addresses": rows})


@router.get(
    "/products/{int:id}/barcodes",
    response={200: Barcodes, ERRORS: Problem},
    operation_id="get_product_barcodes",
    tags=["Products"],
    summary="A product's barcodes",
)
def get_product_barcodes(request: HttpRequest, id: int) -> HttpResponse:
    return _barcodes(queries.get_record(PRODUCTS, request.user, id))


@router.put(
    "/products/{int:id}/barcodes",
    response={200: Barcodes, ERRORS: Problem},
    operation_id="set_product_barcodes",
    tags=["Products"],
    summary="Replace a product's barcodes",
)
def set_product_barcodes(
    request: HttpRequest,
    id: int,
    payload: BarcodesIn,
) -> HttpResponse:
    queries.require_permission(request.user, PRODUCTS.model, "change")
    product = queries.get_record(PRODUCTS, request.user, id, "change")
    services.set_product_barcodes(Actor.of(request.user), product, payload.gtins)
    return _barcodes(product)


@router.get(
    "/partners/{int:id}/addresses",
    response={200: Addresses, ERRORS: Problem},
    operation_id="get_partner_addresses",
    tags=["Partners"],
    summary="A partner's addresses",
)
def get_partner_addresses(request: HttpRequest, id: int) -> HttpResponse:
    return _addresses(queries.get_record(PARTNERS, request.user, id))


@router.put(
    "/partners/{int:id}/addresses",
    response={200: Addresses, ERRORS: Problem},
    operation_id="set_partner_addresses",
    tags=["Partners"],
    summary="Replace a partner's addresses",
)
def set_partner_addresses(
    request: HttpRequest,
    id: int,
    payload: AddressesIn,
) -> HttpResponse:
    queries.require_permission(request.user, PARTNERS.model, "change")
    partner = queries.get_record(PARTNERS, request.user, id, "change")
    addresses = [Schema.model_dump(a, exclude_unset=True) for a in payload.addresses]
    services.set_partner_addresses(Actor.of(request.user), partner, addresses)
    return _addresses(partner)
