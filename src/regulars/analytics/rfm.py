"""RFM scores, behaviour segments, ABC value bands and a loyalty score for every customer.

Definitions (documented in docs/analytics.md, checked by the tests), evaluated in this order:
  target     - in the customer base, never bought
  new        - first purchase within the last `new_days` (90) days
  lapsed     - days since the last purchase > k x their rhythm (median days between purchases;
               one-time buyers: k x the business's typical rhythm)
  returning  - at least 3 purchases, and the gap before the latest one was > k x the median of
               their earlier gaps: they had drifted away and came back
  one_time   - exactly one purchase (and neither new nor lapsed)
  loyal      - at least `loyal_min` (4) purchases
  potential  - 2-3 purchases: repeat buyers not yet loyal
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from regulars.analytics.backend import Store, top_n
from regulars.analytics.facts import customer_categories, customer_facts, customer_voice
from regulars.analytics.numbers import share

SEGMENTS = ("loyal", "potential", "returning", "new", "one_time", "lapsed", "target")
DEFAULT_RHYTHM_DAYS = 90  # typical rhythm when no customer has bought twice yet


@dataclass(frozen=True, slots=True)
class RfmParams:
    k: float = 2.0
    new_days: int = 90
    loyal_min: int = 4


@dataclass(frozen=True, slots=True)
class CustomerScore:
    customer_id: int
    name: str
    segment: str
    value_band: str
    r: int | None
    f: int | None
    m: int | None
    rfm: str | None
    recency_days: int | None
    frequency: int
    monetary: Decimal
    loyalty_score: int
    categories: int
    last_purchase: date | None


@dataclass(frozen=True, slots=True)
class SegmentRow:
    segment: str
    customers: int
    share_of_customers: Decimal
    revenue: Decimal
    share_of_revenue: Decimal


@dataclass(frozen=True, slots=True)
class RfmResult:
    as_of: date
    currency: str
    typical_rhythm_days: float
    customers: list[CustomerScore] = field(default_factory=list)


def _score(cd: ir.FloatingValue) -> ir.IntegerValue:
    """Quintile score 1-5 from a cumulative distribution; ties share a score on every engine."""
    return (cd * 5).ceil().cast("int64").clip(lower=1, upper=5)


def _loyalty_score(
    purchases: ir.IntegerValue,
    purchases_12m: ir.IntegerValue,
    categories: ir.IntegerValue,
    referrals: ir.IntegerValue,
    feedback: ir.IntegerValue,
) -> ir.IntegerValue:
    """0-100 from the documents' signs of loyalty, each capped so no single one dominates:
    repeat purchases (35: 10 purchases), their frequency (20: monthly over the last year),
    breadth across categories (20: five), referrals (15: three) and feedback or suggestions
    given (10: three)."""

    def part(x: ir.IntegerValue, cap: int, weight: int) -> ir.FloatingValue:
        return x.clip(lower=0, upper=cap).cast("float64") * (weight / cap)

    total = (
        part(purchases - 1, 9, 35)
        + part(purchases_12m, 12, 20)
        + part(categories, 5, 20)
        + part(referrals, 3, 15)
        + part(feedback, 3, 10)
    )
    return total.round().cast("int64")


def typical_rhythm(store: Store, as_of: date) -> float:
    """The business's typical rhythm: the median of repeat customers' own rhythms (days)."""

    def compute() -> float:
        f = customer_facts(store, as_of)
        value = f.filter(f.rhythm.notnull()).rhythm.median().execute()
        ok = value is not None and value == value
        return float(value) if ok else float(DEFAULT_RHYTHM_DAYS)

    return store.remember(("typical_rhythm", as_of), compute)


def scores_expr(store: Store, as_of: date, params: RfmParams, typical: float) -> ir.Table:
    """Every active customer with scores, segment, value band and loyalty score (one query);
    computed once per snapshot, so segments, the top list and stored scores share it."""
    key = ("rfm_scores", as_of, params, typical)
    return store.shared(key, lambda: _scores(store, as_of, params, typical))


def _scores(store: Store, as_of: date, params: RfmParams, typical: float) -> ir.Table:
    f = customer_facts(store, as_of)
    cats = customer_categories(store, as_of)
    cats = cats.group_by("customer_id").agg(categories=cats.count())
    f = f.left_join(cats, f.customer_id == cats.customer_id).drop("customer_id_right")
    f = f.mutate(recency_days=ibis.literal(as_of).delta(f.last_day, unit="day"))
    total = f.revenue.sum().over(ibis.window())
    running = f.revenue.sum().over(
        ibis.window(order_by=[ibis.desc(f.revenue), f.customer_id], preceding=None, following=0)
    )
    before = (running - f.revenue).cast("float64") / total.cast("float64")
    f = f.mutate(
        r=_score(ibis.cume_dist().over(order_by=f.last_day)),
        f=_score(ibis.cume_dist().over(order_by=f.purchases)),
        m=_score(ibis.cume_dist().over(order_by=f.revenue)),
        value_band=ibis.cases((before < 0.80, "A"), (before < 0.95, "B"), else_="C"),
    )
    k = params.k
    rhythm = f.rhythm.fill_null(typical)
    new_since = as_of - timedelta(days=params.new_days)
    segment = ibis.cases(
        (f.first_day > new_since, "new"),
        (f.recency_days > rhythm * k, "lapsed"),
        ((f.purchases >= 3) & (f.last_gap > f.earlier_rhythm * k), "returning"),
        (f.purchases == 1, "one_time"),
        (f.purchases >= params.loyal_min, "loyal"),
        else_="potential",
    )
    f = f.mutate(segment=segment)
    c = store.customers()
    v = customer_voice(store, as_of)
    j = c.left_join(f, c.customer_id == f.customer_id).left_join(v, c.customer_id == v.customer_id)
    loyalty = _loyalty_score(
        j.purchases.fill_null(0),
        j.purchases_12m.fill_null(0),
        j.categories.fill_null(0),
        j.referrals.fill_null(0),
        j.feedback.fill_null(0),
    )
    return j.select(
        customer_id=c.customer_id,
        name=c.name,
        segment=j.segment.fill_null("target"),
        value_band=j.value_band.fill_null("C"),
        r=j.r,
        f=j.f,
        m=j.m,
        recency_days=j.recency_days,
        frequency=j.purchases.fill_null(0),
        monetary=j.revenue.fill_null(0),
        loyalty_score=loyalty,
        categories=j.categories.fill_null(0),
        last_purchase=j.last_day,
    )


def _int(v: Any) -> int | None:
    return None if v is None or v != v else int(v)


def rfm_scores(
    store: Store, as_of: date, params: RfmParams | None = None, limit: int | None = None
) -> RfmResult:
    """Scores of every customer, best value first (monetary, then id); `limit` caps the list."""
    params = params or RfmParams()
    typical = typical_rhythm(store, as_of)
    e = scores_expr(store, as_of, params, typical)
    e = top_n(e, [ibis.desc(e.monetary), e.customer_id], limit)
    rows = e.to_pyarrow().to_pylist()
    out = [
        CustomerScore(
            customer_id=int(r["customer_id"]),
            name=r["name"],
            segment=r["segment"],
            value_band=r["value_band"],
            r=_int(r["r"]),
            f=_int(r["f"]),
            m=_int(r["m"]),
            rfm=None if r["r"] is None else f"{r['r']}{r['f']}{r['m']}",
            recency_days=_int(r["recency_days"]),
            frequency=int(r["frequency"]),
            monetary=store.money(r["monetary"]),
            loyalty_score=int(r["loyalty_score"]),
            categories=int(r["categories"]),
            last_purchase=r["last_purchase"],
        )
        for r in rows
    ]
    return RfmResult(as_of, store.scope.currency, typical, out)


def segment_summary(store: Store, as_of: date, params: RfmParams | None = None) -> list[SegmentRow]:
    """Customers and revenue per segment, in the fixed order of SEGMENTS."""
    params = params or RfmParams()
    e = scores_expr(store, as_of, params, typical_rhythm(store, as_of))
    g = e.group_by("segment").agg(customers=e.count(), revenue=e.monetary.sum())
    got = {r["segment"]: r for r in g.to_pyarrow().to_pylist()}
    n = sum(int(r["customers"]) for r in got.values()) or 1
    total = sum(int(r["revenue"] or 0) for r in got.values()) or 1
    out = []
    for seg in SEGMENTS:
        r = got.get(seg, {"customers": 0, "revenue": 0})
        out.append(
            SegmentRow(
                segment=seg,
                customers=int(r["customers"]),
                share_of_customers=share(int(r["customers"]), n),
                revenue=store.money(r["revenue"] or 0),
                share_of_revenue=share(int(r["revenue"] or 0), total),
            )
        )
    return out
