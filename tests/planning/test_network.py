"""Multi-echelon sourcing on small networks, with the quantities worked out by hand."""

from __future__ import annotations

from decimal import Decimal

from crossdock.planning.network import (
    Decision,
    Lane,
    Offer,
    Position,
    consolidate,
    order_quantity,
    plan_product,
    rank_offers,
)

D = Decimal
CENTRAL, NORTH, SOUTH, EAST = 1, 2, 3, 4


def site(warehouse_id, available, s, big_s, *, central=False, name=""):
    return Position(
        warehouse_id=warehouse_id,
        is_central=central,
        available=D(available),
        reorder_point=D(s),
        order_up_to=D(big_s),
        safety_stock=D(10),
        demand_over_lead_time=D(30),
        name=name,
    )


def offer(supplier_id, cost, days=5, *, sd="0", score="90", moq="0", multiple="1", **extra):
    return Offer(
        supplier_id=supplier_id,
        supplier_name=extra.pop("name", f"Supplier {supplier_id}"),
        unit_landed_cost=D(cost),
        lead_time_days=days,
        lead_time_sd_days=D(sd),
        score=None if score is None else D(score),
        minimum_quantity=D(moq),
        order_multiple=D(multiple),
        free_freight_value=extra.pop("free_freight", None),
        **extra,
    )


def central(available="250", s="200", big_s="600"):
    return site(CENTRAL, available, s, big_s, central=True, name="Central")


def north(available="10"):
    return site(NORTH, available, "40", "120", name="North")


STAR = [Lane(CENTRAL, NORTH, 2), Lane(CENTRAL, SOUTH, 2), Lane(CENTRAL, EAST, 3)]
ACME = offer(10, "10.00", name="Acme")


def test_a_depot_with_surplus_on_the_shortest_lane_supplies_before_anything_is_bought():
    positions = [
        central(),
        north(),
        site(SOUTH, "300", "40", "120", name="South"),  # 180 above its maximum
        site(EAST, "400", "40", "120", name="East"),  # 280 above, but 3 days away
    ]
    lanes = [*STAR, Lane(SOUTH, NORTH, 1), Lane(EAST, NORTH, 3)]
    decisions, problems = plan_product(7, positions, lanes, [ACME])
    assert problems == []
    assert decisions == [
        Decision(
            "transfer", 7, NORTH, D(110), SOUTH, None, None, 1,
            "South has 180 above its maximum of 120 and is 1 day away; North needs 110 to get "
            "from 10 back to its maximum of 120 (reorder point 40), so South sends 110 before "
            "anything is bought.",
        )
    ]  # fmt: skip


def test_depot_surplus_first_then_central_stock_above_its_reorder_point():
    positions = [central(), north(), site(SOUTH, "200", "40", "120", name="South")]
    decisions, problems = plan_product(7, positions, [*STAR, Lane(SOUTH, NORTH, 1)], [ACME])
    assert problems == []
    assert [(d.action, d.source_warehouse_id, d.quantity, d.lead_time_days) for d in decisions] == [
        ("transfer", SOUTH, D(80), 1),
        ("transfer", CENTRAL, D(30), 2),
    ]
    assert decisions[1].reason == (
        "Central has 50 above its reorder point of 200 and is 2 days away; North needs 110 to "
        "get from 10 back to its maximum of 120 (reorder point 40), 30 of it still open, so it "
        "sends 30; Central keeps 20 above its reorder point."
    )


def test_central_covers_a_depot_and_a_depot_at_its_maximum_gives_nothing():
    positions = [central(available="500"), north(), site(SOUTH, "120", "40", "120")]
    decisions, problems = plan_product(7, positions, [*STAR, Lane(SOUTH, NORTH, 1)], [ACME])
    assert problems == []
    assert [(d.action, d.warehouse_id, d.source_warehouse_id, d.quantity) for d in decisions] == [
        ("transfer", NORTH, CENTRAL, D(110))
    ]


