"""Sales desks: the credit-hold queue (``/sales/credit-holds/``), a customer's 360° page
(``/sales/customers/<id>/``) and who gets scarce stock (``/sales/allocation/``).

They only read: a credit controller releases or refuses a hold in the approvals inbox (each
row links to its request), and the allocation follows the reservation engine's own order.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from crossdock.accounting.services.rates import MissingRateError
from crossdock.inventory.models import Transfer
from crossdock.masterdata.models import Partner
from crossdock.sales import forms as sf
from crossdock.sales import queries
from crossdock.sales.models import SalesOrder
from crossdock.sales.services.credit import exposure_of
from crossdock.sales.services.pricing import settings_of
from crossdock.sales.views import PER_PAGE, require
from crossdock.web.views.common import render_page


@login_required
@require_safe
def credit_holds(request: HttpRequest) -> HttpResponse:
    require(request.user, SalesOrder)
    page = Paginator(queries.held_queryset(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "title": "Credit holds",
        "page": page,
        "rows": queries.held_orders(list(page.object_list)),
    }
    return render_page(request, "sales/credit_holds.html", context)


@login_required
@require_safe
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, SalesOrder)
    require(request.user, Partner)
    customer = (
        Partner.objects.restrict(request.user)
        .filter(pk=pk, is_customer=True)
        .select_related("company__base_currency", "currency", "price_list", "default_warehouse")
        .first()
    )
    if customer is None:
        raise Http404("No such customer.")
    user = request.user
    orders = (
        SalesOrder.objects.restrict(user)
        .filter(customer=customer)
        .select_related("currency", "warehouse")
        .order_by("-order_date", "-pk")[:50]
    )
    sees_stock = user.has_perm("inventory.view_transfer")
    sees_invoices = user.has_perm("accounting.view_invoice")
    try:
        exposure, exposure_problem = exposure_of(customer), ""
    except MissingRateError as exc:  # the page still shows everything else
        exposure, exposure_problem = None, exc.message
    context: dict[str, Any] = {
        "title": f"{customer.code} {customer.name}",
        "customer": customer,
        "exposure": exposure,
        "exposure_problem": exposure_problem,
        "hold_days": settings_of(customer.company_id).overdue_hold_days,
        "orders": list(orders),
        "sees_stock": sees_stock,
        "sees_invoices": sees_invoices,
        "deliveries": queries.customer_transfers(user, customer, returns=False)
        if sees_stock
        else [],
        "returns": queries.customer_transfers(user, customer, returns=True) if sees_stock else [],
        "invoices": queries.customer_invoices(user, customer) if sees_invoices else [],
        "receivables": queries.receivables_of(user, customer),
        "buckets": queries.AGE_BUCKETS,
        "can_order": user.has_perm("sales.add_salesorder"),
    }
    return render_page(request, "sales/customer_detail.html", context)


@login_required
@require_safe
def allocation(request: HttpRequest) -> HttpResponse:
    require(request.user, SalesOrder)
    require(request.user, Transfer)
    form = sf.AllocationFilterForm(request.GET or None, user=request.user)
    warehouse = form.cleaned_data["warehouse"] if form.is_valid() else None
    context = {
        "title": "Allocation of scarce stock",
        "form": form,
        "products": queries.allocation(request.user, warehouse.pk if warehouse else None),
    }
    return render_page(request, "sales/allocation.html", context)
