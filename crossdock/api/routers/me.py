"""``GET /api/v1/me``: who the caller is and what they may reach."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from crossdock.core.permissions import access_of
from crossdock.masterdata.models import Company, UserAccess, Warehouse

router = Router(tags=["Me"])


class CompanyRef(Schema):
    id: int
    code: str
    name: str


class WarehouseRef(Schema):
    id: int
    code: str
    name: str
    company: int


class Me(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    is_superuser: bool
    roles: list[str]
    companies: list[CompanyRef]
    warehouses: list[WarehouseRef]
    current_company: int | None


@router.get("/me", response=Me, operation_id="get_me", summary="The calling user")
def get_me(request: HttpRequest) -> Me:
    user: Any = request.user
    access = access_of(user)
    companies = Company.objects.order_by("code")
    if access.company_ids is not None:
        companies = companies.filter(pk__in=access.company_ids)
    warehouses = Warehouse.objects.filter(company__in=companies).order_by("code")
    if access.warehouse_ids is not None:
        warehouses = warehouses.filter(pk__in=access.warehouse_ids)
    current = UserAccess.objects.filter(user=user).values_list("current_company", flat=True).first()
    return Me(
        id=user.pk,
        username=user.get_username(),
        first_name=getattr(user, "first_name", ""),
        last_name=getattr(user, "last_name", ""),
        email=getattr(user, "email", ""),
        is_superuser=bool(getattr(user, "is_superuser", False)),
        roles=sorted(user.groups.values_list("name", flat=True)),
        companies=[CompanyRef(id=c.pk, code=c.code, name=c.name) for c in companies],
        warehouses=[
            WarehouseRef(id=w.pk, code=w.code, name=w.name, company=w.company_id)
            for w in warehouses
        ],
        current_company=current,
    )
