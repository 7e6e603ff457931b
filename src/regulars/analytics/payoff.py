"""Did it pay off: the margin a campaign or a loyalty rule added, against what it cost.

Campaigns are experiments: a random control group was held back when they were sent, so the
difference between the groups in the window after sending is the campaign's effect. Repeat
rate uplift gets Newcombe's hybrid score interval (difference of two Wilson intervals), revenue
and margin per customer Welch's t interval. Paid off: "yes" when the whole 95 % interval of the
net gain (incremental margin − cost) is above zero, "no" when below, otherwise "uncertain".

Loyalty rules were not randomised, so their figure is observational: a difference in
differences. For each recipient, the margin in the W days after their first reward of the rule
minus the W days before (the rewarded day itself left out), against the same change for
customers who never got it, around the recipients' median first-reward day. It assumes both
groups would have moved alike without the rule; read it as a guide, not a proof.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from statistics import median_low
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
from scipy.special import stdtrit

from regulars.analytics.backend import Store
from regulars.analytics.profitability import DEFAULT_MARGIN_PERCENT, order_margins, reward_values

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Interval:
    estimate: float
    low: float | None
    high: float | None


# --- statistics ---------------------------------------------------------------------------


def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion x / n."""
    if n == 0:
        return 0.0, 1.0
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe(x1: int, n1: int, x2: int, n2: int) -> Interval:
    """p1 − p2 with Newcombe's hybrid score interval (his method 10): good even for small groups
    and rates near 0 or 1, where the Wald interval is too narrow."""
    if n1 == 0 or n2 == 0:
        return Interval(0.0, None, None)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    d = p1 - p2
    return Interval(
        d,
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def welch(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> Interval:
    """mean(a) − mean(b) with Welch's t interval (unequal variances)."""
    if len(a) == 0 or len(b) == 0:
        return Interval(0.0, None, None)
    d = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return Interval(d, None, None)
    va, vb = float(a.var(ddof=1)) / len(a), float(b.var(ddof=1)) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return Interval(d, d, d)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    t = float(stdtrit(df, 0.5 + level / 2))  # the t quantile, without importing scipy.stats
    return Interval(d, d - t * se, d + t * se)


def verdict(net: Interval) -> str:
    if net.low is None or net.high is None:
        return "uncertain"
    if net.low > 0:
        return "yes"
    if net.high < 0:
        return "no"
    return "uncertain"


def _scaled(i: Interval, k: float, minus: float = 0.0) -> Interval:
    """k × interval − minus (k ≥ 0): per-customer uplift to a total, less a fixed cost."""
    lo = None if i.low is None else i.low * k - minus
    hi = None if i.high is None else i.high * k - minus
    return Interval(i.estimate * k - minus, lo, hi)


# --- campaigns ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    customers: int
    buyers: int
    repeat_rate: Decimal
    revenue_per_customer: Decimal
    margin_per_customer: Decimal


@dataclass(frozen=True, slots=True)
class CampaignPayoff:
    campaign: str
    kind: str
    promotes: str | None
    sent_at: datetime | None
    window_days: int
    window_complete: bool
    treatment: GroupOutcome
    control: GroupOutcome
    repeat_rate_uplift: Interval  # proportions, Newcombe
    revenue_uplift_per_customer: Interval  # minor units, Welch
    incremental_margin: Interval  # minor units, total over the treatment group
    reward_cost: Interval  # promoted rewards given beyond the control group's, total
    contact_cost: Decimal
    net: Interval  # incremental margin − reward cost − contact cost
    paid_off: str


def _members(store: Store, campaign_id: int) -> ir.Table:
    m = store.table("campaign_members")
    m = m.filter(m.campaign_id == campaign_id)
    return m.select(
        member=m.customer_id, group=m.member_group, assigned_at=m.assigned_at.cast("timestamp")
    )


def _in_window(m: ir.Table, ts: ir.TimestampValue, days: int) -> ir.BooleanValue:
    return (ts >= m.assigned_at) & (ts < m.assigned_at + ibis.interval(days=days))


def _member_outcomes(
    store: Store, c: dict[str, Any], as_of: date, days: int, margin_percent: Decimal
) -> list[dict[str, Any]]:
    """One row per member: group, orders, revenue, margin and promoted reward cost in the window."""
    m = _members(store, int(c["id"]))
    om = order_margins(store, as_of, None, margin_percent)
    j = m.join(om, m.member == om.customer_id)
    j = j.filter(_in_window(j, j.placed_at, days))
    sales = j.group_by(j.member).agg(
        orders=j.count(), revenue=j.amount.sum(), margin=j.margin.sum()
    )
    sales = sales.rename(s_member="member")
    out = m.left_join(sales, m.member == sales.s_member)
    promotes = c["promotes"]
    if promotes:
        rv = reward_values(store, as_of)
        p = str(promotes)
        rv = rv.filter((rv.rule == p) | rv.rule.startswith(p + ":") | (rv.program_code == p))
        rj = m.join(rv, m.member == rv.customer_id)
        rj = rj.filter(_in_window(rj, rj.at.cast("timestamp"), days))
        cost = rj.group_by(rj.member).agg(reward=rj.value.sum()).rename(r_member="member")
        out = out.view()
        out = out.left_join(cost, out.member == cost.r_member)
    cols = {
        "group": out.group,
        "orders": out.orders.fill_null(0),
        "revenue": out.revenue.fill_null(0).cast("float64"),
        "margin": out.margin.fill_null(0.0).cast("float64"),
    }
    if promotes:  # PostgreSQL reads a bare 0.0 as numeric: no literal column, 0 added below
        cols["reward"] = out.reward.fill_null(0.0).cast("float64")
    rows = out.select(**cols).to_pyarrow().to_pylist()
    for r in rows:
        r.setdefault("reward", 0.0)
    return rows


def _outcome(store: Store, rows: list[dict[str, Any]]) -> GroupOutcome:
    n = len(rows)
    buyers = sum(1 for r in rows if int(r["orders"]) > 0)
    rev = sum(float(r["revenue"]) for r in rows)
    mar = sum(float(r["margin"]) for r in rows)
    return GroupOutcome(
        customers=n,
        buyers=buyers,
        repeat_rate=Decimal(str(round(buyers / n, 4))) if n else Decimal(0),
        revenue_per_customer=store.money(rev / n if n else 0),
        margin_per_customer=store.money(mar / n if n else 0),
    )


def _column(rows: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([float(r[key]) for r in rows], dtype=np.float64)


def campaign_payoff(
    store: Store,
    code: str,
    as_of: date,
    window_days: int = 30,
    margin_percent: Decimal = DEFAULT_MARGIN_PERCENT,
) -> CampaignPayoff | None:
    """Treatment against control in the `window_days` after each member's sending; None when the
    business has no campaign with this code."""
    camps = store.table("campaigns")
    found = camps.filter(camps.code == code).to_pyarrow().to_pylist()
    if not found:
        return None
    c = found[0]
    rows = _member_outcomes(store, c, as_of, window_days, margin_percent)
    t = [r for r in rows if r["group"] == "treatment"]
    k = [r for r in rows if r["group"] == "control"]
    n_t = len(t)
    rate = newcombe(
        sum(1 for r in t if int(r["orders"]) > 0),
        n_t,
        sum(1 for r in k if int(r["orders"]) > 0),
        len(k),
    )
    revenue = welch(_column(t, "revenue"), _column(k, "revenue"))
    margin = _scaled(welch(_column(t, "margin"), _column(k, "margin")), n_t)
    reward = _scaled(welch(_column(t, "reward"), _column(k, "reward")), n_t)
    contact_minor = int(c["cost_per_contact_minor"]) * n_t
    per_net = welch(
        _column(t, "margin") - _column(t, "reward"), _column(k, "margin") - _column(k, "reward")
    )
    net = _scaled(per_net, n_t, contact_minor)
    m = _members(store, int(c["id"]))
    first = (
        m.aggregate(first=m.assigned_at.min(), last=m.assigned_at.max()).to_pyarrow().to_pylist()[0]
    )
    last, sent = first["last"], first["first"]
    if sent is not None and sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)  # the engines hand back naive UTC
    complete = last is not None and (last + timedelta(days=window_days)).date() <= as_of
    return CampaignPayoff(
        campaign=str(c["code"]),
        kind=str(c["kind"]),
        promotes=c["promotes"],
        sent_at=sent,
        window_days=window_days,
        window_complete=complete,
        treatment=_outcome(store, t),
        control=_outcome(store, k),
        repeat_rate_uplift=rate,
        revenue_uplift_per_customer=revenue,
        incremental_margin=margin,
        reward_cost=reward,
        contact_cost=store.money(contact_minor),
        net=net,
        paid_off=verdict(net),
    )


def campaign_codes(store: Store) -> list[str]:
    camps = store.table("campaigns")
    return sorted(camps.select("code").to_pyarrow().column("code").to_pylist())


# --- loyalty rules ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RulePayoff:
    rule: str
    recipients: int  # with a whole window before as_of
    comparison: int
    reward_cost: Decimal  # of the rule, to those recipients, within their window
    margin_change_recipients: Decimal  # mean after − before, per recipient
    margin_change_comparison: Decimal
    incremental_margin: Interval  # total over the recipients, minor units
    net: Interval
    paid_off: str
    method: str = "difference-in-differences (observational)"


def _before_after(daily: ir.Table, anchors: ir.Table, window: int) -> ir.Table:
    """key, before, after: margin in the `window` days before / after each anchor day."""
    j = daily.join(anchors, daily.customer_id == anchors.customer_id)
    gap = j.day.delta(j.anchor, unit="day")
    return j.group_by(j.key).agg(
        before=j.margin.sum(where=(gap < 0) & (gap >= -window)),
        after=j.margin.sum(where=(gap > 0) & (gap <= window)),
    )


def rule_payoff(
    store: Store,
    as_of: date,
    window_days: int = 90,
    margin_percent: Decimal = DEFAULT_MARGIN_PERCENT,
) -> list[RulePayoff]:
    """Every rule that gave something, with recipients whose whole after-window has passed."""
    last_anchor = as_of - timedelta(days=window_days)
    rv = reward_values(store, as_of)
    rv = rv.filter(rv.customer_id.notnull())
    firsts = rv.group_by("rule", "customer_id").agg(anchor=rv.day.min())
    firsts = firsts.filter(firsts.anchor <= last_anchor)
    fj = firsts.join(rv, (firsts.rule == rv.rule) & (firsts.customer_id == rv.customer_id))
    in_win = fj.day.delta(fj.anchor, unit="day") <= window_days
    costs = fj.group_by(fj.rule).agg(cost=fj.value.sum(where=in_win))
    cost_by_rule = {r["rule"]: float(r["cost"] or 0) for r in costs.to_pyarrow().to_pylist()}
    om = order_margins(store, as_of, None, margin_percent)
    daily = om.group_by("customer_id", "day").agg(margin=om.margin.sum())
    anchors = firsts.mutate(
        key=firsts.rule.concat(ibis.literal("\x1f"), firsts.customer_id.cast("string"))
    )
    recips = _before_after(daily, anchors.select("customer_id", "anchor", "key"), window_days)
    recips = anchors.select("key", "rule", "customer_id", "anchor").left_join(
        recips, anchors.key == recips.key
    )
    rows = (
        recips.select("rule", "customer_id", "anchor", "before", "after").to_pyarrow().to_pylist()
    )
    buyers = daily.select("customer_id").distinct()
    out = []
    for rule in sorted({r["rule"] for r in rows}):
        mine = [r for r in rows if r["rule"] == rule]
        delta_r = np.array([float(r["after"] or 0) - float(r["before"] or 0) for r in mine])
        common = median_low(r["anchor"] for r in mine)
        got = firsts.filter(firsts.rule == rule).select("customer_id")
        others = buyers.anti_join(got, "customer_id")
        others = others.mutate(anchor=ibis.literal(common), key=others.customer_id.cast("string"))
        cmp = _before_after(daily, others, window_days)
        cmp = others.left_join(cmp, others.key == cmp.key).select("before", "after")
        cmp_rows = cmp.to_pyarrow().to_pylist()
        delta_c = np.array([float(r["after"] or 0) - float(r["before"] or 0) for r in cmp_rows])
        cost = cost_by_rule.get(rule, 0.0)
        per = welch(delta_r, delta_c)
        incremental = _scaled(per, len(mine))
        net = _scaled(per, len(mine), cost)
        out.append(
            RulePayoff(
                rule=str(rule),
                recipients=len(mine),
                comparison=len(cmp_rows),
                reward_cost=store.money(cost),
                margin_change_recipients=store.money(float(delta_r.mean()) if len(delta_r) else 0),
                margin_change_comparison=store.money(float(delta_c.mean()) if len(delta_c) else 0),
                incremental_margin=incremental,
                net=net,
                paid_off=verdict(net),
            )
        )
    return out