def test_central_never_drops_under_its_reorder_point_and_buys_the_rest_in_packs():
    # Central gives its 50 above s=200, is then at s itself: it needs 600 − 200 = 400,
    # plus the 60 North still lacks = 460; MOQ 500 in packs of 48 → 11 packs = 528.
    packs = offer(10, "10.00", moq="500", multiple="48", name="Acme")
    decisions, problems = plan_product(7, [central(), north()], STAR, [packs])
    assert problems == []
    transfer, buy = decisions
    assert (transfer.action, transfer.quantity, transfer.source_warehouse_id) == (
        "transfer",
        D(50),
        CENTRAL,
    )
    assert (buy.action, buy.warehouse_id, buy.quantity, buy.supplier_id, buy.unit_cost) == (
        "buy",
        CENTRAL,
        D(528),
        10,
        D("10.00"),
    )
    assert buy.lead_time_days == 5
    # 10.00 × 528 / 460 × (1 + 0.005 × 5 + 0.2 × 0.1) = 11.9948…
    assert buy.reason == (
        "Central needs 460: 400 to reach its maximum of 600 from 200 available after sending 50 "
        "to depots (reorder point 200); 60 that North still lacks, to follow by transfer. Buying "
        "528 from Acme (minimum 500, packs of 48) at 10.00 a unit landed, 5 days, score 90: "
        "11.99 per needed unit after weighing lead time, score and minimum."
    )


def test_needs_are_rounded_up_to_the_unit_decimals():
    positions = [site(NORTH, "0.25", "40", "120", central=True)]
    loose = [offer(10, "10.00", multiple="0.1")]
    decisions, _ = plan_product(7, positions, [], loose, unit_decimals=1)
    assert decisions[0].quantity == D("119.8")
    decisions, _ = plan_product(7, positions, [], loose, unit_decimals=0)
    assert decisions[0].quantity == D(120)


def test_a_warehouse_above_its_reorder_point_needs_nothing():
    decisions, problems = plan_product(7, [central(available="201"), north("41")], STAR, [ACME])
    assert (decisions, problems) == ([], [])


def test_cheaper_supplier_loses_to_a_much_shorter_lead_time_but_wins_against_a_slightly_shorter():
    fast = offer(1, "10.00", 5)
    slow = offer(2, "9.00", 40)
    # 10 × (1 + 0.025 + 0.02) = 10.45 against 9 × (1 + 0.2 + 0.02) = 10.98
    assert [(value, o.supplier_id) for value, o in rank_offers(D(100), [slow, fast])] == [
        (D("10.4500"), 1),
        (D("10.9800"), 2),
    ]
    nearly = offer(3, "9.00", 10)  # 9 × (1 + 0.05 + 0.02) = 9.63
    assert rank_offers(D(100), [fast, nearly])[0][1] is nearly


def test_lead_time_spread_and_score_count_against_a_supplier():
    steady = offer(1, "10.00", 10, sd="0")
    erratic = offer(2, "10.00", 10, sd="5")  # planning lead time 20 days
    assert rank_offers(D(10), [erratic, steady])[0][1] is steady
    unscored = offer(3, "10.00", 10, score=None)  # counts as 70: 10 × (1.05 + 0.06)
    scored = offer(4, "10.00", 10, score="80")  # 10 × (1.05 + 0.04)
    assert [(v, o.supplier_id) for v, o in rank_offers(D(10), [unscored, scored])] == [
        (D("10.9000"), 4),
        (D("11.1000"), 3),
    ]


def test_an_moq_far_above_the_need_costs_the_excess():
    small = offer(1, "10.00")
    bulk = offer(2, "6.00", moq="200")
    # need 30: bulk buys 200 for 30 needed → 6 × 200 / 30 × 1.045 = 41.80 per needed unit
    assert [(v, o.supplier_id) for v, o in rank_offers(D(30), [bulk, small])] == [
        (D("10.4500"), 1),
        (D("41.8000"), 2),
    ]
    # need 180: 6 × 200 / 180 × 1.045 = 6.966…, cheaper than 10.45
    decisions, _ = plan_product(7, [site(1, "20", "50", "200", central=True)], [], [small, bulk])
    assert [(d.supplier_id, d.quantity) for d in decisions] == [(2, D(200))]


def test_order_quantity_meets_the_minimum_then_whole_multiples():
    assert order_quantity(D(7), offer(1, "1", moq="10", multiple="4")) == D(12)
    assert order_quantity(D(13), offer(1, "1", moq="10", multiple="4")) == D(16)
    assert order_quantity(D("2.5"), offer(1, "1", multiple="0.5")) == D("2.5")


