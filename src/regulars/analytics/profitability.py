"""Profitability per customer: revenue, margin, what their rewards cost, and what is left.

"The customer must bring profit, not losses": a customer whose rewards cost more than the margin
they bring, or who buys only when something is given away, is a *bonus hunter*.

Margin comes from the products' unit costs where they are known (revenue minus quantity × unit
cost); the rest of the revenue gets `margin_percent` as an estimate, and is reported as such.
Reward cost is read from the loyalty ledger's reward snapshots: discounts at face value, points
and cashback at the program's value per unit, at the time they were given (refund reversals are
not netted).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from regulars.analytics.backend import Store
from regulars.domain.money import minor_units

DEFAULT_MARGIN_PERCENT = Decimal(30)
BASE_EARN_RULES = ("points", "cashback")  # earned on every purchase: not a promotion


@dataclass(frozen=True, slots=True)
class CustomerProfit:
    customer_id: int
    name: str
    revenue: Decimal
    margin: Decimal
    margin_estimated: bool  # part of the margin comes from margin_percent, not unit costs
    reward_cost: Decimal
    net_contribution: Decimal
    orders: int
    promotional_orders: int
    bonus_hunter: bool
    reasons: tuple[str, ...] = ()  # rewards_exceed_margin, only_on_promotion


@dataclass(frozen=True, slots=True)
class Profitability:
    as_of: date
    period_days: int | None
    currency: str
    margin_percent: Decimal
    margin_source: str  # unit_cost | estimate | mixed | none
    revenue: Decimal
    margin: Decimal
    reward_cost: Decimal
    net_contribution: Decimal
    customers: list[CustomerProfit] = field(default_factory=list)


def _local_day(store: Store, ts: ir.TimestampValue) -> ir.DateValue:
    seconds = int(store.utc_offset.total_seconds())
    return (ts.cast("timestamp") + ibis.interval(seconds=seconds)).date()


def order_margins(
    store: Store,
    as_of: date,
    start: date | None = None,
    margin_percent: Decimal = DEFAULT_MARGIN_PERCENT,
) -> ir.Table:
    """One row per revenue order in (start, as_of]: order_id, customer_id, day, amount, margin,
    estimated (the part of the amount whose margin is estimated), all in minor units.

    With every line costed, margin = amount − Σ quantity × unit cost (so order-level discounts
    lower it); uncosted lines, and orders without lines, share the amount in proportion and get
    margin_percent.
    """
    s = store.sales(as_of)
    if start is not None:
        s = s.filter(s.day > start)
    lines = store.table("order_lines")
    products = store.table("products")
    j = lines.join(products, lines.product_id == products.id)
    known = j.unit_cost_minor.notnull() & (
        j.cost_currency.isnull() | (j.cost_currency == store.scope.currency)
    )
    cost = j.quantity.cast("float64") * j.unit_cost_minor.cast("float64")
    per_order = j.group_by(j.order_id).agg(
        lines_total=j.line_total_minor.sum().cast("float64"),
        costed_total=j.line_total_minor.sum(where=known).cast("float64"),
        cost=cost.sum(where=known),
    )
    o = s.left_join(per_order, s.order_id == per_order.order_id)
    lines_total = o.lines_total.fill_null(0.0)
    uncosted = ibis.ifelse(lines_total > 0, 1.0 - o.costed_total.fill_null(0.0) / lines_total, 1.0)
    amount = o.amount.cast("float64")
    rate = float(margin_percent) / 100.0
    return o.select(
        order_id=o.order_id,
        customer_id=o.customer_id,
        day=o.day,
        placed_at=o.placed_at,
        amount=o.amount,
        margin=amount * (1.0 - uncosted) - o.cost.fill_null(0.0) + amount * uncosted * rate,
        estimated=amount * uncosted,
    )


def _order_refs(store: Store) -> ir.Table:
    """order_id, customer_id, ref: the ledger names an order by its external id or its id."""
    o = store.table("orders")
    by_ext = o.filter(o.external_id.notnull()).select(
        order_id=o.id, customer_id=o.customer_id, ref=o.external_id.cast("string")
    )
    by_id = o.select(order_id=o.id, customer_id=o.customer_id, ref=o.id.cast("string"))
    return by_ext.union(by_id)


def _unit_values(store: Store, r: ir.Table, is_discount: ir.BooleanValue) -> ir.FloatingValue:
    """Business-currency minor units per ledger unit, per program: discounts are money already
    (factor 1); points and cashback are worth the program's point value."""
    cur = store.scope.currency
    digits = minor_units(cur)
    programs = store.table("loyalty_programs").select(
        "id", "currency", "unit_digits", "point_value"
    )
    branches = []
    for p in programs.to_pyarrow().to_pylist():
        if p["currency"] != cur:
            continue  # another currency: left out rather than converted
        earn = float(Decimal(p["point_value"]).scaleb(digits - int(p["unit_digits"])))
        branches.append(((r.program_id == p["id"]) & is_discount, 1.0))
        branches.append(((r.program_id == p["id"]) & ~is_discount, earn))
    if not branches:
        return ibis.literal(0.0)
    return ibis.cases(*branches, else_=0.0)


