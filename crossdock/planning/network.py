"""Multi-echelon sourcing: where each warehouse's missing stock comes from, and from whom.

Design overview
---------------
Pure functions over small frozen dataclasses (no database, no Django): the
replenishment run loads positions, lanes and supplier offers in bulk and calls
:func:`plan_product` once per product, then :func:`consolidate` once for all.

**Need.** A warehouse needs stock when its *available* position (on hand −
reserved + open supply − backorders) is at or below its reorder point *s*; it
asks for *S − available* (its order-up-to level minus what it has), rounded up
to the unit's decimals. Needs are served in this order:

1. **Depot to depot.** A depot holding more than its maximum *S* has a surplus
   of *available − S* (margin 0: a depot gives only what lies above its
   maximum, so it stays at *S*, well above its own reorder point, and never
   triggers a purchase of its own). A short depot takes from depots with a
   surplus and a lane to it, shortest lane first (then lowest warehouse id).
   Only depots give and receive this way.
2. **Central to depot.** The central warehouse gives a depot with a lane from
   central what it holds above its own reorder point — it never drops below
   *s* for a depot. Short depots are served most urgent first (lowest
   *available − s*, then warehouse id) in both steps.
3. **Buy.** The central warehouse buys its own need (*S − projected*, where
   projected is its available after the transfers, when that is at or below
   *s*) plus what the depots with a lane from central still lack; that stock
   reaches them by transfer when it arrives (a later run). A depot without a
   lane from central, or any depot of a network without a central warehouse,
   buys directly; when a central warehouse exists this is also reported.

**Supplier choice.** For a needed quantity *Q*, each offer orders *Q* raised to
its minimum order quantity (MOQ), then rounded up to a whole number of order
multiples. Offers are ranked by an *effective cost per needed unit*::

    effective = landed unit cost × ordered / Q            (stock beyond the need is paid for)
              × (1 + 0.005 × (lead time + 2 × lead-time spread)   (0.5 % per planning day)
                   + 0.2 × (100 − score) / 100)           (a supplier scored 50 costs 10 % more)

An unscored supplier counts as scored 70 (the lower bound of medium risk).
Ties go to the shorter planning lead time, then the lower supplier id. So a
supplier 10 % cheaper wins unless it is about 20 planning days slower, and a
MOQ far above the need makes an offer as expensive as the stock it forces.

**Problems** come back as messages, never exceptions: negative or inverted
policy figures (the warehouse is not planned), a negative available position
(planned; backorders exceed stock and supply), lanes or offers with a lead
time under one day and offers with impossible figures (not used), several
central warehouses (the lowest id acts as central), a depot without a lane
from central, and a need with no usable offer (nothing bought).

**Consolidation** (:func:`consolidate`) groups the buy decisions per supplier
and receiving warehouse. When an order's value (quantity × landed unit cost)
is under the supplier's free-freight value (the largest one on its offers),
it pulls forward products of that supplier at that warehouse that do not need
stock yet but are *near* their reorder point — available at most a quarter of
the way from *s* to *S* — closest first, each bought up to *S* (MOQ and
multiple applied), until the order reaches the threshold. The reason of a
pulled-forward line says so and names the figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
LEAD_TIME_WEIGHT_PER_DAY = Decimal("0.005")
SPREAD_DAYS_FACTOR = Decimal(2)
RISK_WEIGHT = Decimal("0.2")
UNSCORED = Decimal(70)
NEAR_REORDER_SHARE = Decimal("0.25")
COST_STEP = Decimal("0.01")


@dataclass(frozen=True)
class Position:
    """One product at one warehouse, as the run projects it."""

    warehouse_id: int
    is_central: bool
    available: Decimal  # on hand - reserved + open supply - backorders
    reorder_point: Decimal  # s (includes safety stock)
    order_up_to: Decimal  # S
    safety_stock: Decimal
    demand_over_lead_time: Decimal
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or f"warehouse {self.warehouse_id}"


@dataclass(frozen=True)
class Lane:
    """Stock can move from one warehouse to another in ``lead_time_days``."""

    from_warehouse_id: int
    to_warehouse_id: int
    lead_time_days: int


@dataclass(frozen=True)
class Offer:
    """One supplier's offer of a product, its price already landed in company currency."""

    supplier_id: int
    supplier_name: str
    unit_landed_cost: Decimal
    lead_time_days: int
    lead_time_sd_days: Decimal
    score: Decimal | None  # 0–100
    minimum_quantity: Decimal
    order_multiple: Decimal
    free_freight_value: Decimal | None
    preference: int = 1