def _consolidation_case():
    acme = {"free_freight": D(1000), "name": "Acme"}
    offers = {
        1: [offer(10, "10.00", **acme)],
        2: [offer(10, "2.00", **acme)],
        3: [offer(10, "1.00", multiple="50", **acme)],
        4: [offer(10, "1.00", **acme)],
        5: [offer(20, "1.00", name="Beta")],
    }
    positions = {
        1: [site(CENTRAL, "90", "100", "140", central=True, name="Central")],
        2: [site(CENTRAL, "110", "100", "300", central=True, name="Central")],  # 5 % up the band
        3: [site(CENTRAL, "140", "100", "300", central=True, name="Central")],  # 20 %
        4: [site(CENTRAL, "200", "100", "300", central=True, name="Central")],  # 50 %: not near
        5: [site(CENTRAL, "101", "100", "300", central=True, name="Central")],  # other supplier
    }
    return offers, positions


def test_consolidation_pulls_forward_items_near_their_reorder_point_to_reach_free_freight():
    offers, positions = _consolidation_case()
    (buy,), _ = plan_product(1, positions[1], [], offers[1])
    assert buy.quantity == D(50)  # 500.00 of the 1,000.00 free freight
    result = consolidate([buy], offers, positions_by_product=positions)
    # product 2 first (closest): 190 × 2.00 = 380 → 880; product 3: 160 → 4 packs of 50 = 200
    # × 1.00 → 1,080, over the threshold, so product 4 is left alone.
    assert [(d.product_id, d.quantity, d.supplier_id) for d in result] == [
        (1, D(50), 10),
        (2, D(190), 10),
        (3, D(200), 10),
    ]
    assert result[1].reason == (
        "Pulled forward to reach Acme's free freight of 1000.00: the order to Central came to "
        "500.00. Central has 110, only 10 above its reorder point of 100; buying 190 to reach "
        "its maximum of 300 at 2.00 a unit landed."
    )


def test_consolidation_leaves_orders_at_free_freight_and_groups_per_supplier():
    offers, positions = _consolidation_case()
    big = Decision("buy", 1, CENTRAL, D(100), None, 10, D("10.00"), 5, "…")
    beta = Decision("buy", 5, CENTRAL, D(5), None, 20, D("1.00"), 5, "…")
    move = Decision("transfer", 9, NORTH, D(5), CENTRAL, None, None, 2, "…")
    assert consolidate([beta, move, big], offers, positions_by_product=positions) == [
        move,
        big,
        beta,
    ]


def test_problems_come_back_as_messages():
    bad = [
        site(5, "10", "-1", "50", name="West"),
        site(6, "10", "60", "50", name="Hub"),
        site(NORTH, "-5", "40", "120", name="North"),
        central(available="600"),
    ]
    lanes = [Lane(CENTRAL, NORTH, 0)]
    offers = [offer(10, "5.00", 0, name="Zero"), offer(11, "5.00", 3, name="Good")]
    decisions, problems = plan_product(7, bad, lanes, offers)
    assert problems == [
        "Product 7 at West: reorder point -1 cannot be negative; not planned.",
        "Product 7 at Hub: the reorder point 60 is above the maximum 50; not planned.",
        "Product 7 at North: -5 available — backorders exceed stock and open supply.",
        "Product 7: the lane Central → North has a lead time of 0 days; not used.",
        "Product 7: the offer of Zero has a lead time of 0 days; not used.",
        "Product 7: no lane from Central to North; North buys its 125 directly.",
    ]
    assert [(d.action, d.warehouse_id, d.supplier_id, d.quantity) for d in decisions] == [
        ("buy", NORTH, 11, D(125))
    ]


def test_a_need_without_any_offer_buys_nothing_and_says_so():
    decisions, problems = plan_product(7, [central(available="100")], [], [])
    assert decisions == []
    assert problems == ["Product 7: no supplier offer; Central needs 500 and nothing was bought."]


def test_the_shortest_of_duplicate_lanes_is_used_and_a_repeated_position_is_reported():
    positions = [north(), site(SOUTH, "300", "40", "120", name="South"), north("500")]
    lanes = [Lane(SOUTH, NORTH, 3), Lane(SOUTH, NORTH, 1)]
    decisions, problems = plan_product(7, positions, lanes, [ACME])
    assert [(d.source_warehouse_id, d.quantity, d.lead_time_days) for d in decisions] == [
        (SOUTH, D(110), 1)
    ]
    assert problems == ["Product 7 at North: given twice; the first position is used."]
