"""Cohorts: customers grouped by the local month of their first purchase, and how many of them
bought again (retention) and how much they spent in each following month."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from regulars.analytics.backend import Store
from regulars.analytics.numbers import share
from regulars.analytics.summary import month_start


@dataclass(frozen=True, slots=True)
class Cohort:
    cohort: str  # YYYY-MM of the first purchase
    customers: int
    retention: list[Decimal] = field(default_factory=list)  # month 0, 1, 2… (month 0 = 1)
    active: list[int] = field(default_factory=list)
    revenue: list[Decimal] = field(default_factory=list)


def cohorts(store: Store, as_of: date, months: int = 12) -> list[Cohort]:
    """The cohorts of the last `months` months, oldest first, each up to as_of."""
    s = store.sales(as_of)
    idx = s.day.year() * 12 + s.day.month() - 1
    s = s.mutate(m=idx)
    first = s.group_by("customer_id").agg(c=s.m.min())
    j = s.join(first, s.customer_id == first.customer_id)
    first_kept = month_start(as_of, months - 1)
    j = j.filter(j.c >= first_kept.year * 12 + first_kept.month - 1)
    j = j.mutate(offset=j.m - j.c)
    g = j.group_by("c", "offset").agg(active=j.customer_id.nunique(), revenue=j.amount.sum())
    rows = g.order_by(["c", "offset"]).to_pyarrow().to_pylist()
    last = as_of.year * 12 + as_of.month - 1
    out: list[Cohort] = []
    by_cohort: dict[int, dict[int, dict]] = {}
    for r in rows:
        by_cohort.setdefault(int(r["c"]), {})[int(r["offset"])] = r
    for c, cells in sorted(by_cohort.items()):
        size = int(cells[0]["active"])
        span = range(last - c + 1)
        active = [int(cells[o]["active"]) if o in cells else 0 for o in span]
        out.append(
            Cohort(
                cohort=f"{c // 12:04d}-{c % 12 + 1:02d}",
                customers=size,
                retention=[share(a, size) for a in active],
                active=active,
                revenue=[store.money(cells[o]["revenue"] if o in cells else 0) for o in span],
            )
        )
    return out