@dataclass(frozen=True)
class Decision:
    """Move stock between warehouses, or buy it, with the sentence a buyer reads."""

    action: str  # "transfer" | "buy"
    product_id: int
    warehouse_id: int  # receiving
    quantity: Decimal
    source_warehouse_id: int | None
    supplier_id: int | None
    unit_cost: Decimal | None
    lead_time_days: int
    reason: str


def _text(value: Decimal) -> str:
    """A quantity as people write it: ``120``, ``2.5``, ``-5`` (no trailing zeros)."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _money(value: Decimal) -> str:
    """Two decimals, more only when a unit price has them (a landed cost of 0.0125)."""
    rounded = value.quantize(COST_STEP, rounding=ROUND_HALF_EVEN)
    return f"{rounded:f}" if value == rounded else _text(value)


def _effective(value: Decimal) -> str:
    return f"{value.quantize(COST_STEP, rounding=ROUND_HALF_EVEN):f}"


def _days(days: int) -> str:
    return f"{days} day" if days == 1 else f"{days} days"


def _up(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_CEILING)


def _down(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_FLOOR)


def order_quantity(need: Decimal, offer: Offer) -> Decimal:
    """``need`` raised to the offer's MOQ, then rounded up to whole order multiples."""
    wanted = max(need, offer.minimum_quantity)
    packs = (wanted / offer.order_multiple).to_integral_value(rounding=ROUND_CEILING)
    return packs * offer.order_multiple


def planning_lead_time(offer: Offer) -> Decimal:
    return offer.lead_time_days + SPREAD_DAYS_FACTOR * offer.lead_time_sd_days


def effective_cost(need: Decimal, offer: Offer) -> Decimal:
    """The documented ranking figure: landed cost per needed unit, weighted (lower is better)."""
    ordered = order_quantity(need, offer)
    score = UNSCORED if offer.score is None else offer.score
    weight = 1 + LEAD_TIME_WEIGHT_PER_DAY * planning_lead_time(offer)
    weight += RISK_WEIGHT * (HUNDRED - score) / HUNDRED
    return offer.unit_landed_cost * ordered / need * weight


def rank_offers(need: Decimal, offers: Iterable[Offer]) -> list[tuple[Decimal, Offer]]:
    """Offers best first, each with its effective cost per needed unit."""
    ranked = [(effective_cost(need, o), o) for o in offers]
    ranked.sort(key=lambda r: (r[0], planning_lead_time(r[1]), r[1].preference, r[1].supplier_id))
    return ranked


# --- checking the input -------------------------------------------------------------------