def reward_values(store: Store, as_of: date, start: date | None = None) -> ir.Table:
    """Every reward snapshot in (start, as_of]: customer_id, order_id (when the ledger's order
    reference names one of ours), rule, day, value (business-currency minor units), promotional.

    The customer is the card's owner, or for a bearer card the customer of the order.
    """
    r = store.table("loyalty_rewards")
    r = r.mutate(day=_local_day(store, r.at))
    r = r.filter(r.day <= as_of)
    if start is not None:
        r = r.filter(r.day > start)
    rule = r.rule
    is_discount = rule.startswith("tier:") | (rule == "repeat_order") | rule.startswith("voucher:")
    promotional = ~(
        rule.isin(BASE_EARN_RULES)
        | rule.startswith("points:category:")
        | rule.startswith("cashback:category:")
    )
    r = r.mutate(
        value=r.amount_minor.cast("float64") * _unit_values(store, r, is_discount),
        promotional=promotional,
    )
    cards = store.table("loyalty_cards").select(
        card_ref=lambda t: t.id, card_customer=lambda t: t.customer_id
    )
    refs = _order_refs(store).rename(order_customer="customer_id", matched_order="order_id")
    programs = store.table("loyalty_programs").select(
        prog_ref=lambda t: t.id, program_code=lambda t: t.code
    )
    j = (
        r.left_join(cards, r.card_id == cards.card_ref)
        .left_join(refs, r.order_ref == refs.ref)
        .left_join(programs, r.program_id == programs.prog_ref)
    )
    return j.select(
        customer_id=j.card_customer.fill_null(j.order_customer),
        order_id=j.matched_order,
        program_code=j.program_code,
        rule=j.rule,
        day=j.day,
        at=j.at,
        value=j.value,
        promotional=j.promotional,
    )


def promotional_orders(store: Store, as_of: date, start: date | None = None) -> ir.Table:
    """order_id of orders that had a discount, voucher or bonus, or were paid with points."""
    rv = reward_values(store, as_of, start)
    given = rv.filter(rv.promotional & rv.order_id.notnull()).select("order_id")
    e = store.table("loyalty_entries")
    e = e.filter(e.kind == "redeem")
    refs = _order_refs(store)
    spent = e.join(refs, e.order_ref == refs.ref).select(order_id=refs.order_id)
    return given.union(spent).distinct()


