"""Dependency alarms: how much of a company's, department's or manager's revenue hangs on one
customer, in the documents' bands, with top-3 / top-5 shares and the Herfindahl index.

Bands of the largest customer's share (configurable): below 20 % fine; 20 % up to 40 % act
(the documents say "act at 20-30 %, alarm at 40 %" and leave 30-40 % open: we keep acting
until the alarm line, so no share falls between bands); 40 % to 50 % alarm; above 50 %
critical. "Worse" compares with the same figures 30 days earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import ibis.expr.types as ir

from regulars.analytics.backend import Store
from regulars.analytics.numbers import share
from regulars.analytics.shares import Level, customer_names, group_names, group_shares

BANDS = ("fine", "act", "alarm", "critical")


@dataclass(frozen=True, slots=True)
class Bands:
    act: float = 0.20
    alarm: float = 0.40
    critical: float = 0.50

    def band(self, largest: float) -> str:
        if largest > self.critical:
            return "critical"
        if largest >= self.alarm:
            return "alarm"
        if largest >= self.act:
            return "act"
        return "fine"


@dataclass(frozen=True, slots=True)
class Dependency:
    level: str
    group_id: int
    group: str
    customers: int
    revenue: Decimal
    largest_customer_id: int
    largest_customer: str
    largest_share: Decimal
    top3_share: Decimal
    top5_share: Decimal
    herfindahl: int  # sum of squared percentage shares, 0..10000
    band: str
    previous_largest_share: Decimal | None  # 30 days earlier
    worse: bool


def _concentration(store: Store, as_of: date, level: Level) -> ir.Table:
    g = group_shares(store, as_of, level)
    return g.group_by("group_id").agg(
        customers=g.count(),
        revenue=g.revenue.sum(),
        largest=g.share.max(),
        largest_customer_id=g.customer_id.min(where=g.rank == 0),
        top3=g.share.sum(where=g.rank < 3),
        top5=g.share.sum(where=g.rank < 5),
        hhi=(g.share * g.share).sum(),
    )


def dependency(
    store: Store, as_of: date, level: Level = "company", bands: Bands | None = None
) -> list[Dependency]:
    """One row per group, the most dependent first."""
    bands = bands or Bands()
    now = _concentration(store, as_of, level).to_pyarrow().to_pylist()
    before = {
        r["group_id"]: float(r["largest"])
        for r in _concentration(store, as_of - timedelta(days=30), level).to_pyarrow().to_pylist()
    }
    ids = [int(r["largest_customer_id"]) for r in now]
    names = customer_names(store, ids)
    groups = group_names(store, level)
    out = []
    for r in now:
        largest = float(r["largest"])
        prev = before.get(r["group_id"])
        out.append(
            Dependency(
                level=level,
                group_id=int(r["group_id"]),
                group=groups.get(int(r["group_id"]), str(r["group_id"])),
                customers=int(r["customers"]),
                revenue=store.money(r["revenue"]),
                largest_customer_id=int(r["largest_customer_id"]),
                largest_customer=names.get(int(r["largest_customer_id"]), ""),
                largest_share=share(largest, 1),
                top3_share=share(float(r["top3"]), 1),
                top5_share=share(float(r["top5"]), 1),
                herfindahl=round(float(r["hhi"]) * 10000),
                band=bands.band(largest),
                previous_largest_share=None if prev is None else share(prev, 1),
                worse=prev is not None and round(largest, 4) > round(prev, 4),
            )
        )
    out.sort(key=lambda d: (-d.largest_share, d.group_id))
    return out