def _usable_positions(
    product_id: int, positions: list[Position], problems: list[str]
) -> dict[int, Position]:
    sites: dict[int, Position] = {}
    for item in positions:
        if (
            ZERO <= item.reorder_point <= item.order_up_to
            and item.safety_stock >= 0
            and item.demand_over_lead_time >= 0
            and item.available >= 0
            and item.warehouse_id not in sites
        ):
            sites[item.warehouse_id] = item  # sound: no message to write
            continue
        where = f"Product {product_id} at {item.label}"
        figures = {
            "reorder point": item.reorder_point,
            "maximum": item.order_up_to,
            "safety stock": item.safety_stock,
            "demand over lead time": item.demand_over_lead_time,
        }
        negative = [f"{name} {_text(value)}" for name, value in figures.items() if value < 0]
        if negative:
            problems.append(f"{where}: {', '.join(negative)} cannot be negative; not planned.")
            continue
        if item.reorder_point > item.order_up_to:
            problems.append(
                f"{where}: the reorder point {_text(item.reorder_point)} is above the maximum "
                f"{_text(item.order_up_to)}; not planned."
            )
            continue
        if item.warehouse_id in sites:
            problems.append(f"{where}: given twice; the first position is used.")
            continue
        if item.available < 0:
            problems.append(
                f"{where}: {_text(item.available)} available — backorders exceed stock and "
                "open supply."
            )
        sites[item.warehouse_id] = item
    return sites


def _central(product_id: int, sites: dict[int, Position], problems: list[str]) -> Position | None:
    centrals = sorted((p for p in sites.values() if p.is_central), key=lambda p: p.warehouse_id)
    if len(centrals) > 1:
        names = ", ".join(p.label for p in centrals)
        problems.append(
            f"Product {product_id}: several central warehouses ({names}); "
            f"{centrals[0].label} acts as central."
        )
    return centrals[0] if centrals else None


def _usable_lanes(
    product_id: int, lanes: list[Lane], sites: dict[int, Position], problems: list[str]
) -> dict[tuple[int, int], int]:
    days: dict[tuple[int, int], int] = {}
    for lane in lanes:
        key = (lane.from_warehouse_id, lane.to_warehouse_id)
        if key[0] not in sites or key[1] not in sites or key[0] == key[1]:
            continue
        if lane.lead_time_days < 1:
            problems.append(
                f"Product {product_id}: the lane {sites[key[0]].label} → {sites[key[1]].label} "
                f"has a lead time of {lane.lead_time_days} days; not used."
            )
            continue
        if key not in days or lane.lead_time_days < days[key]:
            days[key] = lane.lead_time_days  # the shortest of duplicate lanes
    return days


def _usable_offers(product_id: int, offers: list[Offer], problems: list[str]) -> list[Offer]:
    usable = []
    for offer in offers:
        wrong = []
        if offer.lead_time_days < 1:
            wrong.append(f"a lead time of {offer.lead_time_days} days")
        if offer.unit_landed_cost < 0:
            wrong.append(f"a negative cost of {_text(offer.unit_landed_cost)}")
        if offer.minimum_quantity < 0:
            wrong.append(f"a negative minimum of {_text(offer.minimum_quantity)}")
        if offer.order_multiple <= 0:
            wrong.append(f"an order multiple of {_text(offer.order_multiple)}")
        if offer.lead_time_sd_days < 0:
            wrong.append(f"a negative lead-time spread of {_text(offer.lead_time_sd_days)}")
        if offer.score is not None and not ZERO <= offer.score <= HUNDRED:
            wrong.append(f"a score of {_text(offer.score)} outside 0–100")
        if wrong:
            problems.append(
                f"Product {product_id}: the offer of {offer.supplier_name} has "
                f"{' and '.join(wrong)}; not used."
            )
        else:
            usable.append(offer)
    return usable


# --- planning one product -----------------------------------------------------------------


@dataclass
class _Plan:
    product_id: int
    sites: dict[int, Position]
    lanes: dict[tuple[int, int], int]
    step: Decimal
    need: dict[int, Decimal]
    decisions: list[Decision]
    problems: list[str]

    def transfer(self, source: Position, target: Position, quantity: Decimal, why: str) -> None:
        days = self.lanes[(source.warehouse_id, target.warehouse_id)]
        self.decisions.append(
            Decision("transfer", self.product_id, target.warehouse_id, quantity,
                     source.warehouse_id, None, None, days, why)
        )  # fmt: skip
        self.need[target.warehouse_id] -= quantity


