"""Pareto: how much of the revenue the top 20 % of customers bring, the Lorenz curve and Gini.

Ibis aggregates revenue per customer (the heavy part, in the engine); the sorted vector of
per-customer totals is then small enough for numpy (8 MB for a million customers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from regulars.analytics.backend import Store
from regulars.analytics.facts import revenue_by_customer
from regulars.analytics.numbers import share


@dataclass(frozen=True, slots=True)
class LorenzPoint:
    customers: Decimal  # share of customers, poorest first
    revenue: Decimal  # share of revenue they bring


@dataclass(frozen=True, slots=True)
class ParetoResult:
    as_of: date
    period_days: int | None
    currency: str
    customers: int
    revenue: Decimal
    top_share: Decimal  # revenue share of the top `top_fraction` of customers
    top_fraction: Decimal
    top_customers: int
    customers_for_80: Decimal  # the fewest customers (as a share) that make 80 % of revenue
    gini: Decimal
    lorenz: list[LorenzPoint] = field(default_factory=list)


def revenue_vector(store: Store, as_of: date, period_days: int | None) -> np.ndarray:
    """Per-customer revenue (minor units) in the period, ascending, as float64."""
    start = as_of - timedelta(days=period_days) if period_days else None
    r = revenue_by_customer(store, start, as_of)
    col = r.select("revenue").to_pyarrow().column("revenue").to_numpy()
    return np.sort(col.astype(np.float64))


def gini(x: np.ndarray) -> float:
    """Gini of non-negative values sorted ascending: 0 all equal, towards 1 one takes all."""
    n = len(x)
    total = float(x.sum())
    if n == 0 or total == 0:
        return 0.0
    i = np.arange(1, n + 1, dtype=np.float64)
    return float(2 * (i * x).sum() / (n * total) - (n + 1) / n)


def pareto(
    store: Store,
    as_of: date,
    period_days: int | None = 365,
    top_fraction: float = 0.2,
    points: int = 20,
) -> ParetoResult:
    x = revenue_vector(store, as_of, period_days)
    n = len(x)
    total = float(x.sum())
    n_top = math.ceil(top_fraction * n) if n else 0
    top = float(x[n - n_top :].sum()) if n_top else 0.0
    desc_cum = np.cumsum(x[::-1])
    need = int(np.searchsorted(desc_cum, 0.8 * total - 1e-9) + 1) if n else 0
    cum = np.concatenate([[0.0], np.cumsum(x)])
    lorenz = []
    for k in range(points + 1):
        idx = round(k * n / points)
        lorenz.append(
            LorenzPoint(share(idx, n) if n else Decimal(k) / points, share(cum[idx], total))
        )
    return ParetoResult(
        as_of=as_of,
        period_days=period_days,
        currency=store.scope.currency,
        customers=n,
        revenue=store.money(total),
        top_share=share(top, total),
        top_fraction=Decimal(str(top_fraction)),
        top_customers=n_top,
        customers_for_80=share(need, n),
        gini=Decimal(str(round(gini(x), 4))),
        lorenz=lorenz,
    )