def profitability(
    store: Store,
    as_of: date,
    period_days: int | None = 365,
    margin_percent: Decimal = DEFAULT_MARGIN_PERCENT,
    min_orders: int = 2,
) -> Profitability:
    """Every customer with revenue or rewards in the period, the least profitable first.

    Bonus hunters: reward cost above margin, or at least `min_orders` orders all promotional.
    """
    start = as_of - timedelta(days=period_days) if period_days else None
    om = order_margins(store, as_of, start, margin_percent)
    promo = promotional_orders(store, as_of, start).mutate(promo=ibis.literal(1))
    om = om.left_join(promo, om.order_id == promo.order_id)
    sales = om.group_by(om.customer_id).agg(
        revenue=om.amount.sum(),
        margin=om.margin.sum(),
        estimated=om.estimated.sum(),
        orders=om.count(),
        promotional_orders=om.promo.count(),
    )
    rv = reward_values(store, as_of, start)
    rv = rv.filter(rv.customer_id.notnull())
    rewards = (
        rv.group_by(rv.customer_id).agg(reward_cost=rv.value.sum()).rename(rc_id="customer_id")
    )
    both = sales.outer_join(rewards, sales.customer_id == rewards.rc_id)
    both = both.select(
        customer_id=both.customer_id.fill_null(both.rc_id),
        revenue=both.revenue.fill_null(0),
        margin=both.margin.fill_null(0.0).cast("float64"),
        estimated=both.estimated.fill_null(0.0).cast("float64"),
        orders=both.orders.fill_null(0),
        promotional_orders=both.promotional_orders.fill_null(0),
        reward_cost=both.reward_cost.fill_null(0.0).cast("float64"),
    )
    c = store.customers().select("customer_id", "name").rename(cust="customer_id").view()
    both = both.view()
    rows = both.left_join(c, both.customer_id == c.cust).drop("cust").to_pyarrow().to_pylist()
    return _result(store, as_of, period_days, margin_percent, min_orders, rows)


def _result(
    store: Store,
    as_of: date,
    period_days: int | None,
    margin_percent: Decimal,
    min_orders: int,
    rows: list[dict[str, Any]],
) -> Profitability:
    m = store.money
    out = []
    tot_rev = tot_margin = tot_cost = tot_est = 0.0
    for row in rows:
        margin = float(row["margin"])
        cost = float(row["reward_cost"])
        revenue = float(row["revenue"])
        orders = int(row["orders"])
        promo = int(row["promotional_orders"])
        estimated = float(row["estimated"])
        tot_rev, tot_margin, tot_cost, tot_est = (
            tot_rev + revenue,
            tot_margin + margin,
            tot_cost + cost,
            tot_est + estimated,
        )
        reasons = []
        if cost > 0 and m(cost) > m(margin):
            reasons.append("rewards_exceed_margin")
        if orders >= min_orders and promo == orders:
            reasons.append("only_on_promotion")
        out.append(
            CustomerProfit(
                customer_id=int(row["customer_id"]),
                name=str(row["name"] or ""),
                revenue=m(revenue),
                margin=m(margin),
                margin_estimated=estimated > 0.5,
                reward_cost=m(cost),
                net_contribution=m(margin) - m(cost),
                orders=orders,
                promotional_orders=promo,
                bonus_hunter=bool(reasons),
                reasons=tuple(reasons),
            )
        )
    out.sort(key=lambda p: (p.net_contribution, p.customer_id))
    if tot_rev <= 0:
        source = "none"
    elif tot_est < 0.5:
        source = "unit_cost"
    elif tot_est >= tot_rev - 0.5:
        source = "estimate"
    else:
        source = "mixed"
    return Profitability(
        as_of=as_of,
        period_days=period_days,
        currency=store.scope.currency,
        margin_percent=margin_percent,
        margin_source=source,
        revenue=m(tot_rev),
        margin=m(tot_margin),
        reward_cost=m(tot_cost),
        net_contribution=m(tot_margin) - m(tot_cost),
        customers=out,
    )


def bonus_hunters(
    store: Store,
    as_of: date,
    period_days: int | None = 365,
    margin_percent: Decimal = DEFAULT_MARGIN_PERCENT,
    min_orders: int = 2,
) -> Profitability:
    """The same figures, keeping only the bonus hunters (the costliest first)."""
    p = profitability(store, as_of, period_days, margin_percent, min_orders)
    return replace(p, customers=[c for c in p.customers if c.bonus_hunter])