def _asks(target: Position, open_need: Decimal) -> str:
    full = target.order_up_to - target.available
    text = (
        f"{target.label} needs {_text(full)} to get from {_text(target.available)} back to its "
        f"maximum of {_text(target.order_up_to)} (reorder point {_text(target.reorder_point)})"
    )
    return text if open_need >= full else f"{text}, {_text(open_need)} of it still open"


def _from_depots(plan: _Plan, short: list[Position]) -> None:
    surplus = {
        p.warehouse_id: _down(p.available - p.order_up_to, plan.step)
        for p in plan.sites.values()
        if not p.is_central and p.available > p.order_up_to
    }
    if not surplus:
        return  # no depot above its maximum: the common case
    for target in short:
        givers = sorted(
            (plan.lanes[(g, target.warehouse_id)], g)
            for g, extra in surplus.items()
            if extra > 0 and (g, target.warehouse_id) in plan.lanes
        )
        for days, giver_id in givers:
            need = plan.need[target.warehouse_id]
            if need <= 0:
                break
            giver, extra = plan.sites[giver_id], surplus[giver_id]
            quantity = min(need, extra)
            surplus[giver_id] -= quantity
            plan.transfer(
                giver,
                target,
                quantity,
                f"{giver.label} has {_text(extra)} above its maximum of "
                f"{_text(giver.order_up_to)} and is {_days(days)} away; {_asks(target, need)}, "
                f"so {giver.label} sends {_text(quantity)} before anything is bought.",
            )


def _from_central(plan: _Plan, central: Position, short: list[Position]) -> Decimal:
    """Transfer from central's stock above its reorder point; return what it gave."""
    spare = max(ZERO, _down(central.available - central.reorder_point, plan.step))
    given = ZERO
    for target in short:
        need = plan.need[target.warehouse_id]
        lane = (central.warehouse_id, target.warehouse_id)
        if need <= 0 or lane not in plan.lanes or spare - given <= 0:
            continue
        quantity = min(need, spare - given)
        left = spare - given - quantity
        rest = (
            f"; {central.label} keeps {_text(left)} above its reorder point"
            if left > 0
            else f"; {central.label} cannot give more without dropping under its reorder point"
        )
        plan.transfer(
            central,
            target,
            quantity,
            f"{central.label} has {_text(spare - given)} above its reorder point of "
            f"{_text(central.reorder_point)} and is {_days(plan.lanes[lane])} away; "
            f"{_asks(target, need)}, so it sends {_text(quantity)}{rest}.",
        )
        given += quantity
    return given


def _choose(
    plan: _Plan, buyer: Position, need: Decimal, why: list[str], offers: list[Offer]
) -> None:
    ranked = rank_offers(need, offers)
    if not ranked:
        plan.problems.append(
            f"Product {plan.product_id}: no supplier offer; {buyer.label} needs "
            f"{_text(need)} and nothing was bought."
        )
        return
    value, offer = ranked[0]
    quantity = order_quantity(need, offer)
    packing = []
    if offer.minimum_quantity > 0:
        packing.append(f"minimum {_text(offer.minimum_quantity)}")
    if offer.order_multiple != 1:
        packing.append(f"packs of {_text(offer.order_multiple)}")
    terms = f" ({', '.join(packing)})" if packing else ""
    spread = f" ± {_text(offer.lead_time_sd_days)}" if offer.lead_time_sd_days else ""
    score = "unscored" if offer.score is None else f"score {_text(offer.score)}"
    sentence = (
        f"{buyer.label} needs {_text(need)}: {'; '.join(why)}. Buying {_text(quantity)} from "
        f"{offer.supplier_name}{terms} at {_money(offer.unit_landed_cost)} a unit landed, "
        f"{_days(offer.lead_time_days)}{spread}, {score}: {_effective(value)} per needed unit "
        "after weighing lead time, score and minimum"
    )
    if len(ranked) > 1:
        other_value, other = ranked[1]
        sentence += f", against {_effective(other_value)} for {other.supplier_name}"
    plan.decisions.append(
        Decision("buy", plan.product_id, buyer.warehouse_id, quantity, None, offer.supplier_id,
                 offer.unit_landed_cost, offer.lead_time_days, sentence + ".")
    )  # fmt: skip


