"""Lapsed customers: those whose silence is long for *them*.

Each customer's rhythm is the median number of days between their buying days. They are
lapsed when the days since their last purchase exceed k x rhythm (k = 2). One-time buyers
have no rhythm of their own: the business's typical rhythm (the median of repeat customers'
rhythms) stands in for it. With a P(alive) threshold, a customer is also lapsed when the BG/NBD
model gives them a lower probability of still being a customer. Value at risk is what the
customer spent in the 365 days up to and including their last purchase: a year of them, if
they do not come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import ibis

from regulars.analytics import alive
from regulars.analytics.backend import Store, top_n
from regulars.analytics.facts import YEAR, customer_facts, purchase_days
from regulars.analytics.rfm import typical_rhythm


@dataclass(frozen=True, slots=True)
class LapsedCustomer:
    customer_id: int
    name: str
    manager_id: int | None
    purchases: int
    last_purchase: date
    rhythm_days: Decimal
    own_rhythm: bool  # False: a one-time buyer measured by the typical rhythm
    days_since: int
    expected_next: date
    overdue_days: int
    value_at_risk: Decimal
    p_alive: Decimal | None = None  # with a P(alive) threshold: the model's probability
    reason: str = "rhythm"  # rhythm, p_alive or both: which test found them lapsed


def lapsed(
    store: Store,
    as_of: date,
    k: float = 2.0,
    limit: int | None = None,
    p_alive_below: float | None = None,
) -> list[LapsedCustomer]:
    """Lapsed customers, the most value at risk first (then the longest silent)."""
    typical = typical_rhythm(store, as_of)
    f = customer_facts(store, as_of)
    f = f.select("customer_id", "purchases", "last_day", own=f.rhythm)
    f = f.mutate(
        rhythm=f.own.fill_null(typical),
        days_since=ibis.literal(as_of).delta(f.last_day, unit="day"),
    )
    if p_alive_below is None:
        f = f.mutate(alive=ibis.null("float64"))
    else:
        m = ibis.memtable(alive.p_alive(store, as_of).rename_columns(["alive_id", "p_alive"]))
        f = f.left_join(m, f.customer_id == m.alive_id).select(f, alive=m.p_alive)
        threshold = p_alive_below
    f = f.mutate(
        by_rhythm=f.days_since > f.rhythm * k,
        by_model=ibis.literal(False) if p_alive_below is None else f.alive < threshold,
    )
    f = f.filter(f.by_rhythm | f.by_model.fill_null(False))
    d = purchase_days(store, as_of)
    gone = f.select(lapsed_id=f.customer_id, last=f.last_day)
    d = d.join(gone, d.customer_id == gone.lapsed_id)
    year_before = d.day > d.last - ibis.interval(days=YEAR)
    risk = d.group_by("customer_id").agg(at_risk=d.amount.sum(where=year_before))
    f = f.join(risk, f.customer_id == risk.customer_id).select(f, risk.at_risk)
    c = store.customers()
    j = f.join(c, f.customer_id == c.customer_id)
    j = j.select(f, name=c.name, manager_id=c.manager_id)
    j = top_n(j, [ibis.desc(j.at_risk), ibis.desc(j.days_since), j.customer_id], limit)
    out = []
    for r in j.to_pyarrow().to_pylist():
        rhythm = float(r["rhythm"])
        expected = r["last_day"] + timedelta(days=int(rhythm + 0.5))  # half up
        out.append(
            LapsedCustomer(
                customer_id=int(r["customer_id"]),
                name=r["name"],
                manager_id=None if r["manager_id"] is None else int(r["manager_id"]),
                purchases=int(r["purchases"]),
                last_purchase=r["last_day"],
                rhythm_days=Decimal(str(round(rhythm, 1))),
                own_rhythm=r["own"] is not None,
                days_since=int(r["days_since"]),
                expected_next=expected,
                overdue_days=(as_of - expected).days,
                value_at_risk=store.money(r["at_risk"]),
                p_alive=None if r["alive"] is None else Decimal(str(round(r["alive"], 3))),
                reason=_reason(bool(r["by_rhythm"]), bool(r["by_model"])),
            )
        )
    return out


def _reason(by_rhythm: bool, by_model: bool) -> str:
    return "both" if by_rhythm and by_model else ("p_alive" if by_model else "rhythm")
