"""The live panel of order entry: what the order would be, computed without writing anything.

:func:`live_panel` reads the typed rows that make sense so far, hands them to
:func:`~crossdock.sales.services.orders.check_draft` (the same pricing and sourcing pass that
``create_sales_order`` runs, minus the write) and returns, per line, the list and net price,
the margin against the expected cost and whether it needs approval, the warehouse and
promise date the sourcing policy chose; the available-to-promise of each product in each
warehouse of the company; and the customer's credit exposure with this order against the
limit. A refusal is shown per line, never raised: the rep is still typing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crossdock.core.errors import DomainError
from crossdock.inventory.selectors import availability
from crossdock.masterdata.models import Partner, Warehouse
from crossdock.sales import forms as sf
from crossdock.sales.services.credit import Exposure, exposure_of
from crossdock.sales.services.orders import SalesOrderDraft, check_draft
from crossdock.sales.services.pricing import settings_of

ZERO = Decimal(0)
HUNDRED = Decimal(100)
LINE_NAME = sf.LINE_FIELD


@dataclass
class PanelLine:
    number: int  # the row the rep typed it on, from 1
    sku: str
    name: str
    quantity: Decimal
    list_price: Decimal
    discount_percent: Decimal
    unit_price: Decimal
    subtotal: Decimal
    margin_percent: Decimal | None
    exception: str
    warehouse: str
    promise_date: Any
    available: Decimal  # free in that warehouse now


@dataclass
class Panel:
    customer: Partner | None = None
    currency: str = ""
    base_currency: str = ""
    lines: list[PanelLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warehouses: list[str] = field(default_factory=list)
    atp: list[tuple[str, list[Decimal]]] = field(default_factory=list)  # per product
    amount: Decimal = ZERO
    amount_company: Decimal = ZERO
    exposure: Exposure | None = None
    credit_checked: bool = True
    overdue_hold_days: int = 0

    @property
    def with_order(self) -> Decimal:
        return (self.exposure.total if self.exposure else ZERO) + self.amount_company

    @property
    def headroom(self) -> Decimal:
        return (self.exposure.limit if self.exposure else ZERO) - self.with_order

    @property
    def over_limit(self) -> bool:
        return self.exposure is not None and self.credit_checked and self.headroom < 0

    @property
    def overdue_hold(self) -> bool:
        return (
            self.exposure is not None
            and self.credit_checked
            and self.exposure.overdue_days > self.overdue_hold_days
        )

    @property
    def needs_approval(self) -> bool:
        return any(line.exception for line in self.lines)


def _customer(form: sf.SalesOrderForm, order: Any) -> Partner | None:
    if order is not None:
        return order.customer
    form.is_valid()
    found = getattr(form, "cleaned_data", {}).get("customer")
    return found if isinstance(found, Partner) else None


def _typed_rows(formset: Any, panel: Panel) -> list[tuple[int, Any]]:
    """The rows with a known product and a quantity, with their row numbers; others noted."""
    rows = []
    for number, row in enumerate(formset.forms, start=1):
        if not row.is_valid():
            for name, errors in row.errors.items():
                label = row.fields[name].label if name in row.fields else "Line"
                panel.problems.extend(f"Line {number}, {label.lower()}: {e}" for e in errors)
            continue
        if row.is_blank() or row.cleaned_data.get("sku") is None:
            continue
        rows.append((number, row))
    return rows


def _refusal(error: DomainError, numbers: list[int], panel: Panel) -> None:
    if not error.fields:
        panel.problems.append(error.message)
    for name, messages in error.fields.items():
        match = LINE_NAME.match(name)
        if match is not None and int(match["index"]) < len(numbers):
            where = f"Line {numbers[int(match['index'])]}"
            if match["field"]:
                where += f", {match['field'].replace('_', ' ')}"
        else:
            where = name.replace("_", " ").capitalize()
        panel.problems.extend(f"{where}: {message}" for message in messages)


def live_panel(user: Any, form: sf.SalesOrderForm, formset: Any, order: Any = None) -> Panel:
    """Price, source and credit-check what has been typed so far; see the module doc."""
    panel = Panel(customer=_customer(form, order))
    customer = panel.customer
    if customer is None:
        panel.problems.append("Choose a customer to see prices, stock and credit.")
        return panel
    typed = _typed_rows(formset, panel)
    numbers = [number for number, _ in typed]
    data = getattr(form, "cleaned_data", {})
    draft = SalesOrderDraft(
        customer_id=customer.pk,
        lines=[row.line() for _, row in typed],
        channel=data.get("channel") or "field",
        requested_date=data.get("requested_date"),
    )
    try:
        panel.exposure = exposure_of(customer)
    except DomainError as missing:  # no exchange rate for the customer's currency
        panel.problems.append(missing.message)
    panel.credit_checked = customer.group_company_id is None
    panel.overdue_hold_days = settings_of(customer.company_id).overdue_hold_days
    panel.base_currency = customer.company.base_currency.code
    if not typed:
        return panel
    try:
        checked = check_draft(draft)
    except DomainError as error:
        _refusal(error, numbers, panel)
        return panel
    panel.currency = checked.currency.code
    panel.lines = [_line(line, checked.rate) for line in checked.lines]
    _renumber(panel, typed)
    panel.amount = checked.currency.round(sum((ln.subtotal for ln in panel.lines), ZERO))
    panel.amount_company = checked.company.base_currency.round(panel.amount * checked.rate)
    warehouses = list(
        Warehouse.objects.filter(company_id=checked.company.pk, active=True).order_by("code")
    )
    panel.warehouses = [w.code for w in warehouses]
    products = {line.product.pk: line.product for line in checked.lines}
    atp = availability(products, warehouse_ids=[w.pk for w in warehouses])
    for product in sorted(products.values(), key=lambda p: p.sku):
        free = []
        for warehouse in warehouses:
            found = atp.get((product.pk, warehouse.code))
            free.append(found.available_now if found is not None else ZERO)
        panel.atp.append((product.sku, free))
    for part, line in zip(panel.lines, checked.lines, strict=True):
        found = atp.get((line.product.pk, line.warehouse.code))
        part.available = found.available_now if found is not None else ZERO
    return panel


def _line(line: Any, rate: Decimal) -> PanelLine:
    price_company = line.unit_price * rate
    margin = (
        ((price_company - line.unit_cost) * HUNDRED / price_company).quantize(Decimal("0.01"))
        if price_company > 0
        else None
    )
    return PanelLine(
        number=0,
        sku=line.product.sku,
        name=line.description,
        quantity=line.quantity,
        list_price=line.list_price,
        discount_percent=line.discount_percent,
        unit_price=line.unit_price,
        subtotal=(line.quantity * line.unit_price).quantize(Decimal("0.0001")),
        margin_percent=margin,
        exception=line.price_exception,
        warehouse=line.warehouse.code,
        promise_date=line.promise_date,
        available=ZERO,
    )


def _renumber(panel: Panel, typed: list[tuple[int, Any]]) -> None:
    """Give each priced part the number of the row it came from.

    Sourcing may split a row over warehouses; the parts come in row order and add up to the
    row's quantity, so each row is used up before the next one starts.
    """
    rows = [(n, row.cleaned_data["sku"].sku, row.cleaned_data["quantity"]) for n, row in typed]
    index, left = 0, rows[0][2] if rows else ZERO
    for line in panel.lines:
        while index < len(rows) and (rows[index][1] != line.sku or left <= 0):
            index += 1
            left = rows[index][2] if index < len(rows) else ZERO
        if index < len(rows):
            line.number = rows[index][0]
            left -= line.quantity