def _buy(plan: _Plan, central: Position | None, given: Decimal, offers: list[Offer]) -> None:
    central_need, why = ZERO, []
    if central is not None:
        projected = central.available - given
        if projected <= central.reorder_point:
            central_need = _up(central.order_up_to - projected, plan.step)
            after = f" after sending {_text(given)} to depots" if given else ""
            why.append(
                f"{_text(central_need)} to reach its maximum of {_text(central.order_up_to)} "
                f"from {_text(projected)} available{after} (reorder point "
                f"{_text(central.reorder_point)})"
            )
    for warehouse_id, need in sorted(plan.need.items()):
        site = plan.sites[warehouse_id]
        if need <= 0 or site.is_central:
            continue
        if central is not None and (central.warehouse_id, warehouse_id) in plan.lanes:
            central_need += need
            why.append(f"{_text(need)} that {site.label} still lacks, to follow by transfer")
            continue
        if central is not None:
            plan.problems.append(
                f"Product {plan.product_id}: no lane from {central.label} to {site.label}; "
                f"{site.label} buys its {_text(need)} directly."
            )
        _choose(plan, site, need, [_asks(site, need)], offers)
    if central is not None and central_need > 0:
        _choose(plan, central, central_need, why, offers)


def plan_product(
    product_id: int,
    positions: list[Position],
    lanes: list[Lane],
    offers: list[Offer],
    *,
    unit_decimals: int = 0,
) -> tuple[list[Decision], list[str]]:
    """Transfers and purchases that bring every short warehouse back to its maximum."""
    problems: list[str] = []
    sites = _usable_positions(product_id, positions, problems)
    central = _central(product_id, sites, problems)
    step = Decimal(1).scaleb(-unit_decimals)
    need = {
        p.warehouse_id: _up(p.order_up_to - p.available, step)
        for p in sites.values()
        if p.available <= p.reorder_point and p is not central
    }
    if not need and (central is None or central.available > central.reorder_point):
        return [], problems  # nothing short: the common case, kept cheap
    plan = _Plan(
        product_id,
        sites,
        _usable_lanes(product_id, lanes, sites, problems) if need else {},
        step,
        need,
        [],
        problems,
    )
    short = sorted(
        (sites[w] for w, n in need.items() if n > 0),
        key=lambda p: (p.available - p.reorder_point, p.warehouse_id),
    )
    _from_depots(plan, short)
    given = _from_central(plan, central, short) if central is not None else ZERO
    _buy(plan, central, given, _usable_offers(product_id, offers, problems))
    return plan.decisions, problems


# --- consolidation ------------------------------------------------------------------------


@dataclass
class _Catalogue:
    """Per supplier: its free-freight value and its offers by product, indexed once."""

    thresholds: dict[int, Decimal]
    offers: dict[int, list[tuple[int, Offer]]]

    @classmethod
    def of(cls, offers_by_product: Mapping[int, list[Offer]]) -> _Catalogue:
        thresholds: dict[int, Decimal] = {}
        offers: dict[int, list[tuple[int, Offer]]] = {}
        for product_id, product_offers in offers_by_product.items():
            for offer in product_offers:
                offers.setdefault(offer.supplier_id, []).append((product_id, offer))
                value = offer.free_freight_value
                if value is not None and value > thresholds.get(offer.supplier_id, ZERO):
                    thresholds[offer.supplier_id] = value  # the largest on its offers
        return cls(thresholds, offers)


def _near(position: Position) -> Decimal | None:
    """How far up the band from s to S the position is (0 at s), when in its lowest quarter."""
    band = position.order_up_to - position.reorder_point
    above = position.available - position.reorder_point
    if band <= 0 or above <= 0 or above > NEAR_REORDER_SHARE * band:
        return None
    return above / band


def _candidates(
    supplier_id: int,
    warehouse_id: int,
    catalogue: _Catalogue,
    positions_by_product: Mapping[int, list[Position]],
    planned: set[tuple[int, int]],
) -> list[tuple[Decimal, int, Position, Offer]]:
    found = []
    for product_id, offer in catalogue.offers.get(supplier_id, []):
        if (product_id, warehouse_id) in planned:
            continue
        for site in positions_by_product.get(product_id, []):
            closeness = _near(site) if site.warehouse_id == warehouse_id else None
            if closeness is not None:
                found.append((closeness, product_id, site, offer))
                break
    found.sort(key=lambda c: (c[0], c[1]))
    return found


def _pull_forward(
    group: list[Decision],
    catalogue: _Catalogue,
    positions_by_product: Mapping[int, list[Position]],
    planned: set[tuple[int, int]],
    unit_decimals: Mapping[int, int] | int,
) -> list[Decision]:
    supplier_id, warehouse_id = group[0].supplier_id, group[0].warehouse_id
    assert supplier_id is not None
    threshold = catalogue.thresholds.get(supplier_id)
    total = sum((d.quantity * (d.unit_cost or ZERO) for d in group), ZERO)
    if threshold is None or total >= threshold:
        return []
    added = []
    for _closeness, product_id, site, offer in _candidates(
        supplier_id, warehouse_id, catalogue, positions_by_product, planned
    ):
        if total >= threshold:
            break
        places = (
            unit_decimals if isinstance(unit_decimals, int) else unit_decimals.get(product_id, 0)
        )
        need = _up(site.order_up_to - site.available, Decimal(1).scaleb(-places))
        quantity = order_quantity(need, offer)
        reason = (
            f"Pulled forward to reach {offer.supplier_name}'s free freight of "
            f"{_money(threshold)}: the order to {site.label} came to {_money(total)}. "
            f"{site.label} has {_text(site.available)}, "
            f"only {_text(site.available - site.reorder_point)} above its reorder point of "
            f"{_text(site.reorder_point)}; buying {_text(quantity)} to reach its maximum of "
            f"{_text(site.order_up_to)} at {_money(offer.unit_landed_cost)} a unit landed."
        )
        added.append(
            Decision("buy", product_id, warehouse_id, quantity, None, supplier_id,
                     offer.unit_landed_cost, offer.lead_time_days, reason)
        )  # fmt: skip
        total += quantity * offer.unit_landed_cost
    return added


def consolidate(
    decisions: list[Decision],
    offers_by_product: Mapping[int, list[Offer]],
    *,
    positions_by_product: Mapping[int, list[Position]] | None = None,
    unit_decimals: Mapping[int, int] | int = 0,
) -> list[Decision]:
    """Transfers unchanged, then the buys grouped per supplier and receiving warehouse, with
    products near their reorder point pulled forward to reach free freight (only when
    ``positions_by_product`` is given)."""
    transfers = [d for d in decisions if d.action != "buy"]
    groups: dict[tuple[int, int], list[Decision]] = {}
    for item in decisions:
        if item.action == "buy" and item.supplier_id is not None:
            groups.setdefault((item.supplier_id, item.warehouse_id), []).append(item)
    planned = {(d.product_id, d.warehouse_id) for d in decisions}
    catalogue = _Catalogue.of(offers_by_product)
    result = list(transfers)
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda d: d.product_id)
        added = []
        if positions_by_product:
            added = _pull_forward(group, catalogue, positions_by_product, planned, unit_decimals)
            planned |= {(d.product_id, d.warehouse_id) for d in added}
        result.extend(group)
        result.extend(added)
    return result


__all__ = [
    "Decision",
    "Lane",
    "Offer",
    "Position",
    "consolidate",
    "order_quantity",
    "plan_product",
    "rank_offers",
]
